// dual<T, N>: arithmetic, nesting, perturbation confusion, and duals inside xtensor and xtad.
#include <xtad/forward/dual.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace xtad;
using D1 = dual<double, 1>;
using D2 = dual<double, 2>;

namespace {

/// d/dx f at x, by one dual of the type one level above x's: the derivative operator the
/// perturbation-confusion tests nest.
template <class F, class X>
auto derivative_at(F const& f, X const& x) {
    return f(dual<X, 1>(x, {X(1.0)})).eps[0];
}

} // namespace

TEST_CASE("dual arithmetic carries N directional derivatives") {
    D2 const x(3.0, {1.0, 0.0});
    D2 const y(2.0, {0.0, 1.0});
    auto const f = x * y - x / y + 2.0 * x - 1.0;
    CHECK(f.val == doctest::Approx(6.0 - 1.5 + 6.0 - 1.0));
    CHECK(f.eps[0] == doctest::Approx(2.0 - 0.5 + 2.0)); // df/dx = y - 1/y + 2
    CHECK(f.eps[1] == doctest::Approx(3.0 + 3.0 / 4.0)); // df/dy = x + x/y^2
    CHECK((x < y) == false);
    CHECK(x == 3.0);
}

TEST_CASE("every elementwise op has its forward rule from its own derivative rule") {
    D1 const x(0.5, {1.0});
    CHECK(sin(x).eps[0] == doctest::Approx(std::cos(0.5)));
    CHECK(tanh(x).eps[0] == doctest::Approx(1 - std::tanh(0.5) * std::tanh(0.5)));
    CHECK(pow<3>(x).eps[0] == doctest::Approx(0.75));
    CHECK(pow(x, 2.5).eps[0] == doctest::Approx(2.5 * std::pow(0.5, 1.5)));
    CHECK(atan2(x, 2.0).eps[0] == doctest::Approx(2.0 / (4.0 + 0.25)));
    CHECK(maximum(x, 0.5).eps[0] == doctest::Approx(0.5)); // a tie splits, as the adjoint does
    CHECK(abs(D1(0.0, {1.0})).eps[0] == 0.0);
    CHECK(std::isinf(sqrt(D1(0.0, {1.0})).eps[0]));
}

TEST_CASE("nested duals give second derivatives") {
    using DD = dual<D1, 1>;
    DD const x(D1(2.0, {1.0}), {D1(1.0)});
    auto const f = pow<3>(x) + sin(x);
    CHECK(f.val.val == doctest::Approx(8.0 + std::sin(2.0)));
    CHECK(f.eps[0].val == doctest::Approx(12.0 + std::cos(2.0)));
    CHECK(f.val.eps[0] == doctest::Approx(12.0 + std::cos(2.0)));
    CHECK(f.eps[0].eps[0] == doctest::Approx(12.0 - std::sin(2.0)));
}

TEST_CASE("no perturbation confusion: nested derivatives use distinct levels") {
    // d/dx [x * d/dy (x + y)] at y = 1 is 1, not 2: the inner derivative's y lives one level
    // above x, so x is a constant to it.
    auto const outer = [](auto x) {
        return x * derivative_at([&](auto y) { return x + y; }, decltype(x)(1.0));
    };
    CHECK(derivative_at(outer, 1.0) == 1.0);
    // d/dx [x * d/dy (x * y)] at x = 4 is 2x = 8.
    auto const outer2 = [](auto x) {
        return x * derivative_at([&](auto y) { return x * y; }, decltype(x)(1.0));
    };
    CHECK(derivative_at(outer2, 4.0) == 8.0);
}

TEST_CASE("tensors of duals through plain xtensor and through xtad trees") {
    xt::xarray<D1> a = {D1(1.0, {1.0}), D1(2.0, {0.0})};
    xt::xarray<D1> const b = a * a + 2.0 * a;
    CHECK(b(0).val == 3.0);
    CHECK(b(0).eps[0] == 4.0);
    CHECK(b(1).eps[0] == 0.0);
    auto x = var<"x">(a);
    auto const e = sum(exp(x) * x);
    xt::xarray<D1> const v = eval(e);
    CHECK(v().val == doctest::Approx(std::exp(1.0) + 2 * std::exp(2.0)));
    CHECK(v().eps[0] == doctest::Approx(2 * std::exp(1.0)));
    // Forward over reverse: the gradient of sum(x^3), evaluated on duals, carries H v.
    auto [g] = grad(sum(pow<3>(x)), wrt(x));
    CHECK(g(0).val == 3.0);
    CHECK(g(0).eps[0] == 6.0);
    CHECK(g(1).eps[0] == 0.0);
}

TEST_CASE("binary ops between two dual levels, the lower one on either side") {
    using D2 = dual<D1, 1>;
    D1 const x(1.0, {1.0});
    D2 const y(D1(2.0), {D1(1.0)});
    // d/dy d/dx atan2(x, y) = d/dy [y / (x^2 + y^2)] = (x^2 - y^2) / (x^2 + y^2)^2
    auto const r = atan2(x, y);
    CHECK(r.eps[0].eps[0] == doctest::Approx((1.0 - 4.0) / 25.0));
    auto const s = atan2(y, x);
    CHECK(s.eps[0].eps[0] == doctest::Approx(-(1.0 - 4.0) / 25.0));
    CHECK(pow(x, y).val.val == doctest::Approx(1.0));
}
