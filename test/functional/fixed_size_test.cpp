// Fixed-size points: the transforms at an xtensor_fixed point (jacfwd; jacrev, vjp,
// value_and_grad, hessian and hvp of a function written element by element) return
// xtensor_fixed results and allocate nothing, as grad of a fixed-size leaf; building and
// evaluating a tree of elements allocates only the result. Leaves' lifetime checks (on without
// NDEBUG) give each leaf a shared state block of its own; they are off here, as with NDEBUG.
#define XTAD_CHECK_LIFETIMES 0
#include <xtad/functional.hpp>

#include "support/allocation_count.hpp" // counts every allocation of this program
#include "support/error_of.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <type_traits>

using namespace xtad;

namespace {

template <std::size_t... N>
using fixed = xt::xtensor_fixed<double, xt::xshape<N...>>;

// The notebook's function, R^2 -> R^2.
auto const notebook = [](auto const& x) {
    return stack(pow<2>(x(0)) + pow<3>(x(1)), pow<3>(x(0)) + pow<2>(x(1)));
};

// A residual of three unknowns, as a solver takes its Jacobian: every elementwise kind (unary,
// binary with constants, where), several uses of one element.
auto const residual = [](auto const& x) {
    return stack(sin(x(0)) * exp(x(1)) - 2 * x(2), x(0) * x(1) * x(2) - 1.5,
                 where(x(2) > 0, sqrt(x(2) + x(0) * x(0)), -x(1)));
};

} // namespace

TEST_CASE("jacfwd of a fixed-size point: a fixed-size Jacobian, no allocation") {
    fixed<2> const x0 = {1., 2.};
    std::size_t const before = allocations();
    auto const J = jacfwd(notebook, at(x0));
    CHECK(allocations() == before);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(J)>, fixed<2, 2>>);
    CHECK(J == fixed<2, 2>{{2., 12.}, {3., 4.}});
    // One tangent a pass: the same Jacobian, in two passes.
    auto const J1 = jacfwd<1>(notebook, at(x0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(J1)>, fixed<2, 2>>);
    CHECK(J1 == J);
}

TEST_CASE("jacfwd of a fixed-size residual agrees with jacrev and the hand-written Jacobian") {
    fixed<3> const x0 = {0.3, -0.7, 1.2};
    std::size_t const before = allocations();
    auto const J = jacfwd(residual, at(x0));
    CHECK(allocations() == before);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(J)>, fixed<3, 3>>);
    xt::xarray<double> const point = x0;
    xt::xarray<double> const R = jacrev(residual, at(point));
    double const a = x0(0), b = x0(1), c = x0(2);
    double const r = std::sqrt(c + a * a);
    fixed<3, 3> const hand = {{std::cos(a) * std::exp(b), std::sin(a) * std::exp(b), -2.},
                              {b * c, a * c, a * b},
                              {a / r, 0., 0.5 / r}};
    for (std::size_t i = 0; i < 9; ++i) {
        CHECK(J.flat(i) == doctest::Approx(hand.flat(i)).epsilon(1e-14));
        CHECK(J.flat(i) == doctest::Approx(R.flat(i)).epsilon(1e-14));
    }
}

TEST_CASE("jacfwd of a fixed-size residual where the other branch of where is taken") {
    // x(2) < 0: where takes -x(1), and the sqrt branch contributes nothing.
    fixed<3> const x0 = {0.3, -0.7, -0.05};
    auto const J = jacfwd(residual, at(x0));
    xt::xarray<double> const point = x0;
    xt::xarray<double> const R = jacrev(residual, at(point));
    double const a = x0(0), b = x0(1), c = x0(2);
    fixed<3, 3> const hand = {{std::cos(a) * std::exp(b), std::sin(a) * std::exp(b), -2.},
                              {b * c, a * c, a * b},
                              {0., -1., 0.}};
    for (std::size_t i = 0; i < 9; ++i) {
        CHECK(J.flat(i) == doctest::Approx(hand.flat(i)).epsilon(1e-14));
        CHECK(J.flat(i) == doctest::Approx(R.flat(i)).epsilon(1e-14));
    }
}

TEST_CASE("jacfwd at fixed-size points: a 0-d value, a matrix point") {
    fixed<2> const x0 = {3., 5.};
    auto const g = jacfwd([](auto const& x) { return x(0) * x(1); }, at(x0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(g)>, fixed<2>>);
    CHECK(g == fixed<2>{5., 3.});
    fixed<2, 2> const m0 = {{1., 2.}, {3., 4.}};
    std::size_t const before = allocations();
    auto const J =
        jacfwd([](auto const& m) { return stack(m(0, 0) * m(1, 1), m(0, 1) - m(1, 0)); }, at(m0));
    CHECK(allocations() == before);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(J)>, fixed<2, 2, 2>>);
    CHECK(J == fixed<2, 2, 2>{{{4., 0.}, {0., 1.}}, {{0., 1.}, {-1., 0.}}});
}

TEST_CASE("eval_into a leaf the expression reads: every value is read before it is written") {
    // A stack at the root is written part by part into its result, and x(i) is read in place:
    // neither may see a value the same evaluation has already overwritten.
    auto x = var<"x">(fixed<2>{1., 2.});
    eval_into(x.value(), stack(x(1), x(0)));
    CHECK(x.value() == fixed<2>{2., 1.});
    eval_into(x.value(), x * x(0));
    CHECK(x.value() == fixed<2>{4., 2.});
    auto y = var<"y">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    eval_into(y.value(), sum(y, {0}));
    CHECK(y.value() == xt::xarray<double>{4., 6.});
    auto z = var<"z">(xt::xarray<double>{1., 2., 3.});
    eval_into(z.value(), stack(z(2) * z, z(0) + z));
    CHECK(z.value() == xt::xarray<double>{{3., 6., 9.}, {2., 3., 4.}});
}

TEST_CASE("eval_into a fixed-size tensor of another shape is an error") {
    auto x = var<"x">(fixed<3>{1., 2., 3.});
    fixed<2> small;
    CHECK(error_of([&] { eval_into(small, x * 2); })
          == "xtad::eval_into: the value has shape (3,), which a fixed-size tensor of shape (2,) "
             "cannot hold");
    CHECK(error_of([&] { eval_into(small, stack(x(0), x(1), x(2))); })
          == "xtad::eval_into: the value has shape (3,), which a fixed-size tensor of shape (2,) "
             "cannot hold");
}

TEST_CASE("grad_into a fixed-size tensor of another shape is an error") {
    // Every route to the gradient checks it: a seed that comes through a reduction, an adjoint
    // on the leaf's own shape, several leaves (each leaf's adjoint in either place).
    auto x = var<"x">(fixed<3>{1., 2., 3.});
    auto y = var<"y">(fixed<2>{1., 2.});
    fixed<2> small;
    fixed<2> dy;
    std::string const message = "xtad::grad_into: the gradient has shape (3,), which a fixed-size "
                                "tensor of shape (2,) cannot hold";
    CHECK(error_of([&] { grad_into(std::tie(small), sum(x * x), wrt(x)); }) == message);
    CHECK(error_of([&] { grad_into(std::tie(small), x * x, wrt(x), ones_like(x)); }) == message);
    CHECK(error_of([&] { grad_into(std::tie(small, dy), sum(x * x) + sum(y), wrt(x, y)); })
          == message);
    CHECK(error_of([&] { grad_into(std::tie(dy, small), sum(y) * x(0), wrt(y, x)); }) == message);
    // A function written element by element, which grad_into sweeps.
    CHECK(error_of([&] { grad_into(std::tie(small), x(0) * x(2), wrt(x)); }) == message);
    CHECK(error_of([&] { grad_into(std::tie(dy, small), y(1) * x(0), wrt(y, x)); }) == message);
}

TEST_CASE("jacrev of a function written element by element allocates its result and the "
          "point's copy, nothing else") {
    // The notebook's function is a tree of numbers: jacrev records its values once and sweeps
    // each row to the leaf (reverse/sweep.hpp), with no adjoint expression, no seed tensor and
    // no per-row gradient. What it allocates is the leaf's copy of the point and the Jacobian.
    auto const f = [](auto const& x) {
        return stack(pow<2>(x(0)) + pow<3>(x(1)), pow<3>(x(0)) + pow<2>(x(1)));
    };
    xt::xarray<double> const x0 = {1., 2.};
    std::size_t const before = allocations();
    xt::xarray<double> const J = jacrev(f, at(x0));
    CHECK(allocations() - before == 2);
    CHECK(J == xt::xarray<double>{{2., 12.}, {3., 4.}});
    // At a fixed-size point, as jacfwd: fixed-size leaves and Jacobian, no allocation at all.
    fixed<2> const p0 = {1., 2.};
    std::size_t const before_fixed = allocations();
    auto const Jf = jacrev(notebook, at(p0));
    CHECK(allocations() == before_fixed);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Jf)>, fixed<2, 2>>);
    CHECK(Jf == J);
    fixed<3> const r0 = {0.3, -0.7, 1.2};
    std::size_t const before_residual = allocations();
    auto const Jr = jacrev(residual, at(r0));
    CHECK(allocations() == before_residual);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Jr)>, fixed<3, 3>>);
    CHECK(xt::allclose(Jr, jacfwd(residual, at(r0))));
    auto const [Ja, Jb] =
        jacrev([](auto const& a, auto const& b) { return a(0) * b(1) - b(0); }, at(p0, r0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Jb)>, fixed<3>>);
    CHECK(Ja == fixed<2>{-0.7, 0.});
    CHECK(Jb == fixed<3>{-1., 1., 0.});
    // value_and_grad of a loss written term by term: the point's copy, the value, the gradient.
    auto const loss = [](auto const& x) {
        return 100. * pow<2>(x(1) - pow<2>(x(0))) + pow<2>(1. - x(0));
    };
    std::size_t const before_grad = allocations();
    auto const [value, g] = value_and_grad(loss, at(x0));
    CHECK(allocations() - before_grad == 3);
    CHECK(value() == 100.);
    CHECK(g == xt::xarray<double>{-400., 200.});
}

TEST_CASE("value_and_grad, vjp and grad at fixed-size points: fixed-size results, no allocation") {
    auto const loss = [](auto const& x) {
        return 100. * pow<2>(x(1) - pow<2>(x(0))) + pow<2>(1. - x(0));
    };
    fixed<2> const p0 = {1., 2.};
    std::size_t const before = allocations();
    auto const [value, g] = value_and_grad(loss, at(p0));
    CHECK(allocations() == before);
    static_assert(
        std::is_same_v<std::remove_cv_t<decltype(value)>, xt::xtensor_fixed<double, xt::xshape<>>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(g)>, fixed<2>>);
    CHECK(value() == 100.);
    CHECK(g == fixed<2>{-400., 200.});
    // Two inputs, one of them a matrix; the other ignored by f gets zeros.
    fixed<3, 3> const b0 = {{0.5, -1., 0.3}, {1.5, 0.2, -0.7}, {0.9, 0.1, 1.1}};
    auto const two = [](auto const& a, auto const& b) { return a(0) * b(1, 2) + sin(b(2, 0)); };
    std::size_t const before_two = allocations();
    auto const [value_two, g_two] = value_and_grad(two, at(p0, b0));
    CHECK(allocations() == before_two);
    auto const& [ga, gb] = g_two;
    static_assert(std::is_same_v<std::remove_cv_t<decltype(gb)>, fixed<3, 3>>);
    CHECK(ga == fixed<2>{-0.7, 0.});
    CHECK(gb == fixed<3, 3>{{0., 0., 0.}, {0., 0., 1.}, {std::cos(0.9), 0., 0.}});
    CHECK(value_two() == 1. * -0.7 + std::sin(0.9));
    // vjp of a residual: w^T J, as jacrev's rows weighted.
    fixed<3> const r0 = {0.3, -0.7, 1.2};
    fixed<3> const w = {1., -2., 0.5};
    std::size_t const before_vjp = allocations();
    auto const [y, wJ] = vjp(residual, at(r0), w);
    CHECK(allocations() == before_vjp);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(y)>, fixed<3>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(wJ)>, fixed<3>>);
    auto const J = jacrev(residual, at(r0));
    for (std::size_t j = 0; j < 3; ++j) {
        CHECK(wJ(j) == doctest::Approx(w(0) * J(0, j) + w(1) * J(1, j) + w(2) * J(2, j)));
    }
    xt::xarray<double> const rx = r0;
    auto const [y_x, wJ_x] = vjp(residual, at(rx), w);
    CHECK(y == y_x);
    CHECK(xt::allclose(wJ, wJ_x));
    CHECK(error_of([&] {
              vjp(residual, at(r0), fixed<2>{1., 2.});
          })
          == "xtad::vjp: the cotangent has shape (2,) but the function's output has shape (3,)");
    // grad, grad_into and backward of a leaf over a fixed-size tensor allocate nothing either.
    auto x = var<"x">(p0);
    std::size_t const before_grad = allocations();
    auto const [gx] = grad(loss(x), wrt(x));
    fixed<2> into;
    grad_into(std::tie(into), loss(x), wrt(x));
    backward(loss(x));
    CHECK(allocations() == before_grad);
    CHECK(gx == g);
    CHECK(into == g);
    CHECK(x.grad() == g);
}

TEST_CASE("jacfwd of two fixed-size points: a tuple of fixed-size blocks, no allocation") {
    fixed<2> const a0 = {1., 2.};
    fixed<3> const b0 = {0.5, -1., 4.};
    auto f = [](auto const& a, auto const& b) { return stack(a(0) * b(2), a(1) - b(0) * b(1)); };
    std::size_t const before = allocations();
    auto const [Ja, Jb] = jacfwd(f, at(a0, b0));
    CHECK(allocations() == before);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Ja)>, fixed<2, 2>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Jb)>, fixed<2, 3>>);
    CHECK(Ja == fixed<2, 2>{{4., 0.}, {0., 1.}});
    CHECK(Jb == fixed<2, 3>{{0., 0., 1.}, {1., -0.5, 0.}});
}

TEST_CASE("hessian and hvp at fixed-size points: fixed-size results, the xarray route's numbers, "
          "no allocation") {
    // The small Hessian: one pass on duals with 2 tangents, swept (reverse/sweep.hpp).
    auto const f = [](auto const& x) {
        return pow<2>(x(0)) * sin(x(0)) + pow<2>(x(1)) * sin(x(1)) + pow<2>(x(0) + x(1));
    };
    fixed<2> const p = {0.3, -1.2};
    std::size_t const before = allocations();
    auto const H = hessian(f, at(p));
    CHECK(allocations() == before);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(H)>, fixed<2, 2>>);
    auto const d2 = [](double x) {
        return 2 * std::sin(x) + 4 * x * std::cos(x) - x * x * std::sin(x);
    };
    CHECK(xt::allclose(H, fixed<2, 2>{{d2(p(0)) + 2., 2.}, {2., d2(p(1)) + 2.}}));
    // Two inputs of 2 and 9 elements: 11 columns, in passes of 8 that split the second input's.
    // The blocks are a tuple of rows, each a tuple of blocks, as torch's tuple of tuples.
    auto const g = [](auto const& a, auto const& b) {
        return a(0) * a(1) * b(2, 2) + sin(a(1) * b(0, 1)) * b(1, 0) + exp(b(2, 1) * b(0, 0))
               + pow<2>(b(1, 2)) * b(2, 0) / a(0) + b(1, 1) * b(0, 2);
    };
    fixed<2> const a0 = {0.7, -0.4};
    fixed<3, 3> const b0 = {{0.5, -1., 0.3}, {1.5, 0.2, -0.7}, {0.9, 0.1, 1.1}};
    std::size_t const before_two = allocations();
    auto const [Ha, Hb] = hessian(g, at(a0, b0));
    CHECK(allocations() == before_two);
    auto const& [Haa, Hab] = Ha;
    auto const& [Hba, Hbb] = Hb;
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Haa)>, fixed<2, 2>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hab)>, fixed<2, 3, 3>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hba)>, fixed<3, 3, 2>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hbb)>, fixed<3, 3, 3, 3>>);
    xt::xarray<double> const ax = a0;
    xt::xarray<double> const bx = b0;
    auto const want = hessian(g, at(ax, bx));
    CHECK(xt::allclose(Haa, want[0][0]));
    CHECK(xt::allclose(Hab, want[0][1]));
    CHECK(xt::allclose(Hba, want[1][0]));
    CHECK(xt::allclose(Hbb, want[1][1]));
    CHECK(xt::allclose(Hab, xt::transpose(Hba, {2, 0, 1})));
    CHECK(xt::allclose(Haa(0, 1), b0(2, 2)));
    CHECK(
        xt::allclose(Hbb(2, 1, 0, 0), (1. + b0(2, 1) * b0(0, 0)) * std::exp(b0(2, 1) * b0(0, 0))));
    // hvp: the value and H v, fixed-size, from one sweep on duals with one tangent.
    fixed<2> const v = {1., -0.5};
    std::size_t const before_hvp = allocations();
    auto const [value, Hv] = hvp(f, at(p), v);
    CHECK(allocations() == before_hvp);
    static_assert(
        std::is_same_v<std::remove_cv_t<decltype(value)>, xt::xtensor_fixed<double, xt::xshape<>>>);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hv)>, fixed<2>>);
    CHECK(xt::allclose(Hv,
                       fixed<2>{H(0, 0) * v(0) + H(0, 1) * v(1), H(1, 0) * v(0) + H(1, 1) * v(1)}));
    CHECK(value() == eval(f(var<"x">(p)))());
    fixed<3, 3> const vb = xt::ones<double>({3, 3});
    auto const [value_two, Hv_two] = hvp(g, at(a0, b0), std::tie(v, vb));
    auto const& [Hv_a, Hv_b] = Hv_two;
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hv_b)>, fixed<3, 3>>);
    auto const [value_x, Hv_x] = hvp(g, at(ax, bx), std::tie(v, vb));
    CHECK(value_two() == value_x());
    CHECK(xt::allclose(Hv_a, std::get<0>(Hv_x)));
    CHECK(xt::allclose(Hv_b, std::get<1>(Hv_x)));
    CHECK(error_of([&] {
              hvp(f, at(p), fixed<3>{1., 2., 3.});
          })
          == "xtad::hvp: the vector has shape (3,) but the input has shape (2,)");
    // A direction given as a strided view: its elements, not its storage's.
    xt::xarray<double> const wide = {1., 9., -0.5, 9.};
    auto const strided = xt::view(wide, xt::range(0, 4, 2));
    auto const [value_view, Hv_view] = hvp(f, at(p), strided);
    CHECK(Hv_view == Hv);
    xt::xarray<double> const px = p;
    auto const [value_view_x, Hv_view_x] = hvp(f, at(px), strided);
    CHECK(xt::allclose(Hv_view_x, Hv));
    auto const [y_view, Jv_view] = jvp(f, at(px), strided);
    auto const [y_v, Jv_v] = jvp(f, at(px), xt::xarray<double>(v));
    CHECK(Jv_view == Jv_v);
    // A Hessian beyond fixed_hessian_bytes (100 x 100 doubles) is an xarray, off the stack.
    fixed<10, 10> const big = xt::ones<double>({10, 10});
    auto const Hbig = hessian([](auto const& x) { return x(0, 0) * x(9, 9) + x(3, 4); }, at(big));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(Hbig)>, xt::xarray<double>>);
    CHECK(Hbig.shape() == std::vector<std::size_t>{10, 10, 10, 10});
    CHECK(Hbig(0, 0, 9, 9) == 1.);
    CHECK(Hbig(9, 9, 0, 0) == 1.);
    CHECK(xt::sum(Hbig)() == 2.);
    // A function of the whole point, not written element by element, takes the xarray route.
    auto const S = hessian([](auto const& x) { return sum(x * x * x); }, at(p));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(S)>, xt::xarray<double>>);
    CHECK(xt::allclose(S, xt::xarray<double>{{6. * p(0), 0.}, {0., 6. * p(1)}}));
}

TEST_CASE("a result whose shape the compiler does not know stays an xarray") {
    fixed<3> const x0 = {1., 2., 3.};
    // sum and a broadcast against an xarray have shapes known only at run time.
    xt::xarray<double> const w = {1., 10., 100.};
    auto const J = jacfwd([&](auto const& x) { return x * ref(w); }, at(x0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(J)>, xt::xarray<double>>);
    CHECK(J == xt::xarray<double>{{1., 0., 0.}, {0., 10., 0.}, {0., 0., 100.}});
    auto const g = jacfwd([](auto const& x) { return sum(x * x); }, at(x0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(g)>, xt::xarray<double>>);
    CHECK(g == xt::xarray<double>{2., 4., 6.});
    // An elementwise function of the whole point keeps its fixed shape.
    auto const D = jacfwd([](auto const& x) { return x * x; }, at(x0));
    static_assert(std::is_same_v<std::remove_cv_t<decltype(D)>, fixed<3, 3>>);
    CHECK(D == fixed<3, 3>{{2., 0., 0.}, {0., 4., 0.}, {0., 0., 6.}});
    // jacobian() chooses its mode at run time, so it returns an xarray whichever it takes.
    static_assert(std::is_same_v<decltype(jacobian(notebook, at(x0))), xt::xarray<double>>);
}

TEST_CASE("building a tree of elements allocates nothing; evaluating it only the result") {
    auto x = var<"x">(fixed<2>{1., 2.});
    std::size_t const before = allocations();
    auto const y = notebook(x);
    CHECK(allocations() == before);
    xt::xarray<double> const v = eval(y);
    CHECK(allocations() == before + 1); // the result
    fixed<2> into;
    std::size_t const again = allocations();
    eval_into(into, y);
    CHECK(allocations() == again);
    CHECK(v == xt::xarray<double>{9., 5.});
    CHECK(into == fixed<2>{9., 5.});
}

TEST_CASE("copies of a materialised node still share its value") {
    // The block a reduction keeps its value in is made when the node is first copied or
    // evaluated: two copies made before any evaluation must still share it.
    auto x = var<"x">(xt::xarray<double>{1., 2., 3.});
    auto const s = sum(x * x);
    auto const t = s;
    CHECK(s.cache.identity() == t.cache.identity());
    auto const other = sum(x * x);
    CHECK(other.cache.identity() != s.cache.identity());
    CHECK(eval(s * t + other) == xt::xarray<double>(14. * 14. + 14.));
    auto [dx] = grad(s * t, wrt(x));
    CHECK(dx == xt::xarray<double>{56., 112., 168.});
}

TEST_CASE("an index is checked where it is written and where it is evaluated") {
    auto x = var<"x">(fixed<2>{1., 2.});
    CHECK(error_of([&] { (void)x(2); })
          == "xtad::index: index (2) is out of range for a tensor of shape (2,)");
    auto y = var<"y">(xt::xarray<double>{1., 2., 3.});
    auto const e = y(2) * 2;
    y.value() = xt::xarray<double>{1., 2.};
    CHECK(error_of([&] { (void)eval(e); })
          == "xtad::index: index (2) is out of range for a tensor of shape (2,)");
    CHECK(error_of([&] { (void)grad(e, wrt(y)); })
          == "xtad::index: index (2) is out of range for a tensor of shape (2,)");
}
