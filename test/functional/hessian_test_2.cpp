// hessian and hvp: the parts of x that f ignores, a linear function, and misuse (a non-scalar
// function, a vector of the wrong shape). The routes themselves are checked in hessian_test.cpp.
#include <xtad/functional.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
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
