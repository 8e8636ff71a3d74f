// Loops whose trip count or exit is known only at run time (docs/tutorial.md, "Loops"):
// fori_loop, while_loop, scan, cond and checkpointing. Every gradient is checked against another
// route to it (forward mode on dual numbers by hand, a closed form, keeping every carry); a
// mismatch exits with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstddef>
#include <iostream>
#include <utility>

namespace {

int failures = 0;

void expect_close(xt::xarray<double> const& got, xt::xarray<double> const& want, char const* what) {
    if (got.shape() != want.shape() || !xt::allclose(got, want, 1e-12, 1e-14)) {
        std::cout << "mismatch: " << what << '\n' << got << '\n' << want << '\n';
        ++failures;
    }
}

} // namespace

int main() {
    // [fori]
    // dx/dt = −k x + sin x, 1000 explicit Euler steps of 0.01. The body is an xtad expression
    // of the carry x and of the leaf k it captures; i is the step, a plain number.
    auto x0 = xtad::var<"x0">(xt::xarray<double>{0.5, -1.2, 2.0});
    auto k = xtad::var<"k">(xt::xarray<double>(0.7));
    auto xT = xtad::fori_loop(
        0, 1000, [&](auto const& x, std::size_t) { return x + 0.01 * (-k * x + sin(x)); }, x0);
    std::cout << xT << '\n'; // tensor([ 1.3927, -1.4090,  1.4119], grad_fn=<AddBackward0>)

    // Reverse mode runs back over the steps, into x0 and into k.
    auto [gx0, gk] = xtad::grad(xtad::sum(xT * xT), xtad::wrt(x0, k));
    std::cout << xtad::repr(gx0) << '\n'; // tensor([ 0.2008, -0.0191,  0.0053])
    std::cout << xtad::repr(gk) << '\n';  // tensor(-22.4437)
    // [fori]

    // The same derivatives by forward mode by hand: the loop run on dual numbers, with one
    // tangent per parameter (d/dk, and d/dx0 along the ones).
    {
        using D = xtad::dual<double, 2>;
        D const kd(0.7, {1.0, 0.0});
        xt::xarray<D> x = {D(0.5, {0.0, 1.0}), D(-1.2, {0.0, 1.0}), D(2.0, {0.0, 1.0})};
        for (std::size_t i = 0; i < 1000; ++i) {
            x = x + 0.01 * (-kd * x + xt::sin(x));
        }
        D loss(0.0);
        for (auto const& e : x) {
            loss = loss + e * e;
        }
        expect_close(xt::xarray<double>(loss.eps[0]), gk, "d/dk by dual numbers");
        expect_close(xt::xarray<double>(loss.eps[1]), xt::xarray<double>(xt::sum(gx0)()),
                     "d/dx0 along the ones by dual numbers");
    }

    // [while]
    // Newton's iteration for √a until |y² − a| < 1e-14: the condition sees the carry's value,
    // a plain tensor; the trip count is recorded, and the reverse pass runs back over it.
    auto a = xtad::var<"a">(xt::xarray<double>{2.0, 9.0});
    auto const not_yet = [&](xt::xarray<double> const& y) {
        return xt::amax(xt::abs(y * y - a.value()))() >= 1e-14;
    };
    auto root = xtad::while_loop(
        not_yet, [&](auto const& y) { return 0.5 * (y + a / y); }, a);
    auto [ga] = xtad::grad(xtad::sum(root), xtad::wrt(a));
    std::cout << xtad::repr(ga) << '\n'; // tensor([0.3536, 0.1667]), 1 / (2 √a)
    // [while]
    expect_close(ga, 0.5 / xt::sqrt(a.value()), "Newton's derivative");

    // [scan]
    // scan also stacks an output per step: here the whole trajectory, shape (1000, 3).
    auto [last, path] = xtad::scan(
        [&](auto const& x, std::size_t) {
            auto next = x + 0.01 * (-k * x + sin(x));
            return std::pair{next, next};
        },
        x0, 1000);
    auto [gk_path] = xtad::grad(xtad::sum(path * path), xtad::wrt(k));
    // [scan]
    {
        // d/dk of the trajectory's sum of squares by central differences.
        auto const sum_of_squares = [&](double kk) {
            xt::xarray<double> y = x0.value();
            double s = 0;
            for (std::size_t i = 0; i < 1000; ++i) {
                y = y + 0.01 * (-kk * y + xt::sin(y));
                s += xt::sum(y * y)();
            }
            return s;
        };
        double const dk = (sum_of_squares(0.7 + 1e-6) - sum_of_squares(0.7 - 1e-6)) / 2e-6;
        if (std::abs(gk_path() - dk) > 1e-6 * std::abs(dk)) {
            std::cout << "mismatch: scan's d/dk " << gk_path() << " against " << dk << '\n';
            ++failures;
        }
    }

    // [cond]
    // cond evaluates and differentiates the branch taken, chosen at each evaluation.
    auto x = xtad::var<"x">(xt::xarray<double>{1.0, -2.0});
    auto const positive = [](xt::xarray<double> const& v) { return xt::sum(v)() > 0; };
    auto y = xtad::cond(
        positive, [](auto const& z) { return z * z; }, [](auto const& z) { return sin(z); }, x);
    auto [gx] = xtad::grad(xtad::sum(y), xtad::wrt(x)); // sum(x) < 0: the cosine
    std::cout << xtad::repr(gx) << '\n';                // tensor([ 0.5403, -0.4161])
    // [cond]
    expect_close(gx, xt::cos(x.value()), "cond's branch");

    // [checkpoint]
    // Keeping ⌈√1000⌉ = 32 of the 1000 carries: the others are computed again in the reverse
    // pass, and the gradient is the same, bit for bit.
    auto xT_light = xtad::fori_loop(
        0, 1000, [&](auto const& x, std::size_t) { return x + 0.01 * (-k * x + sin(x)); }, x0,
        xtad::checkpoint::sqrt());
    auto [gx0_light, gk_light] = xtad::grad(xtad::sum(xT_light * xT_light), xtad::wrt(x0, k));
    // [checkpoint]
    if (!xt::all(xt::equal(gx0_light, gx0)) || !xt::all(xt::equal(gk_light, gk))) {
        std::cout << "mismatch: checkpointed gradients\n";
        ++failures;
    }
    return failures == 0 ? 0 : 1;
}
