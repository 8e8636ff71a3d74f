// hessian and hvp: the parts of x that f ignores, a linear function, and misuse (a non-scalar
// function, a vector of the wrong shape). The routes themselves are checked in hessian_test.cpp.
#include <xtad/functional.hpp>

#include "support/same_numbers.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>

using namespace xtad;

namespace {

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

/// A function of x in R^4 that uses x0 and x2 only.
auto const ignores_x1_x3 = [](auto const& x) { return x(0) * x(0) * x(2) + sin(x(2)); };

} // namespace

TEST_CASE("the parts of x that f ignores have zero rows and columns") {
    auto const& f = ignores_x1_x3;
    xt::xarray<double> const x0 = {0.5, 1.5, -0.25, 2.0};
    // H = [[2 x2, 0, 2 x0, 0], 0, [2 x0, 0, -sin x2, 0], 0]
    xt::xarray<double> const want = {{2 * -0.25, 0., 2 * 0.5, 0.},
                                     {0., 0., 0., 0.},
                                     {2 * 0.5, 0., -std::sin(-0.25), 0.},
                                     {0., 0., 0., 0.}};
    check_close(hessian(f, at(x0)), want, 1e-15, "forward_over_reverse");
    check_close(hessian<route::forward_over_forward>(f, at(x0)), want, 1e-15,
                "forward_over_forward");
    check_close(hessian<route::reverse_over_reverse>(f, at(x0)), want, 1e-15,
                "reverse_over_reverse");
    auto const [value, hv] = hvp(f, at(x0), xt::xarray<double>{1., 1., 1., 1.});
    check_close(hv, xt::xarray<double>{-0.5 + 1., 0., 1. - std::sin(-0.25), 0.}, 1e-15, "hvp");
}

TEST_CASE("a linear function has a zero Hessian by every route") {
    xt::xarray<double> const c = {1.5, -2., 0.25};
    auto const f = [&c](auto const& x) { return sum(c * x); };
    xt::xarray<double> const x0 = {0.3, -0.7, 1.1};
    xt::xarray<double> const zero = xt::zeros<double>({3, 3});
    CHECK(hessian(f, at(x0)) == zero);
    CHECK(hessian<route::forward_over_forward>(f, at(x0)) == zero);
    CHECK(hessian<route::reverse_over_reverse>(f, at(x0)) == zero);
    auto const [value, hv] = hvp(f, at(x0), x0);
    CHECK(hv == xt::xarray<double>(xt::zeros<double>({3})));
}

TEST_CASE("hessian and hvp of a function with a non-scalar result throw, naming the shape") {
    auto const f = [](auto const& x) { return sin(x); };
    xt::xarray<double> const x0 = {{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}};
    auto const names = [](std::string const& msg, char const* op) {
        CHECK_MESSAGE(msg.find(op) != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("(2, 3)") != std::string::npos, msg);
    };
    CHECK_THROWS_AS(hessian(f, at(x0)), error);
    CHECK_THROWS_AS(hessian<route::forward_over_forward>(f, at(x0)), error);
    CHECK_THROWS_AS(hessian<route::reverse_over_reverse>(f, at(x0)), error);
    CHECK_THROWS_AS(hvp(f, at(x0), x0), error);
    try {
        hessian(f, at(x0));
    } catch (error const& e) {
        names(e.what(), "xtad::hessian");
    }
    try {
        hessian<route::reverse_over_reverse>(f, at(x0));
    } catch (error const& e) {
        names(e.what(), "xtad::hessian");
    }
    try {
        hvp(f, at(x0), x0);
    } catch (error const& e) {
        names(e.what(), "xtad::hvp");
    }
}

TEST_CASE("hvp with a vector of the wrong shape throws, naming both shapes") {
    auto const& f = ignores_x1_x3;
    xt::xarray<double> const x0 = {0.5, 1.5, -0.25, 2.0};
    xt::xarray<double> const v = xt::ones<double>({2, 2});
    CHECK_THROWS_AS(hvp(f, at(x0), v), error);
    try {
        hvp(f, at(x0), v);
    } catch (error const& e) {
        std::string const msg = e.what();
        CHECK_MESSAGE(msg.find("xtad::hvp") != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("(2, 2)") != std::string::npos, msg);
        CHECK_MESSAGE(msg.find("(4,)") != std::string::npos, msg);
    }
}

TEST_CASE("the Jacobian of a gradient is the Hessian: jacfwd, jacrev and jacobian of derivative") {
    // The gradient as a function, written as a user would: derivative() of a temporary tree.
    // jacfwd runs it on dual numbers (forward over reverse), jacrev differentiates the
    // derivative's tree again (reverse over reverse).
    auto const f = [](auto const& x) { return sum(pow<2>(x) * sin(x)) + prod(x) * x(0); };
    auto const gradient = [&](auto const& x) { return derivative(f(x), wrt(x)); };
    xt::xarray<double> const x0 = {0.5, -1.25, 2., 0.};
    xt::xarray<double> const h = hessian(f, at(x0));
    // x^2 sin x on the diagonal; prod(x) x0 = x0^2 x1 x2 x3 is 0 in every second derivative but
    // those in x0 and x3 (x3 = 0 is the zero of the products): 2 x0 x1 x2 at (0, 3),
    // x0^2 x2 at (1, 3) and x0^2 x1 at (2, 3).
    xt::xarray<double> want = xt::zeros<double>({4, 4});
    for (std::size_t i = 0; i < 4; ++i) {
        double const x = x0(i);
        want(i, i) = 2 * std::sin(x) + 4 * x * std::cos(x) - x * x * std::sin(x);
    }
    want(0, 3) = want(3, 0) = 2 * x0(0) * x0(1) * x0(2);
    want(1, 3) = want(3, 1) = x0(0) * x0(0) * x0(2);
    want(2, 3) = want(3, 2) = x0(0) * x0(0) * x0(1);
    check_close(h, want, 1e-14, "hessian");
    check_close(jacfwd(gradient, at(x0)), want, 1e-14, "jacfwd of the gradient");
    check_close(jacrev(gradient, at(x0)), want, 1e-14, "jacrev of the gradient");
    check_close(jacobian(gradient, at(x0)), want, 1e-14, "jacobian of the gradient");
}

namespace {

/// Every elementwise op in one scalar function of x(0) and x(1), and a loss with edges: trees of
/// numbers, which hessian and hvp sweep on their dual numbers (reverse/sweep.hpp).
auto const every_op_sum = [](auto const& x) {
    auto const a = x(0);
    auto const b = x(1);
    return pow<3>(a) * b + pow(a, b) + square(b) + sqrt(a) + cbrt(b) + exp(a) * expm1(b) + log(a)
           + log1p(b) + log2(a) - log10(b) + sin(a) * cos(b) + tan(a) + asin(b) + acos(b) + atan(a)
           + sinh(a) * cosh(b) + tanh(a) + asinh(b) + acosh(a) + atanh(b) + atan2(a, b)
           + abs(b) * sign(a) + minimum(a, b) + maximum(a, b) + clamp(a, 0.5, 1.5)
           + sigmoid(b) * erf(a) - a / b + where(a > b, a * b, b / a);
};
auto const edgy_loss = [](auto const& x) {
    return 100. * pow<2>(x(1) - pow<2>(x(0))) + pow<2>(1. - x(0)) + sqrt(x(1)) / x(0);
};

/// Column j of the Hessian of f at p (p has 2 elements) by the adjoint pass on dual numbers:
/// grad of f at the point with tangent e_j, as the forward-over-reverse route ran it before it
/// swept such trees; with `v`, H v the same way.
template <class F>
xt::xarray<double> adjoint_pass_hvp(F const& f, xt::xarray<double> const& p,
                                    xt::xarray<double> const& v) {
    using D = dual<double, 1>;
    xt::xarray<D> const pd = {D(p(0), {v(0)}), D(p(1), {v(1)})};
    auto x = var<"x">(pd);
    auto const [g] = grad(f(x), wrt(x));
    return xt::xarray<double>{g(0).eps[0], g(1).eps[0]};
}

} // namespace

TEST_CASE("a function written element by element: hessian and hvp sweep it on dual numbers as "
          "the adjoint pass differentiates it, at an xarray and at a fixed-size point") {
    // Every point, the edges included (roots and logs at 0, a division by 0, infinities, NaN,
    // the bounds of asin, acosh and atanh, ties of minimum and maximum), gives the same numbers.
    double const inf = std::numeric_limits<double>::infinity();
    double const nan = std::numeric_limits<double>::quiet_NaN();
    xt::xarray<double> const e0 = {1., 0.};
    xt::xarray<double> const e1 = {0., 1.};
    xt::xarray<double> const v = {0.5, -1.};
    auto const check = [&](auto const& f, xt::xarray<double> const& p) {
        using D = detail::tangent_t<decltype(f), double, 1>;
        auto const leaf = detail::input_leaf<0>(xt::xarray<D>(xt::zeros<D>({2})));
        static_assert(detail::sweeps_duals<D, std::remove_cvref_t<decltype(f(leaf))>>);
        xt::xarray<double> const h = hessian(f, at(p));
        xt::xarray<double> const c0 = adjoint_pass_hvp(f, p, e0);
        xt::xarray<double> const c1 = adjoint_pass_hvp(f, p, e1);
        xt::xarray<double> const want = {{c0(0), c1(0)}, {c0(1), c1(1)}};
        check_same_numbers(h, want);
        // At a fixed-size point: fixed-size leaves of duals with 2 tangents, the same numbers.
        xt::xtensor_fixed<double, xt::xshape<2>> const pf = p;
        auto const hf = hessian(f, at(pf));
        static_assert(std::is_same_v<std::remove_cv_t<decltype(hf)>,
                                     xt::xtensor_fixed<double, xt::xshape<2, 2>>>);
        check_same_numbers(hf, want);
        auto const [value_f, hv_f] = hvp(f, at(pf), v);
        check_same_numbers(hv_f, adjoint_pass_hvp(f, p, v));
        auto const [value, hv] = hvp(f, at(p), v);
        check_same_numbers(hv, adjoint_pass_hvp(f, p, v));
        double const y = eval(f(var<"x">(p)))();
        CHECK((value() == y || (std::isnan(value()) && std::isnan(y))));
        CHECK((value_f() == y || (std::isnan(value_f()) && std::isnan(y))));
    };
    for (xt::xarray<double> const& p :
         {xt::xarray<double>{1.3, 0.4}, xt::xarray<double>{1., 1.}, xt::xarray<double>{1.5, 0.},
          xt::xarray<double>{0.5, -2.}, xt::xarray<double>{2.5, -0.3}, xt::xarray<double>{0., 1.},
          xt::xarray<double>{1., 0.}, xt::xarray<double>{0., 0.}, xt::xarray<double>{-1., 2.},
          xt::xarray<double>{inf, 2.}, xt::xarray<double>{nan, 1.}, xt::xarray<double>{0.7, 0.7}}) {
        INFO("x = " << p);
        check(every_op_sum, p);
        check(edgy_loss, p);
    }
}
