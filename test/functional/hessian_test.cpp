// hessian and hvp: the three routes agree with each other and with finite differences of the
// gradient, the Hessian is symmetric, hvp is H v, and its shape is x.shape + x.shape. Inputs f
// ignores and misuse are in hessian_test_2.cpp.
#include <xtad/functional.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace xtad;

namespace {

using shape_v = std::vector<std::size_t>;

/// |got - want| <= tol (1 + |want|) element by element, with the first mismatch in the message.
void check_close(xt::xarray<double> const& got, xt::xarray<double> const& want, double tol,
                 std::string const& what) {
    REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shapes differ");
    for (std::size_t i = 0; i < want.size(); ++i) {
        double const g = got.flat(i), w = want.flat(i);
        if (!(std::abs(g - w) <= tol * (1 + std::abs(w)))) {
            FAIL_CHECK(what << ": element " << i << " is " << g << ", expected " << w);
            return;
        }
    }
}

xt::xarray<double> random_tensor(shape_v const& shape, std::mt19937& rng, double lo, double hi) {
    std::uniform_real_distribution<double> u(lo, hi);
    auto a = xt::xarray<double>::from_shape(shape);
    for (auto& v : a) {
        v = u(rng);
    }
    return a;
}

template <class F>
xt::xarray<double> gradient(F const& f, xt::xarray<double> const& p) {
    auto const x = var<"x">(p);
    return std::get<0>(grad(f(x), wrt(x)));
}

/// The Hessian as central differences of the gradient: column j is
/// (grad f(x + h e_j) - grad f(x - h e_j)) / 2h, laid out as x.shape + x.shape.
template <class F>
xt::xarray<double> fd_hessian(F const& f, xt::xarray<double> const& x0) {
    std::size_t const n = x0.size();
    shape_v shape(x0.shape().begin(), x0.shape().end());
    shape.insert(shape.end(), x0.shape().begin(), x0.shape().end());
    auto h = xt::xarray<double>::from_shape(shape);
    double const step = 1e-5;
    for (std::size_t j = 0; j < n; ++j) {
        xt::xarray<double> up = x0, down = x0;
        up.flat(j) += step;
        down.flat(j) -= step;
        xt::xarray<double> const d = (gradient(f, up) - gradient(f, down)) / (2 * step);
        for (std::size_t i = 0; i < n; ++i) {
            h.flat(i * n + j) = d.flat(i);
        }
    }
    return h;
}

/// hessian by the three routes at x0: they agree to rounding, with finite differences to 1e-6,
/// H is symmetric, and hvp(f, x0, v) is (f(x0), H v).
template <class F>
void check_routes(F const& f, xt::xarray<double> const& x0, std::mt19937& rng) {
    xt::xarray<double> const fr = hessian(f, at(x0));
    xt::xarray<double> const ff = hessian<route::forward_over_forward>(f, at(x0));
    xt::xarray<double> const rr = hessian<route::reverse_over_reverse>(f, at(x0));
    check_close(fr, ff, 1e-12, "forward_over_reverse vs forward_over_forward");
    check_close(rr, ff, 1e-12, "reverse_over_reverse vs forward_over_forward");
    check_close(fr, fd_hessian(f, x0), 1e-6, "forward_over_reverse vs finite differences");

    std::size_t const n = x0.size();
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            for (auto const* h : {&fr, &ff, &rr}) {
                double const a = h->flat(i * n + j), b = h->flat(j * n + i);
                CHECK(std::abs(a - b) <= 1e-12 * (1 + std::abs(b)));
            }
        }
    }

    xt::xarray<double> const v =
        random_tensor(shape_v(x0.shape().begin(), x0.shape().end()), rng, -1, 1);
    auto const [value, hv] = hvp(f, at(x0), v);
    check_close(value, eval(f(var<"x">(x0))), 1e-15, "hvp's value");
    auto hv_want = xt::xarray<double>::from_shape(v.shape());
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < n; ++j) {
            s += ff.flat(i * n + j) * v.flat(j);
        }
        hv_want.flat(i) = s;
    }
    check_close(hv, hv_want, 1e-12, "hvp vs H v");
}

} // namespace

TEST_CASE("the three routes agree with each other and with finite differences of the gradient") {
    std::mt19937 rng(20240611);
    SUBCASE("R^(2x3): a reduction over an axis, broadcasting, norm and mean of all elements") {
        xt::xarray<double> const A = random_tensor({2, 3}, rng, -1, 1);
        auto const f = [&A](auto const& x) {
            return sum(tanh(sum(A * x, {1}))) + norm(x) * mean(x);
        };
        check_routes(f, random_tensor({2, 3}, rng, -1, 1), rng);
    }
    SUBCASE("R^9: more columns than one pass of 8 tangents, a dense Hessian") {
        xt::xarray<double> const c = random_tensor({9}, rng, -1, 1);
        auto const f = [&c](auto const& x) { return pow<2>(sum(sin(c * x))) + x(0) * x(8); };
        check_routes(f, random_tensor({9}, rng, -1, 1), rng);
    }
}

TEST_CASE("a Hessian has shape x.shape + x.shape: () for a 0-d input, (2, 2, 2, 2) for (2, 2)") {
    auto const f = [](auto const& x) { return sum(sin(x) * x * x); };
    xt::xarray<double> const s = 0.7;
    REQUIRE(s.dimension() == 0);
    xt::xarray<double> const h0 = hessian(f, at(s));
    CHECK(h0.shape() == shape_v{});
    CHECK(hessian<route::forward_over_forward>(f, at(s)).shape() == shape_v{});
    CHECK(hessian<route::reverse_over_reverse>(f, at(s)).shape() == shape_v{});
    // d^2/dx^2 x^2 sin x = 2 sin x + 4 x cos x - x^2 sin x
    double const want = 2 * std::sin(0.7) + 4 * 0.7 * std::cos(0.7) - 0.49 * std::sin(0.7);
    CHECK(std::abs(h0() - want) <= 1e-14);

    xt::xarray<double> const m = {{0.1, -0.4}, {0.8, 0.3}};
    shape_v const four{2, 2, 2, 2};
    xt::xarray<double> const h = hessian(f, at(m));
    CHECK(h.shape() == four);
    CHECK(hessian<route::forward_over_forward>(f, at(m)).shape() == four);
    CHECK(hessian<route::reverse_over_reverse>(f, at(m)).shape() == four);
    // f is a sum of one-variable terms: H is diagonal, H(i, j, i, j) = f''(m(i, j)).
    for (std::size_t i = 0; i < 2; ++i) {
        for (std::size_t j = 0; j < 2; ++j) {
            for (std::size_t k = 0; k < 2; ++k) {
                for (std::size_t l = 0; l < 2; ++l) {
                    double const x = m(i, j);
                    double const d = 2 * std::sin(x) + 4 * x * std::cos(x) - x * x * std::sin(x);
                    CHECK(std::abs(h(i, j, k, l) - (i == k && j == l ? d : 0.0)) <= 1e-14);
                }
            }
        }
    }
}
