// jacfwd, jacrev, jacobian, jvp, vjp: the notebook's Jacobian cells, and all routes agreeing.
#include <xtad/functional.hpp>

#include "support/same_numbers.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace xtad;

namespace {

/// The notebook's function: z = [x0^2 + x1^3, x0^3 + x1^2].
auto const notebook = [](auto const& x) {
    return stack(pow<2>(x(0)) + pow<3>(x(1)), pow<3>(x(0)) + pow<2>(x(1)));
};

void check_close(xt::xarray<double> const& got, xt::xarray<double> const& want, double tol) {
    REQUIRE(got.shape() == want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(std::abs(got.flat(i) - want.flat(i)) <= tol * (1 + std::abs(want.flat(i))));
    }
}

} // namespace

TEST_CASE("the notebook: z = [9, 5] and J = [[2, 12], [3, 4]] at x = [1, 2], every way") {
    xt::xarray<double> const x0 = {1., 2.};
    xt::xarray<double> const J = {{2., 12.}, {3., 4.}};
    auto x = var<"x">(x0);
    auto z = notebook(x);
    CHECK(eval(z) == xt::xarray<double>{9., 5.});
    // The notebook's loop: row i of J is the gradient of z[i].
    xt::xarray<double> loop = xt::zeros<double>({2, 2});
    for (std::size_t i = 0; i < 2; ++i) {
        xt::view(loop, i) = std::get<0>(grad(index(z, i), wrt(x)));
    }
    CHECK(loop == J);
    CHECK(jacfwd(notebook, at(x0)) == J);
    CHECK(jacfwd<1>(notebook, at(x0)) == J);
    CHECK(jacrev(notebook, at(x0)) == J);
    CHECK(jacobian(notebook, at(x0)) == J);
    auto [y, t] = jvp(notebook, at(x0), xt::xarray<double>{1., 0.5});
    CHECK(y == xt::xarray<double>{9., 5.});
    CHECK(t == xt::xarray<double>{8., 5.});
    auto [y2, u] = vjp(notebook, at(x0), xt::xarray<double>{1., 0.5});
    CHECK(y2 == xt::xarray<double>{9., 5.});
    CHECK(u == xt::xarray<double>{3.5, 14.});
}

TEST_CASE("Jacobians have shape out.shape + in.shape, and one block per input") {
    auto const f = [](auto const& a, auto const& b) { return sin(a) * b + sum(a * a); };
    xt::xarray<double> const a0 = {{0.3, 0.7, 1.1}, {-0.2, 0.4, 0.9}};
    xt::xarray<double> const b0 = {2., -1., 0.5};
    auto [fa, fb] = jacfwd(f, at(a0, b0));
    auto [ra, rb] = jacrev(f, at(a0, b0));
    auto [ja, jb] = jacobian(f, at(a0, b0));
    CHECK(fa.shape() == std::vector<std::size_t>{2, 3, 2, 3});
    CHECK(fb.shape() == std::vector<std::size_t>{2, 3, 3});
    check_close(fa, ra, 1e-12);
    check_close(fb, rb, 1e-12);
    check_close(ja, ra, 1e-12);
    check_close(jb, rb, 1e-12);
    // d out[i, j] / d b[k] = sin(a[i, j]) [j == k]
    CHECK(fb(1, 2, 2) == doctest::Approx(std::sin(0.9)));
    CHECK(fb(1, 2, 1) == 0.);
}

TEST_CASE("random smooth functions R^n -> R^m: forward, reverse, jacobian and the loop agree") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (std::size_t n : {1u, 3u, 10u}) {
        for (std::size_t m : {1u, 4u, 12u}) {
            xt::xarray<double> A(std::vector<std::size_t>{m, n});
            for (auto& v : A) {
                v = u(rng);
            }
            xt::xarray<double> x0(std::vector<std::size_t>{n});
            for (auto& v : x0) {
                v = u(rng);
            }
            // f(x) = tanh(A sin(x) broadcast) summed per row, plus a coupling through sum(x^2).
            auto const f = [&](auto const& x) {
                return sum(tanh(A * sin(x)) * exp(-0.5 * x), {1}) + sqrt(sum(x * x) + 1.0);
            };
            auto const J_rev = jacrev(f, at(x0));
            INFO("n = " << n << ", m = " << m);
            check_close(jacfwd(f, at(x0)), J_rev, 1e-12);
            check_close(jacfwd<4>(f, at(x0)), J_rev, 1e-12);
            check_close(jacobian(f, at(x0)), J_rev, 1e-12);
            auto x = var<"x">(x0);
            auto y = f(x);
            for (std::size_t i = 0; i < m; ++i) {
                auto [row] = grad(index(y, i), wrt(x));
                for (std::size_t j = 0; j < n; ++j) {
                    CHECK(std::abs(row(j) - J_rev(i, j)) <= 1e-12 * (1 + std::abs(J_rev(i, j))));
                }
            }
        }
    }
}

TEST_CASE("bad input: a tangent of the wrong shape") {
    xt::xarray<double> const x0 = {1., 2.};
    CHECK_THROWS_WITH_AS(jvp(notebook, at(x0), xt::xarray<double>{1., 2., 3.}),
                         "xtad::jvp: the tangent has shape (3,) but the input has shape (2,)",
                         xtad::error);
    CHECK_THROWS_WITH_AS(
        vjp(notebook, at(x0), xt::xarray<double>{1.}),
        "xtad::vjp: the cotangent has shape (1,) but the function's output has shape (2,)",
        xtad::error);
    CHECK_THROWS_WITH_AS(jacrev([](auto const& x) { return x(2); }, at(x0)),
                         "xtad::index: index (2) is out of range for a tensor of shape (2,)",
                         xtad::error);
}

TEST_CASE("jacobian() picks forward mode for few inputs, reverse mode for few outputs") {
    // The cost model is fitted to bench/fwd_vs_rev.cpp; these are the clear cases of that grid.
    CHECK(detail::forward_is_cheaper(2, 2));
    CHECK(detail::forward_is_cheaper(1, 1000));
    CHECK(detail::forward_is_cheaper(10, 100));
    CHECK(detail::forward_is_cheaper(100, 100));
    CHECK_FALSE(detail::forward_is_cheaper(100, 1));
    CHECK_FALSE(detail::forward_is_cheaper(100, 10));
    CHECK_FALSE(detail::forward_is_cheaper(1000, 100));
}

TEST_CASE("an input the function ignores has a zero block, in every mode") {
    auto const g = [](auto const& a, auto const&) { return sin(a); };
    xt::xarray<double> const a0 = {1., 2.};
    xt::xarray<double> const b0 = {3.};
    auto [fa, fb] = jacfwd(g, at(a0, b0));
    auto [ra, rb] = jacrev(g, at(a0, b0));
    CHECK(fb == xt::zeros<double>({2, 1}));
    CHECK(rb == xt::zeros<double>({2, 1}));
    check_close(fa, ra, 1e-15);
}

namespace {

/// Functions written element by element (trees of numbers), with edges: a root, a quotient, a
/// branch, powers, ties and bounds.
auto const residual = [](auto const& x) {
    return stack(sqrt(x(0)) * x(1), x(0) / x(1), where(x(0) > 0., log(x(0)), x(1) * x(1)),
                 pow(x(0), x(1)) + abs(x(1)), maximum(x(0), x(1)) * clamp(x(1), -0.5, 0.7),
                 exp(x(0) * x(1)) - atan2(x(0), 1. + x(1)));
};
/// Every elementwise op, element by element: each op's rule as the sweep evaluates it.
auto const every_op = [](auto const& x) {
    auto const a = x(0);
    auto const b = x(1);
    return stack(pow<3>(a) * b, pow(a, b), square(b), sqrt(a), cbrt(b), exp(a) * expm1(b),
                 log(a) + log1p(b), log2(a) - log10(b), sin(a) * cos(b), tan(a), asin(b), acos(b),
                 atan(a), sinh(a) * cosh(b), tanh(a), asinh(b), acosh(a), atanh(b), atan2(a, b),
                 abs(b) * sign(a), minimum(a, b), maximum(a, b), clamp(a, 0.5, 1.5),
                 sigmoid(b) * erf(a), -a / b);
};
auto const loss = [](auto const& x) {
    return 100. * pow<2>(x(1) - pow<2>(x(0))) + pow<2>(1. - x(0)) + sqrt(x(1)) / x(0);
};

/// The gradient of y with respect to x by the adjoint pass, which grad takes for every tree but
/// one of numbers (that it sweeps).
template <class E, class L, class S>
xt::xarray<double> adjoint_pass(E const& y, L const& x, S const& seed) {
    std::tuple<xt::xarray<double>> out;
    detail::adjoint_pass_into(out, y, wrt(x), seed, "grad");
    return std::get<0>(out);
}

} // namespace

TEST_CASE("a function written element by element: grad, jacrev, vjp and value_and_grad sweep it "
          "as the adjoint pass differentiates it") {
    // These record such a tree's values once and sweep each seed to the leaves
    // (reverse/sweep.hpp); the adjoint pass is called directly. Every point, the edges included
    // (a root at 0, a division by 0, infinities, NaN), gives the same numbers.
    double const inf = std::numeric_limits<double>::infinity();
    double const nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<xt::xarray<double>> const points = {{2.5, -0.3}, {0., 1.},  {1., 0.},  {0., 0.},
                                                    {-1., 2.},   {inf, 2.}, {nan, 1.}, {0.7, 0.7}};
    for (auto const& p : points) {
        INFO("x = " << p);
        auto x = var<"x">(p);
        auto const y = residual(x);
        static_assert(detail::sweeps<double, std::remove_cvref_t<decltype(y)>>);
        static_assert(detail::grad_sweeps<std::remove_cvref_t<decltype(y)>, xt::xarray<double>,
                                          std::tuple<xt::xarray<double>>>);
        xt::xarray<double> rows(std::vector<std::size_t>{6, 2});
        for (std::size_t i = 0; i < 6; ++i) {
            xt::xarray<double> seed = xt::zeros<double>({6});
            seed(i) = 1.;
            xt::view(rows, i) = adjoint_pass(y, x, seed);
            check_same_numbers(std::get<0>(grad(y, wrt(x), seed)),
                               xt::xarray<double>(xt::view(rows, i)));
        }
        check_same_numbers(jacrev(residual, at(p)), rows);
        auto const [value, J] = detail::value_and_jacrev_impl<true>(residual, at(p));
        check_same_numbers(J, rows);
        CHECK(xt::all(xt::equal(value, eval(y)) || (xt::isnan(value) && xt::isnan(eval(y)))));
        xt::xarray<double> const w = {0.5, -1., 2., 0., 1., 3.};
        auto const [vy, vg] = vjp(residual, at(p), w);
        check_same_numbers(vg, adjoint_pass(y, x, w));
        auto const l = loss(x);
        static_assert(detail::sweeps<double, std::remove_cvref_t<decltype(l)>>);
        auto const [lv, lg] = value_and_grad(loss, at(p));
        check_same_numbers(lg, adjoint_pass(l, x, ones{l.shape()}));
        // grad, grad_into and backward sweep it too, with one leaf or two.
        check_same_numbers(std::get<0>(grad(l, wrt(x))), lg);
        xt::xarray<double> into;
        grad_into(std::tie(into), l, wrt(x));
        check_same_numbers(into, lg);
        x.zero_grad();
        backward(l);
        backward(l);
        check_same_numbers(x.grad(), 2. * lg);
        CHECK((lv() == eval(l)() || (std::isnan(lv()) && std::isnan(eval(l)()))));
    }
    // Every elementwise op, at points inside their domains, at their edges (acosh at 1, atanh
    // and asin at 1, ties of minimum and maximum, a clamp bound) and outside them.
    for (xt::xarray<double> const& p :
         {xt::xarray<double>{1.3, 0.4}, xt::xarray<double>{1., 1.}, xt::xarray<double>{1.5, 0.},
          xt::xarray<double>{0.5, -2.}}) {
        INFO("x = " << p);
        auto x = var<"x">(p);
        auto const y = every_op(x);
        static_assert(detail::sweeps<double, std::remove_cvref_t<decltype(y)>>);
        std::size_t const m = y.shape()[0];
        xt::xarray<double> rows(std::vector<std::size_t>{m, 2});
        for (std::size_t i = 0; i < m; ++i) {
            xt::xarray<double> seed = xt::zeros<double>({m});
            seed(i) = 1.;
            xt::view(rows, i) = adjoint_pass(y, x, seed);
        }
        check_same_numbers(jacrev(every_op, at(p)), rows);
    }
    // grad of two leaves, and grad_into a leaf's own tensor (an update in
    // place): every value is recorded before a gradient is written.
    {
        auto u = var<"u">(xt::xarray<double>{0.5, -1.5, 2.});
        auto s = var<"s">(xt::xarray<double>{3.});
        auto const f = u(0) * s(0) * s(0) + sin(u(2)) / u(1);
        static_assert(detail::grad_sweeps<std::remove_cvref_t<decltype(f)>, ones,
                                          std::tuple<xt::xarray<double>, xt::xarray<double>>>);
        auto const [gu, gs] = grad(f, wrt(u, s));
        check_same_numbers(gu, adjoint_pass(f, u, ones{{}}));
        check_same_numbers(gs, adjoint_pass(f, s, ones{{}}));
        xt::xarray<double> const want_u = gu;
        xt::xarray<double> into_s;
        grad_into(std::tie(u.value(), into_s), f, wrt(u, s));
        check_same_numbers(u.value(), want_u);
        CHECK(into_s(0) == 2. * 0.5 * 3.);
    }
    // Two inputs, and an input the function does not read (zeros, as torch's strict=False).
    xt::xarray<double> const a0 = {0.3, -1.2}, b0 = {2., 0., 5.};
    auto const g = [](auto const& a, auto const& b) {
        return stack(a(0) * b(1), sin(a(1)) / b(0), b(2) * b(2));
    };
    auto const [ja, jb] = jacrev(g, at(a0, b0));
    CHECK(ja == xt::xarray<double>{{0., 0.}, {0., std::cos(-1.2) / 2.}, {0., 0.}});
    CHECK(jb == xt::xarray<double>{{0., 0.3, 0.}, {-std::sin(-1.2) / 4., 0., 0.}, {0., 0., 10.}});
    auto const [ua, ub] =
        jacrev([](auto const& a, auto const&) { return stack(a(0), a(1)); }, at(a0, b0));
    CHECK(ua == xt::xarray<double>{{1., 0.}, {0., 1.}});
    CHECK(ub == xt::zeros<double>({2, 3}));
}
