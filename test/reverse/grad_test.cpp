// grad and backward: the notebook's first-order cells, torch's accumulation, broadcasting,
// unused leaves, and the runtime errors.
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include "support/error_of.hpp"

#include <cmath>
#include <limits>
#include <string>

using namespace xtad;

namespace {

template <class A, class B>
void check_equal(A const& got, B const& want) {
    REQUIRE(std::equal(got.shape().begin(), got.shape().end(), want.shape().begin(),
                       want.shape().end()));
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(got.flat(i) == doctest::Approx(want.flat(i)).epsilon(1e-12));
    }
}

} // namespace

TEST_CASE("the notebook: backward() on a one-element output") {
    auto a = var<"a">(xt::xarray<double>{1.});
    auto b = var<"b">(xt::xarray<double>{4.});
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    check_equal(eval(Q), xt::xarray<double>{-13.});
    backward(Q);
    CHECK(a.grad() == xt::xarray<double>{9.});
    CHECK(b.grad() == xt::xarray<double>{-8.});
}

TEST_CASE("the notebook: grad with grad_outputs on matrices") {
    auto a = var<"a">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = var<"b">(xt::xarray<double>{{4., 5.}, {6., 7.}});
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    CHECK(eval(Q) == xt::xarray<double>{{-13., -1.}, {45., 143.}});
    auto [dQ_da, dQ_db] = grad(Q, wrt(a, b), ones_like(Q));
    CHECK(dQ_da == xt::xarray<double>{{9., 36.}, {81., 144.}});
    CHECK(dQ_db == xt::xarray<double>{{-8., -10.}, {-12., -14.}});
    auto [db_only] = grad(Q, wrt(b), xt::ones_like(b.value()));
    CHECK(db_only == dQ_db);
    auto [g] = grad(sum(Q), wrt(a));
    CHECK(g == dQ_da);
}

TEST_CASE("backward accumulates into .grad() as torch does, and zero_grad resets it") {
    auto a = var<"a">(xt::xarray<double>{1., 2.});
    auto Q = sum(a * a);
    CHECK_FALSE(a.has_grad());
    CHECK(error_of([&] { (void)a.grad(); }).find("no gradient yet") != std::string::npos);
    backward(Q);
    CHECK(a.grad() == xt::xarray<double>{2., 4.});
    backward(Q);
    CHECK(a.grad() == xt::xarray<double>{4., 8.});
    a.zero_grad();
    CHECK(a.grad() == xt::xarray<double>{0., 0.});
    backward(Q, xt::xarray<double>(3.));
    CHECK(a.grad() == xt::xarray<double>{6., 12.});
}

TEST_CASE("a leaf used twice gets both contributions; each leaf gets its own") {
    auto x = var<"x">(xt::xarray<double>{0.5, -1.5, 2.});
    auto y = var<"y">(xt::xarray<double>{1., 2., 3.});
    auto e = x * sin(x) + y * x;
    auto [gx, gy] = grad(e, wrt(x, y), ones_like(e));
    xt::xarray<double> const xv = x.value();
    check_equal(gx, xt::xarray<double>(xt::sin(xv) + xv * xt::cos(xv) + y.value()));
    check_equal(gy, xv);
}

TEST_CASE("broadcasting is undone by summation") {
    auto a = var<"a">(xt::xarray<double>{1., 2., 3.});
    auto m = var<"m">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto s = var<"s">(xt::xarray<double>(2.));
    auto e = a * m + s;
    CHECK(e.shape() == shape_t{2, 3});
    auto [ga, gm, gs] = grad(e, wrt(a, m, s), ones_like(e));
    check_equal(ga, xt::xarray<double>{5., 7., 9.});
    check_equal(gm, xt::xarray<double>{{1., 2., 3.}, {1., 2., 3.}});
    check_equal(gs, xt::xarray<double>(6.));

    SUBCASE("a leaf that only broadcasts against a constant seed") {
        auto c = xt::xarray<double>{{1., 1., 1.}, {1., 1., 1.}};
        auto e2 = sin(a) + c;
        auto [g] = grad(e2, wrt(a), ones_like(e2));
        check_equal(g, xt::xarray<double>(2. * xt::cos(a.value())));
    }
    SUBCASE("a column against a row") {
        xt::xarray<double> column = {1., 2.};
        column.reshape({2, 1});
        auto col = var<"c">(column);
        auto e3 = col * a;
        xt::xarray<double> seed = {{1., 0., 2.}, {0., 1., 1.}};
        auto [gc, ga2] = grad(e3, wrt(col, a), seed);
        xt::xarray<double> want = {7., 5.};
        want.reshape({2, 1});
        check_equal(gc, want);
        check_equal(ga2, xt::xarray<double>{1., 2., 4.});
    }
}

TEST_CASE("reductions over axes and inside elementwise expressions") {
    auto x = var<"x">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto [g0] = grad(sum(sum(x, {0}) * xt::xarray<double>{1., 2., 3.}), wrt(x));
    check_equal(g0, xt::xarray<double>{{1., 2., 3.}, {1., 2., 3.}});
    auto [g1] = grad(sum(mean(x, {1}) * xt::xarray<double>{1., 2.}), wrt(x));
    check_equal(g1, xt::xarray<double>{{1. / 3, 1. / 3, 1. / 3}, {2. / 3, 2. / 3, 2. / 3}});
    // d/dx_i sum_j x_j * sum(x) = sum(x) + sum_j x_j = 2 sum(x)
    auto [g2] = grad(sum(x * sum(x)), wrt(x));
    check_equal(g2, xt::xarray<double>(xt::ones<double>({2, 3}) * 42.));
}

TEST_CASE("prod is exact at zeros; norm has gradient 0 at 0") {
    auto x = var<"x">(xt::xarray<double>{2., 0., 3.});
    auto [g] = grad(prod(x), wrt(x));
    check_equal(g, xt::xarray<double>{0., 6., 0.});
    auto z = var<"z">(xt::xarray<double>{0., 0.});
    auto [gz] = grad(norm(z), wrt(z));
    check_equal(gz, xt::xarray<double>{0., 0.});
}

TEST_CASE("the untaken branch of where never leaks NaN into the gradient") {
    auto x = var<"x">(xt::xarray<double>{-1., 0., 4.});
    auto e = where(x > 0., sqrt(x), 0. * x);
    auto const v = eval(e);
    CHECK(v(0) == 0.);
    CHECK(v(2) == 2.);
    auto [g] = grad(e, wrt(x), ones_like(e));
    CHECK(g(0) == 0.);
    CHECK(g(1) == 0.);
    CHECK(g(2) == doctest::Approx(0.25));
    auto e2 = where(x > 0., log(x), 2 * x);
    auto [g2] = grad(e2, wrt(x), ones_like(e2));
    CHECK(g2 == xt::xarray<double>{2., 2., 0.25});
}

TEST_CASE("allow_unused gives zeros for a leaf the expression does not use") {
    auto a = var<"a">(xt::xarray<double>{1., 2.});
    auto b = var<"b">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto e = sin(a);
    auto [ga, gb] = grad(e, wrt(a, b), ones_like(e), allow_unused);
    check_equal(ga, xt::xarray<double>(xt::cos(a.value())));
    CHECK(gb == xt::zeros<double>({2, 2}));
    // A leaf that appears only inside a comparison has no gradient through it.
    auto e2 = where(b > 2., b, 0. * b) + sum(a);
    auto [ga2] = grad(e2, wrt(a), ones_like(e2));
    check_equal(ga2, xt::xarray<double>{4., 4.});
}

TEST_CASE("generic in the value type and the container") {
    auto f = var<"f">(xt::xarray<float>{1.f, 2.f});
    auto ef = 3 * pow<3>(f) + 0.5;
    auto [gf] = grad(ef, wrt(f), ones_like(ef));
    static_assert(std::is_same_v<decltype(gf), xt::xarray<float>>);
    static_assert(std::is_same_v<decltype(eval(ef)), xt::xarray<float>>);
    CHECK(gf == xt::xarray<float>{9.f, 36.f});

    auto t = var<"t">(xt::xtensor<double, 2>{{1., 2.}, {3., 4.}});
    auto [gt] = grad(sum(t * t), wrt(t));
    static_assert(std::is_same_v<decltype(gt), xt::xtensor<double, 2>>);
    CHECK(gt == xt::xtensor<double, 2>{{2., 4.}, {6., 8.}});

    auto fx = var<"q">(xt::xtensor_fixed<double, xt::xshape<2>>{1., 2.});
    auto [gq] = grad(sum(exp(fx)), wrt(fx));
    static_assert(std::is_same_v<decltype(gq), xt::xtensor_fixed<double, xt::xshape<2>>>);
    CHECK(gq(1) == doctest::Approx(std::exp(2.)));
}

TEST_CASE("constants: numbers on either side, and plain xtensor tensors") {
    auto x = var<"x">(xt::xarray<double>{1., 2.});
    xt::xarray<double> const c{10., 20.};
    auto e = 2. / x + c * x - x / 4 + (1 - x);
    check_equal(eval(e), xt::xarray<double>{2. + 10 - 0.25, 1. + 40 - 0.5 - 1});
    auto [g] = grad(e, wrt(x), ones_like(e));
    check_equal(g, xt::xarray<double>{-2. + 10 - 0.25 - 1, -0.5 + 20 - 0.25 - 1});
}

TEST_CASE("a leaf's new value is seen by the next evaluation, reductions included") {
    auto x = var<"x">(xt::xarray<double>{1., 2.});
    auto e = x * sum(x);
    check_equal(eval(e), xt::xarray<double>{3., 6.});
    x.value() = xt::xarray<double>{2., 3.};
    check_equal(eval(e), xt::xarray<double>{10., 15.});
}

TEST_CASE("grad_into needs no seed for a one-element expression, as grad") {
    auto a = var<"a">(xt::xarray<double>{1., 2., 3.});
    auto b = var<"b">(xt::xarray<double>{4., 5., 6.});
    auto loss = sum(a * b + pow<2>(a));
    xt::xarray<double> da, db;
    grad_into(std::tie(da, db), loss, wrt(a, b));
    check_equal(da, xt::xarray<double>{6., 9., 12.}); // b + 2a
    check_equal(db, xt::xarray<double>{1., 2., 3.});  // a
    // A leaf of one element, of unknown size at compile time: checked at run time.
    auto c = var<"c">(xt::xarray<double>{2.});
    xt::xarray<double> dc;
    grad_into(std::tie(dc), 3. * pow<3>(c), wrt(c));
    check_equal(dc, xt::xarray<double>{36.});
    CHECK(error_of([&] { grad_into(std::tie(da), a * 2., wrt(a)); })
              .find("xtad::grad_into: the expression has shape (3,) (3 elements); without a seed "
                    "it needs exactly one element")
          == 0);
}

TEST_CASE("errors name the op and the shapes") {
    auto a = var<"a">(xt::xarray<double>{1., 2., 3.});
    auto b = var<"b">(xt::xarray<double>{1., 2.});
    CHECK(error_of([&] { (void)(a + b); }) == "xtad::add: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)sum(a, {1}); })
          == "xtad::sum: axis 1 is out of range for a tensor of shape (3,)");
    auto e = a * 2.;
    CHECK(error_of([&] {
              (void)grad(e, wrt(a), xt::xarray<double>{1., 1.});
          })
          == "xtad::grad: the seed has shape (2,) but the expression has shape (3,); pass a "
             "seed of the expression's shape");
    CHECK(error_of([&] { backward(e); })
              .find("xtad::backward: the expression has shape (3,) (3 "
                    "elements)")
          == 0);
    CHECK(error_of([&] { (void)grad(e, wrt(a)); }).find("xtad::grad: the expression has shape")
          == 0);
    // A leaf in wrt(...) that is not the object in the expression.
    auto a2 = var<"a">(xt::xarray<double>{1., 2., 3.});
    CHECK(error_of([&] { (void)grad(sum(e), wrt(a2)); }).find("is not the leaf passed to wrt")
          != std::string::npos);
    // Shapes changed after the expression was built are checked again at evaluation.
    auto e3 = a * a + a;
    a.value() = xt::xarray<double>{1., 2.};
    CHECK_NOTHROW((void)eval(e3));
    auto e4 = a + b;
    b.value() = xt::xarray<double>{1., 2., 3.};
    CHECK(error_of([&] { (void)eval(e4); }) == "xtad::add: shapes (2,) and (3,) do not broadcast");
}

TEST_CASE("NaN at maximum, minimum, abs and sign gives torch's gradients") {
    double const nan = std::numeric_limits<double>::quiet_NaN();
    auto x = var<"x">(xt::xarray<double>{nan, 1., nan});
    auto y = var<"y">(xt::xarray<double>{1., nan, nan});
    auto e = maximum(x, y) + minimum(x, y);
    auto [gx, gy] = grad(e, wrt(x, y), ones_like(e));
    CHECK(gx == xt::xarray<double>{2., 2., 2.});
    CHECK(gy == xt::xarray<double>{2., 2., 2.});
    auto s = sign(x) + abs(x);
    auto [gs] = grad(s, wrt(x), ones_like(s));
    CHECK(gs(0) == 0.);
    CHECK(eval(sign(x))(0) == 0.);
}

TEST_CASE("mean of an empty tensor is NaN") {
    auto x = var<"x">(xt::xarray<double>::from_shape({0}));
    auto m = mean(x);
    CHECK(std::isnan(eval(m)()));
    auto [g] = grad(m, wrt(x));
    CHECK(g.size() == 0);
}

TEST_CASE("reshape, flatten, concatenate, stack and element access carry gradients back") {
    auto x = var<"x">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto y = var<"y">(xt::xarray<double>{{7., 8., 9.}});
    // sum(reshape(x, (3, 2)) * w) puts w[k % 2] on flat element k.
    auto r = reshape(x, {3, -1});
    CHECK(r.shape() == shape_t{3, 2});
    auto [gr] = grad(sum(r * xt::xarray<double>{1., 2.}), wrt(x));
    CHECK(gr == xt::xarray<double>{{1., 2., 1.}, {2., 1., 2.}});
    auto [gf] = grad(flatten(x * x), wrt(x), xt::xarray<double>{1., 0., 0., 0., 0., 1.});
    CHECK(gf == xt::xarray<double>{{2., 0., 0.}, {0., 0., 12.}});
    auto c = concatenate(0, x * 2., y);
    CHECK(eval(c) == xt::xarray<double>{{2., 4., 6.}, {8., 10., 12.}, {7., 8., 9.}});
    xt::xarray<double> const seed = {{1., 2., 3.}, {4., 5., 6.}, {7., 8., 9.}};
    auto [gx, gy] = grad(c, wrt(x, y), seed);
    CHECK(gx == xt::xarray<double>{{2., 4., 6.}, {8., 10., 12.}});
    CHECK(gy == xt::xarray<double>{{7., 8., 9.}});
    auto s = stack(x(0, 1), x(1, 2) * y(0, 0));
    CHECK(eval(s) == xt::xarray<double>{2., 42.});
    auto [gs, gys] = grad(s, wrt(x, y), xt::xarray<double>{1., 1.});
    CHECK(gs == xt::xarray<double>{{0., 1., 0.}, {0., 0., 7.}});
    CHECK(gys == xt::xarray<double>{{6., 0., 0.}});
    CHECK(error_of([&] {
              (void)reshape(x, {4, -1});
          })
          == "xtad::reshape: a tensor of shape (2, 3) cannot be reshaped to (4, -1)");
    CHECK(error_of([&] { (void)concatenate(1, x, y); })
              .find("xtad::concatenate: expression 1 has "
                    "shape (1, 3)")
          == 0);
    CHECK(error_of([&] { (void)stack(x, y); })
          == "xtad::stack: expression 1 has shape (1, 3) but expression 0 has shape (2, 3)");
    CHECK(error_of([&] { (void)x(2, 0); })
          == "xtad::index: index (2, 0) is out of range for a tensor of shape (2, 3)");
}
