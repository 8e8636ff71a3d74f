// The transforms with several inputs and the value along: value_and_grad, value_and_jacobian,
// jvp, vjp, hvp and hessian at at(x, y, ...), any number of inputs, and the inputs' leaves
// never taken for a leaf of the user's own; and how often each computes a value.
#include <xtad/functional.hpp>

#include "support/counted_ops.hpp"

#include <doctest/doctest.h>
#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <string>

using namespace xtad;

namespace {

void check_close(xt::xarray<double> const& got, xt::xarray<double> const& want,
                 double tol = 1e-12) {
    REQUIRE(got.shape() == want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(std::abs(got.flat(i) - want.flat(i)) <= tol * (1 + std::abs(want.flat(i))));
    }
}

/// f(x, s) = s * sum(exp(x)) + s^3, x of shape (2,) and s 0-d: blocks of three different shapes.
/// df/dx = s e^x, df/ds = sum(e^x) + 3 s^2; H_xx = diag(s e^x), H_xs = e^x (shape (2,)),
/// H_ss = 6 s (shape ()).
auto const two_shapes = [](auto const& x, auto const& s) { return s * sum(exp(x)) + pow<3>(s); };

xt::xarray<double> const x0 = {0.5, -1.};
xt::xarray<double> const s0 = 1.5;

template <class H>
void check_two_shapes_hessian(H const& h) {
    static_assert(std::is_same_v<H, std::array<std::array<xt::xarray<double>, 2>, 2>>);
    xt::xarray<double> const ex = xt::exp(x0);
    check_close(h[0][0], xt::diag(s0() * ex));
    check_close(h[0][1], ex);
    check_close(h[1][0], ex);
    check_close(h[1][1], xt::xarray<double>(6. * s0()));
}

} // namespace

TEST_CASE("value_and_grad: the value and the gradient in one call, one input or several") {
    auto const cube = [](auto const& x) { return sum(x * x * x); };
    xt::xarray<double> const x = {1., -2., 3.};
    auto [v, g] = value_and_grad(cube, at(x));
    static_assert(std::is_same_v<decltype(g), xt::xarray<double>>);
    CHECK(v.dimension() == 0);
    CHECK(v() == 1. - 8. + 27.);
    check_close(g, 3. * x * x);

    auto [v2, g2] = value_and_grad(two_shapes, at(x0, s0));
    CHECK(v2() == doctest::Approx(s0() * xt::sum(xt::exp(x0))() + std::pow(s0(), 3)));
    auto const& [gx, gs] = g2;
    check_close(gx, s0() * xt::exp(x0));
    check_close(gs, xt::xarray<double>(xt::sum(xt::exp(x0))() + 3. * s0() * s0()));

    // An input f ignores gets zeros, as jacrev's block (torch: strict=False).
    auto [v3, g3] =
        value_and_grad([](auto const& a, auto const&) { return sum(a * a); }, at(x, x0));
    CHECK(v3() == 14.);
    check_close(std::get<0>(g3), 2. * x);
    check_close(std::get<1>(g3), xt::zeros<double>({2}));

    CHECK_THROWS_WITH_AS(value_and_grad([](auto const& a) { return a * a; }, at(x)),
                         "xtad::value_and_grad: the function returns shape (3,); it needs a "
                         "one-element result (reduce it, e.g. with sum)",
                         xtad::error);
}

TEST_CASE("value_and_jacobian: the residual and its Jacobian, by either mode") {
    // Few inputs, many outputs: forward mode (the value from its first pass).
    xt::xarray<double> const t = {0., 0.5, 1., 1.5, 2., 2.5, 3., 3.5, 4., 4.5, 5., 5.5};
    auto const residual = [&](auto const& p) { return p(0) * exp(p(1) * t) - 1.; };
    xt::xarray<double> const p0 = {2., -0.5};
    REQUIRE(detail::forward_for(residual, at(p0)));
    auto [r, J] = value_and_jacobian(residual, at(p0));
    check_close(r, 2. * xt::exp(-0.5 * t) - 1.);
    check_close(J, jacrev(residual, at(p0)));

    // Many inputs, one output: reverse mode (the value evaluated once more).
    auto const norm2 = [](auto const& x) { return sum(x * x); };
    xt::xarray<double> const x = xt::linspace<double>(-1., 1., 40);
    REQUIRE_FALSE(detail::forward_for(norm2, at(x)));
    auto [v, Jn] = value_and_jacobian(norm2, at(x));
    CHECK(v() == doctest::Approx(xt::sum(x * x)()));
    check_close(Jn, 2. * x);

    // Several inputs: a tuple of blocks, as jacobian's; forward mode on an empty first input
    // still gives the value.
    auto [v2, J2] = value_and_jacobian([](auto const& a, auto const& b) { return a * b + sum(b); },
                                       at(xt::xarray<double>{1., 2.}, xt::xarray<double>{3., 4.}));
    check_close(v2, xt::xarray<double>{10., 15.});
    check_close(std::get<0>(J2), xt::diag(xt::xarray<double>{3., 4.}));
    check_close(std::get<1>(J2), xt::xarray<double>{{2., 1.}, {1., 3.}});
    auto [v3, J3] = value_and_jacobian([](auto const& a, auto const& b) { return sum(a) + b; },
                                       at(xt::xarray<double>::from_shape({0}), x0));
    check_close(v3, x0);
    CHECK(std::get<0>(J3).shape() == std::vector<std::size_t>{2, 0});
    check_close(std::get<1>(J3), xt::diag(xt::ones<double>({2})));
}

TEST_CASE("jvp, vjp and hvp with several inputs: directions and results one per input") {
    xt::xarray<double> const vx = {0.25, -2.}, vs = 0.5;
    // jvp: J_x vx + J_s vs, against the Jacobian's blocks.
    auto [y, Jv] = jvp(two_shapes, at(x0, s0), std::tie(vx, vs));
    auto const J = jacrev(two_shapes, at(x0, s0));
    CHECK(y() == doctest::Approx(s0() * xt::sum(xt::exp(x0))() + std::pow(s0(), 3)));
    check_close(Jv, xt::xarray<double>(xt::sum(std::get<0>(J) * vx)() + std::get<1>(J)() * vs()));
    // vjp: w^T J_x and w^T J_s.
    xt::xarray<double> const w = 2.;
    auto [y2, wJ] = vjp(two_shapes, at(x0, s0), w);
    CHECK(y2() == y());
    check_close(std::get<0>(wJ), 2. * std::get<0>(J));
    check_close(std::get<1>(wJ), 2. * std::get<1>(J));
    // hvp: (H v)_a = sum_b H[a][b] v_b.
    auto const H = hessian(two_shapes, at(x0, s0));
    auto [y3, Hv] = hvp(two_shapes, at(x0, s0), std::make_tuple(vx, vs));
    CHECK(y3() == y());
    check_close(std::get<0>(Hv), xt::sum(H[0][0] * vx, {1}) + H[0][1] * vs());
    check_close(std::get<1>(Hv), xt::xarray<double>(xt::sum(H[1][0] * vx)() + H[1][1]() * vs()));

    CHECK_THROWS_WITH_AS(jvp(two_shapes, at(x0, s0), std::tie(vx, vx)),
                         "xtad::jvp: the tangent for input 1 has shape (2,) but the input has "
                         "shape ()",
                         xtad::error);
    CHECK_THROWS_WITH_AS(hvp(two_shapes, at(x0, s0), std::tie(vs, vs)),
                         "xtad::hvp: the vector for input 0 has shape () but the input has shape "
                         "(2,)",
                         xtad::error);
}

TEST_CASE("hessian with several inputs: blocks H[a][b] of shape x_a.shape + x_b.shape, every "
          "route") {
    check_two_shapes_hessian(hessian(two_shapes, at(x0, s0)));
    check_two_shapes_hessian(hessian<route::forward_over_forward>(two_shapes, at(x0, s0)));
    check_two_shapes_hessian(hessian<route::reverse_over_reverse>(two_shapes, at(x0, s0)));

    // Mixed second derivatives between inputs of 5 elements together (the forward routes' blocks
    // of 8 tangents straddle the inputs): f = sum(x^2 y) + sum(y^3).
    auto const f = [](auto const& x, auto const& y) { return sum(x * x * y) + sum(y * y * y); };
    xt::xarray<double> const x = {1., -2., 0.5}, y = {3., 0.25, -1.};
    for (auto const& h : {hessian(f, at(x, y)), hessian<route::forward_over_forward>(f, at(x, y)),
                          hessian<route::reverse_over_reverse>(f, at(x, y))}) {
        check_close(h[0][0], xt::diag(2. * y));
        check_close(h[0][1], xt::diag(2. * x));
        check_close(h[1][0], xt::diag(2. * x));
        check_close(h[1][1], xt::diag(6. * y));
    }

    // An input f uses only linearly, and one it ignores (and an input of another shape): zero
    // blocks.
    auto const g = [](auto const& a, auto const& b) { return sum(a * a) + 0. * sum(b); };
    for (auto const& h : {hessian(g, at(x, y)), hessian<route::forward_over_forward>(g, at(x, y)),
                          hessian<route::reverse_over_reverse>(g, at(x, y))}) {
        check_close(h[0][0], xt::diag(xt::xarray<double>{2., 2., 2.}));
        check_close(h[0][1], xt::zeros<double>({3, 3}));
        check_close(h[1][1], xt::zeros<double>({3, 3}));
    }
    auto const cube = [](auto const& a, auto const&) { return sum(a * a * a); };
    for (auto const& h :
         {hessian(cube, at(x, x0)), hessian<route::forward_over_forward>(cube, at(x, x0)),
          hessian<route::reverse_over_reverse>(cube, at(x, x0))}) {
        check_close(h[0][0], xt::diag(6. * x));
        check_close(h[0][1], xt::zeros<double>({3, 2}));
        check_close(h[1][0], xt::zeros<double>({2, 3}));
        check_close(h[1][1], xt::zeros<double>({2, 2}));
    }
    auto [v, Hv] = hvp(cube, at(x, x0), std::tie(x, x0));
    CHECK(v() == 1. - 8. + 0.125);
    check_close(std::get<0>(Hv), 6. * x * x);
    check_close(std::get<1>(Hv), xt::zeros<double>({2}));
}

TEST_CASE("more than 8 inputs: jacrev, jacfwd, value_and_grad and hessian at 10 points") {
    static_assert(detail::input_name<0>.view() == "%0");
    static_assert(detail::input_name<10>.view() == "%10");
    static_assert(detail::input_name<123>.view() == "%123");
    // f = x0 * x1 * ... * x9 (one element each); df/dxi = the product of the others.
    auto const f = [](auto const&... x) { return (x * ...); };
    std::array<xt::xarray<double>, 10> p;
    for (std::size_t i = 0; i < p.size(); ++i) {
        p[i] = xt::xarray<double>{0.5 + 0.25 * static_cast<double>(i)};
    }
    auto const pt = std::apply([](auto const&... x) { return at(x...); }, p);
    auto const rev = jacrev(f, pt);
    auto const fwd = jacfwd(f, pt);
    auto const [v, g] = value_and_grad([&](auto const&... x) { return sum(f(x...)); }, pt);
    auto const h = hessian([&](auto const&... x) { return sum(f(x...)); }, pt);
    double all = 1.;
    for (auto const& x : p) {
        all *= x(0);
    }
    CHECK(v() == doctest::Approx(all));
    auto const as_array = [](auto const& t) {
        return std::apply(
            [](auto const&... a) { return std::array<xt::xarray<double>, sizeof...(a)>{a...}; }, t);
    };
    auto const rows_rev = as_array(rev), rows_fwd = as_array(fwd), grads = as_array(g);
    for (std::size_t i = 0; i < 10; ++i) {
        CHECK(rows_rev[i](0, 0) == doctest::Approx(all / p[i](0)));
        CHECK(rows_fwd[i](0, 0) == doctest::Approx(all / p[i](0)));
        CHECK(grads[i](0) == doctest::Approx(all / p[i](0)));
    }
    for (std::size_t a = 0; a < 10; ++a) {
        for (std::size_t b = 0; b < 10; ++b) {
            double const want = a == b ? 0. : all / (p[a](0) * p[b](0));
            CHECK(h[a][b](0, 0) == doctest::Approx(want));
        }
    }
}

TEST_CASE("a leaf of the user's own inside f, even one named x0, is a constant there") {
    // The transforms name their inputs' leaves "%0", "%1", ..., a prefix var rejects: a leaf
    // that f uses but does not take is not an input, as a closed-over value in jax.
    auto const c = var<"x0">(xt::xarray<double>{2., 3.});
    auto const scaled = [&](auto const& x) { return c * x * x; };
    xt::xarray<double> const x = {1., -1.};
    check_close(jacrev(scaled, at(x)), xt::diag(2. * c.value() * x));
    check_close(jacfwd(scaled, at(x)), xt::diag(2. * c.value() * x));
    check_close(hessian([&](auto const& a) { return sum(scaled(a)); }, at(x)),
                xt::diag(2. * c.value()));
    auto [v, g] = value_and_grad([&](auto const& a) { return sum(scaled(a)); }, at(x));
    CHECK(v() == 5.);
    check_close(g, 2. * c.value() * x);
}

TEST_CASE("the transforms compute each value once per element") {
    // The counting op's value rule counts its calls (test/support/counted_ops.hpp). exp's partial
    // is exp itself: forward mode and the sweep take it from the value, not from a second call.
    xt::xarray<double> const p = {0.3, -0.2, 0.5};
    xt::xarray<double> const v = {1., -2., 0.5};
    long const n = static_cast<long>(p.size());
    xt::xarray<double> const e4 = xt::exp(4. * p);
    auto const t4 = [](auto const& x) {
        auto const t = cexp(x);
        return t * t * t * t;
    };
    auto const loss = [&](auto const& x) { return sum(t4(x)); };
    CHECK(calls_of([&] { check_close(jacfwd(t4, at(p)), xt::diag(4. * e4)); }) == n);
    CHECK(calls_of([&] { check_close(hessian(loss, at(p)), xt::diag(16. * e4)); }) == n);
    // The value of a sum comes from the loop that runs its gradient: one pass, not two.
    auto const x = var<"x">(p);
    double const want = eval(loss(x))();
    CHECK(calls_of([&] {
              auto const [value, hv] = hvp(loss, at(p), v);
              CHECK(value() == want); // added in the order eval adds it
              check_close(hv, 16. * e4 * v);
          })
          == n);
    CHECK(calls_of([&] {
              auto const [value, g] = value_and_grad(loss, at(p));
              CHECK(value() == want);
              check_close(g, 4. * e4);
          })
          == n);
    // A chain of 8: the gradient needs the 7 inner values, and the value all 8.
    auto const chain = [](auto const& x) { return sum(csin_chain<8>(x)); };
    CHECK(calls_of([&] { hessian(chain, at(p)); }) == 7 * n);
    CHECK(calls_of([&] { hvp(chain, at(p), v); }) == 8 * n);
    CHECK(calls_of([&] { value_and_grad(chain, at(p)); }) == 8 * n);
    // Three rows sharing one subexpression, copied into each: computed once by either mode.
    auto const rows = [](auto const& x) {
        auto const t = cexp(x(0) * x(1));
        return stack(t * x(2), t + x(0), sin(t));
    };
    double const t = std::exp(p(0) * p(1));
    xt::xarray<double> const jac = {{p(1) * t * p(2), p(0) * t * p(2), t},
                                    {p(1) * t + 1., p(0) * t, 0.},
                                    {std::cos(t) * p(1) * t, std::cos(t) * p(0) * t, 0.}};
    CHECK(calls_of([&] { check_close(jacrev(rows, at(p)), jac); }) == 1);
    CHECK(calls_of([&] { check_close(jacfwd(rows, at(p)), jac); }) == 1);
    CHECK(calls_of([&] { vjp(rows, at(p), v); }) == 1);
    // The same subexpression in a scalar function: hessian and hvp sweep it on dual numbers.
    auto const terms = [](auto const& x) {
        auto const t = cexp(x(0) * x(1));
        return t * x(2) + sin(t) - t;
    };
    CHECK(calls_of([&] { hessian(terms, at(p)); }) == 1);
    CHECK(calls_of([&] { hvp(terms, at(p), v); }) == 1);
    // Two copies with different constants are two values.
    auto const two = [](auto const& x) { return stack(cexp(0.5 * x(0)), cexp(0.25 * x(0))); };
    CHECK(calls_of([&] { jacrev(two, at(p)); }) == 2);
    CHECK(calls_of([&] { jacfwd(two, at(p)); }) == 2);
}
