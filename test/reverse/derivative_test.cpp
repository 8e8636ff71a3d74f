// Tests xtad::derivative: the adjoint as an expression (torch's create_graph=True), evaluated,
// printed and differentiated again.
#include <xtad/functional.hpp>
#include <xtad/io.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <tuple>

namespace {

using namespace xtad;
using xt::xarray;

bool all_close(xarray<double> const& got, xarray<double> const& want, double tol = 1e-12) {
    if (got.shape() != want.shape()) {
        return false;
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (std::abs(got.flat(i) - want.flat(i)) > tol * (1 + std::abs(want.flat(i)))) {
            return false;
        }
    }
    return true;
}

xarray<double> random(std::vector<std::size_t> const& shape, double lo, double hi,
                      std::mt19937& rng) {
    xarray<double> x = xarray<double>::from_shape(shape);
    std::uniform_real_distribution<double> u(lo, hi);
    for (auto& v : x) {
        v = u(rng);
    }
    return x;
}

TEST_CASE("derivative: the notebook's Q, its printed forms and d2Q/da2") {
    auto a = var<"a">(xarray<double>{{1., 2.}, {3., 4.}});
    auto b = var<"b">(xarray<double>{{4., 5.}, {6., 7.}});
    auto Q = 3 * pow<3>(a) - pow<2>(b);

    auto dQ_da = derivative(Q, wrt(a), ones_like(Q));
    CHECK(to_string(dQ_da) == "9*a^2");
    CHECK(eval(dQ_da) == xarray<double>{{9., 36.}, {81., 144.}});
    CHECK(to_string(derivative(Q, wrt(b), ones_like(Q))) == "-2*b");

    auto d2Q_da2 = derivative(dQ_da, wrt(a), ones_like(a));
    CHECK(to_string(d2Q_da2) == "18*a");
    CHECK(eval(d2Q_da2) == xarray<double>{{18., 36.}, {54., 72.}});

    // Third order: a constant, still of a's shape.
    auto d3 = derivative(d2Q_da2, wrt(a), ones_like(a));
    CHECK(to_string(d3) == "18");
    CHECK(eval(d3) == xarray<double>{{18., 18.}, {18., 18.}});

    // The expression reads the leaves when evaluated: a new value of a, a new derivative.
    a.value() = xarray<double>{{0., 1.}, {-1., 2.}};
    CHECK(eval(dQ_da) == xarray<double>{{0., 9.}, {9., 36.}});
}

TEST_CASE("derivative: several leaves give a tuple; mixed second derivatives") {
    auto x = var<"x">(xarray<double>{0.5, -1.5, 2.});
    auto y = var<"y">(xarray<double>{1.5, 0.25, -0.75});
    auto f = sum(sin(x) * exp(y) + x * x * y);
    auto [dx, dy] = derivative(f, wrt(x, y));
    // d/dy of (cos(x) e^y + 2 x y) = cos(x) e^y + 2 x, elementwise: the mixed block is diagonal.
    xarray<double> const e1 = {0., 1., 0.};
    auto dxy = derivative(dx, wrt(y), e1);
    xarray<double> want = xt::zeros<double>({3});
    want(1) = std::cos(-1.5) * std::exp(0.25) + 2 * -1.5;
    CHECK(all_close(eval(dxy), want));
    auto dyx = derivative(dy, wrt(x), e1);
    CHECK(all_close(eval(dyx), want));
}

TEST_CASE("derivative: equals grad, on broadcasts, reductions, stacks, slices and where") {
    std::mt19937 rng(7);
    auto a = var<"a">(random({3}, 0.5, 1.5, rng));
    auto b = var<"b">(random({2, 3}, -1, 1, rng));
    xarray<double> const w = random({2, 3}, -1, 1, rng);
    auto check = [&](auto const& e, auto const& seed) {
        auto const [ga, gb] = grad(e, wrt(a, b), seed);
        auto const [da, db] = derivative(e, wrt(a, b), seed);
        CHECK(all_close(eval(da), ga));
        CHECK(all_close(eval(db), gb));
    };
    check(a * b + sin(a), w);
    check(where(b > 0, a * b, exp(b)), w);
    check(b * sum(a * a) + mean(b, {0}) * a, w);
    check(stack(a * b(0, 1), cos(a)) * b, w);
    xarray<double> const ww = xt::concatenate(xt::xtuple(w, w), 1);
    check(concatenate(1, b, a * b) * concatenate(1, b, b), ww);
    check(reshape(b * a, {3, 2}) * 2, xarray<double>{{1., 2.}, {3., 4.}, {5., 6.}});
    check(norm(b, {0}) * a + prod(a) * sum(b), xarray<double>{1., -2., 0.5});
}

TEST_CASE("derivative: broadcasting is undone, and printed as a sum") {
    auto a = var<"a">(xarray<double>{1., 2., 3.});
    auto b = var<"b">(xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto da = derivative(a * b, wrt(a), ones_like(b));
    CHECK(to_string(da) == "sum_to(b, (3,))");
    CHECK(eval(da) == xarray<double>{5., 7., 9.});
    // d/da sum_to(a^2 b) = 2 sum_to(b), seeded with ones: the seed is broadcast back first.
    auto da2 = derivative(derivative(pow<2>(a) * b, wrt(a), ones_like(b)), wrt(a), ones_like(a));
    CHECK(eval(da2) == xarray<double>{10., 14., 18.});
}

TEST_CASE("derivative: reverse over reverse equals the other routes' Hessian") {
    std::mt19937 rng(11);
    xarray<double> const x0 = random({2, 3}, -1, 1, rng);
    auto f = [](auto const& x) {
        return sum(stack(x(0, 0) * x, sin(x)) * 2) + norm(concatenate(0, x, exp(x)))
               + index(mean(pow<3>(x), {1}), 1) + sum(where(x > 0, x * x, -x));
    };
    auto const h_fr = hessian(f, at(x0));
    auto const h_rr = hessian<route::reverse_over_reverse>(f, at(x0));
    auto const h_ff = hessian<route::forward_over_forward>(f, at(x0));
    CHECK(all_close(h_rr, h_fr, 1e-12));
    CHECK(all_close(h_ff, h_fr, 1e-12));
}

TEST_CASE("derivative: a seed of the wrong shape is an error naming both shapes") {
    auto a = var<"a">(xarray<double>{1., 2.});
    xarray<double> const seed = {1., 2., 3.};
    CHECK_THROWS_WITH_AS(derivative(a * a, wrt(a), seed),
                         "xtad::derivative: the seed has shape (3,) but the expression has shape "
                         "(2,); pass a seed of the expression's shape",
                         error);
    CHECK_THROWS_AS(derivative(a * a, wrt(a)), error);
}

TEST_CASE("derivative: the printed derivative of each elementwise family") {
    auto x = var<"x">(xarray<double>(0.5));
    CHECK(to_string(derivative(exp(x), wrt(x))) == "exp(x)");
    CHECK(to_string(derivative(sin(x) * x, wrt(x))) == "x*cos(x) + sin(x)");
    CHECK(to_string(derivative(derivative(pow<4>(x), wrt(x)), wrt(x))) == "12*x^2");
    CHECK(to_string(derivative(log(x), wrt(x))) == "1/x");
}

} // namespace
