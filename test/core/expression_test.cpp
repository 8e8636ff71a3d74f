// What the compiler knows about a tree: its leaves, pruning, simplification, fusion.
#include <xtad/io/formula.hpp>
#include <xtad/io/print.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include "support/allocation_count.hpp" // counts every allocation of this program
#include "support/counted_ops.hpp"
#include "support/error_of.hpp"

#include <boost/hana/integral_constant.hpp>
#include <doctest/doctest.h>

#include <sstream>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace xtad;

namespace {

template <fixed_string N, class E>
auto adjoint_of(E const& e) {
    auto const s = e.shape();
    return detail::adjoint<N>(e, one_t{}, detail::no_mask{}, detail::adjoint_shapes{s, s});
}

} // namespace

TEST_CASE("the leaves of a tree are known at compile time") {
    auto a = var<"a">(xt::xarray<double>{1.});
    auto b = var<"b">(xt::xarray<double>{4.});
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    static_assert(depends_on<decltype(Q), "a">);
    static_assert(depends_on<decltype(Q), "b">);
    static_assert(!depends_on<decltype(Q), "c">);
    static_assert(!depends_on<decltype(a > b), "a">, "a mask has no gradient");
    static_assert(Expression<decltype(Q)> && !Expression<xt::xarray<double>>);
    static_assert(std::is_same_v<value_t<decltype(Q)>, double>);
    static_assert(std::is_same_v<value_t<decltype(3 * pow<3>(a))>, double>);
    CHECK(to_string(Q) == "3*a^3 - b^2");
}

TEST_CASE("a std::vector becomes a leaf through xt::adapt, as var's compile error advises") {
    std::vector<double> const v = {1., 2., 3.};
    auto x = var<"x">(xt::adapt(v));
    static_assert(std::is_same_v<decltype(x)::container_type, xt::xarray<double>>);
    auto [dx] = grad(sum(x * x), wrt(x));
    CHECK(dx == xt::xarray<double>{2., 4., 6.});
}

TEST_CASE("evaluation is one fused loop, not a chain of temporaries") {
    auto a = var<"a">(xt::xarray<double>{1., 2.});
    auto b = var<"b">(xt::xarray<double>{3., 4.});
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    // eval allocates its result and nothing else; eval_into and grad_into allocate nothing.
    std::size_t const before = allocations();
    xt::xarray<double> const q = eval(Q);
    CHECK(allocations() - before == 1);
    xt::xarray<double> into = xt::zeros<double>({2});
    xt::xarray<double> da = xt::zeros<double>({2});
    xt::xarray<double> db = xt::zeros<double>({2});
    std::size_t const again = allocations();
    eval_into(into, Q);
    // The adjoints of an elementwise tree have no materialised part either.
    static_assert(is_zero<decltype(adjoint_of<"a">(Q).extra)>);
    grad_into(std::tie(da, db), Q, wrt(a, b), ones_like(Q));
    CHECK(allocations() == again);
    CHECK(into == q);
    CHECK(q == xt::xarray<double>{-6., 8.});
    CHECK(da == xt::xarray<double>{9., 36.});
    CHECK(db == xt::xarray<double>{-6., -8.});
}

TEST_CASE("the adjoint of a number broadcast against a tensor is summed as it is made") {
    // The gradient of a scale, a mean or a bias (a 0-d leaf broadcast against n elements) is the
    // sum of n terms: added up in the loop that makes them, with no tensor of n elements.
    std::size_t const n = 1000;
    auto x = var<"x">(xt::xarray<double>(xt::linspace<double>(0., 1., n)));
    auto mu = var<"mu">(xt::xarray<double>(0.25));
    auto sigma = var<"sigma">(xt::xarray<double>(2.));
    auto const f = sum(pow<2>((x - mu) / sigma));
    xt::xarray<double> dmu(0.), dsigma(0.); // 0-d, as mu and sigma
    (void)largest_allocation_since();
    grad_into(std::tie(dmu, dsigma), f, wrt(mu, sigma), xt::xarray<double>(1.));
    CHECK(largest_allocation_since() < n * sizeof(double));
    // d/dmu = -2/sigma^2 sum(x - mu), d/dsigma = -2/sigma^3 sum((x - mu)^2)
    xt::xarray<double> const d = x.value() - 0.25;
    CHECK(dmu() == doctest::Approx(-2. / 4. * xt::sum(d)()).epsilon(1e-13));
    CHECK(dsigma() == doctest::Approx(-2. / 8. * xt::sum(d * d)()).epsilon(1e-13));
    // Without a reduction in the tree: the seed, of x's shape, summed down to the number.
    auto const g = x * sigma + mu;
    xt::xarray<double> const seed = xt::ones<double>({n});
    (void)largest_allocation_since();
    grad_into(std::tie(dmu, dsigma), g, wrt(mu, sigma), seed);
    CHECK(largest_allocation_since() < n * sizeof(double));
    CHECK(dmu() == doctest::Approx(double(n)).epsilon(1e-15));
    CHECK(dsigma() == doctest::Approx(xt::sum(x.value())()).epsilon(1e-13));
}

TEST_CASE("a leaf's adjoint through a reduction is added into its gradient, not materialised") {
    // The gradient of a scalar loss takes the memory of its result only: the adjoint below the
    // sum, on x's own shape, is evaluated straight into grad_into's target.
    std::size_t const n = 1000;
    auto x = var<"x">(xt::xarray<double>(xt::linspace<double>(0., 1., n)));
    xt::xarray<double> dx = xt::zeros<double>({n});
    (void)largest_allocation_since();
    grad_into(std::tie(dx), sum(pow<2>(sin(x))), wrt(x), xt::xarray<double>(1.));
    CHECK(largest_allocation_since() < n * sizeof(double));
    xt::xarray<double> const want = xt::sin(2. * x.value());
    CHECK(xt::allclose(dx, want, 1e-14, 0.));
}

TEST_CASE("subtrees without the leaf are pruned; derivatives are simplified") {
    auto a = var<"a">(xt::xarray<double>{1., 2.});
    auto b = var<"b">(xt::xarray<double>{3., 4.});
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    CHECK(to_string(adjoint_of<"a">(Q).group) == "9*a^2");
    CHECK(to_string(adjoint_of<"b">(Q).group) == "-2*b");
    // b's subtree does not appear in a's adjoint, even as a zero.
    static_assert(!depends_on<decltype(adjoint_of<"a">(Q).group), "b">);
    CHECK(to_string(adjoint_of<"a">(sin(a) * b).group) == "b*cos(a)");
    CHECK(to_string(adjoint_of<"a">(sqrt(a)).group) == "1/(2*sqrt(a))");
    CHECK(to_string(adjoint_of<"a">(a / b).group) == "1/b");
    CHECK(to_string(adjoint_of<"b">(a / b).group) == "-a/(b*b)");
    CHECK(to_string(adjoint_of<"a">(tanh(a)).group) == "1 - tanh(a)^2");
    CHECK(to_string(adjoint_of<"a">(exp(2 * a)).group) == "2*exp(2*a)");
    // A derivative that is identically zero is a compile-time zero: no work at run time.
    static_assert(is_zero<decltype(adjoint_of<"a">(sign(a)).group)>);
}

TEST_CASE("the simplifier folds static constants and keeps runtime ones") {
    using boost::hana::int_c;
    auto x = var<"x">(xt::xarray<double>{1.});
    static_assert(is_zero<decltype(detail::mul(zero_t{}, detail::as_node(x)))>);
    static_assert(
        std::is_same_v<decltype(detail::mul(one_t{}, detail::as_node(x))), leaf_ref<decltype(x)>>);
    CHECK(to_string(int_c<3> * (int_c<3> * x)) == "9*x");
    CHECK(to_string(int_c<2> * x / int_c<4>) == "2*x/4");
    CHECK(to_string(x * 2 * 3) == "6*x");
    CHECK(to_string(-(-x)) == "x");
    CHECK(to_string(x - (-x)) == "x + x");
    CHECK(to_string(pow<1>(x)) == "x");
    CHECK(to_string(pow<0>(x) * (x + 1)) == "(x + 1)");
    // sqrt(square(u)) is |u|, not u: it is not rewritten, so its value and derivative stay exact.
    auto u = var<"u">(xt::xarray<double>{-2., 3.});
    CHECK(to_string(sqrt(square(u))) == "sqrt(u^2)");
    CHECK(eval(sqrt(square(u))) == xt::xarray<double>{2., 3.});
    CHECK(std::get<0>(grad(sqrt(square(u)), wrt(u), ones_like(u))) == xt::xarray<double>{-1., 1.});
    CHECK(to_string(pow<-2>(x + 1)) == "(x + 1)^(-2)");
    CHECK(to_string(where(x > 0., x, -x)) == "where(x > 0, x, -x)");
    CHECK(to_string(sum(x, {0}) + mean(x)) == "sum(x, axes=[0]) + mean(x)");
    CHECK(to_string(clamp(x, -1, 0.5)) == "clamp(x, -1, 0.5)");
}

TEST_CASE("leaves and expressions print as torch prints their tensors") {
    auto A = var<"a">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto B = var<"b">(xt::xarray<double>{{4., 5.}, {6., 7.}});
    auto Q = 3 * pow<3>(A) - pow<2>(B);
    std::ostringstream out;
    out << A << '\n' << Q << '\n' << sum(Q) << '\n' << (A > 2.);
    CHECK(out.str()
          == "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)\n"
             "tensor([[-13.,  -1.],\n        [ 45., 143.]], grad_fn=<SubBackward0>)\n"
             "tensor(174., grad_fn=<SumBackward0>)\n"
             "tensor([[False, False],\n        [ True,  True]])");
}

TEST_CASE("== and != on expressions are masks, as in torch") {
    auto x = var<"x">(xt::xarray<double>{1., 2., 3.});
    CHECK(eval(x == 2.) == xt::xarray<bool>{false, true, false});
    CHECK(eval(x != 2.) == xt::xarray<bool>{true, false, true});
    CHECK(eval(eq(x, x * 1.)) == xt::xarray<bool>{true, true, true});
    CHECK(to_string(where(x == 2., x, 2 * x)) == "where(x == 2, x, 2*x)");
}

TEST_CASE("grad_fn names follow torch's for numbers on either side") {
    auto x = var<"x">(xt::xarray<double>{1., 2.});
    auto name = [](auto const& e) {
        std::ostringstream out;
        out << e;
        auto const s = out.str();
        return s.substr(s.find("grad_fn=<"));
    };
    CHECK(name(1. - x) == "grad_fn=<RsubBackward1>)");
    CHECK(name(x - 1.) == "grad_fn=<SubBackward0>)");
    CHECK(name(2. / x) == "grad_fn=<MulBackward0>)");
    CHECK(name(x / 2.) == "grad_fn=<DivBackward0>)");
    CHECK(name(pow(x, 2.5)) == "grad_fn=<PowBackward0>)");
    CHECK(name(pow(2., x)) == "grad_fn=<PowBackward2>)");
    CHECK(name(pow(x, x)) == "grad_fn=<PowBackward1>)");
    CHECK(name(x(1)) == "grad_fn=<SelectBackward0>)");
    CHECK(name(stack(x(0), x(1))) == "grad_fn=<StackBackward0>)");
}

TEST_CASE("a node used several times in one loop is computed once per element") {
    xt::xarray<double> const p = {0.1, -0.4, 0.7};
    long const n = static_cast<long>(p.size());
    auto x = var<"x">(p);
    xt::xarray<double> const e = xt::exp(p);

    auto t = cexp(x);
    auto y = t * t * t * t;
    xt::xarray<double> into;
    CHECK(calls_of([&] { CHECK(xt::allclose(eval(y), e * e * e * e)); }) == n);
    CHECK(calls_of([&] { eval_into(into, y); }) == n);
    CHECK(calls_of([&] {
              auto [g] = grad(sum(y), wrt(x));
              CHECK(xt::allclose(g, 4. * e * e * e * e));
          })
          == n);
    CHECK(calls_of([&] {
              x.zero_grad();
              backward(sum(y));
          })
          == n);
    auto const d = derivative(sum(y), wrt(x));
    CHECK(calls_of([&] { CHECK(xt::allclose(eval(d), 4. * e * e * e * e)); }) == n);

    // A runtime constant inside the shared node: the copies are compared when the loop is bound.
    auto h = cexp(0.5 * x);
    CHECK(calls_of([&] { eval(h * h + h); }) == n);
    // Different constants are different values: both computed.
    CHECK(calls_of([&] { eval(cexp(0.5 * x) + cexp(0.25 * x)); }) == 2 * n);

    // A diamond: u feeds two branches that meet again.
    auto u = cexp(x);
    CHECK(calls_of([&] { CHECK(xt::allclose(eval(sin(u) * cos(u)), xt::sin(e) * xt::cos(e))); })
          == n);
}

TEST_CASE("the gradients of several leaves compute what their adjoints share once") {
    // The adjoints of x and y below the sum both need cexp(x * y): one loop computes both
    // gradients, and the shared value once per element (it was once per leaf). Sizes that are
    // not a multiple of the loop's blocks included.
    for (std::size_t const n : {std::size_t(3), std::size_t(64), std::size_t(200)}) {
        INFO("n = " << n);
        auto x = var<"x">(xt::xarray<double>(xt::linspace<double>(-1., 1., n)));
        auto y = var<"y">(xt::xarray<double>(xt::linspace<double>(0.5, 2., n)));
        auto mu = var<"mu">(xt::xarray<double>(0.25));
        long const calls = static_cast<long>(n);
        auto const f = sum(cexp(x * y));
        xt::xarray<double> gx, gy;
        CHECK(calls_of([&] { grad_into(std::tie(gx, gy), f, wrt(x, y)); }) == calls);
        xt::xarray<double> const e = xt::exp(x.value() * y.value());
        CHECK(xt::allclose(gx, e * y.value(), 1e-15, 0.));
        CHECK(xt::allclose(gy, e * x.value(), 1e-15, 0.));
        // A number broadcast against x: its gradient summed in the same loop.
        auto const h = sum(cexp(x - mu)) * 2. + log(mu);
        xt::xarray<double> hx, hmu;
        CHECK(calls_of([&] { grad_into(std::tie(hx, hmu), h, wrt(x, mu)); }) == calls);
        // Each gradient is the one the leaf gets alone, to the last bit.
        auto const [hx1] = grad(h, wrt(x));
        auto const [hmu1] = grad(h, wrt(mu));
        CHECK(hx == hx1);
        CHECK(hmu == hmu1);
    }
}

TEST_CASE("the normal log-likelihood's three gradients are those of each leaf alone") {
    std::size_t const n = 1000;
    auto x = var<"x">(xt::xarray<double>(xt::linspace<double>(-1.3, 1.1, n)));
    auto mu = var<"mu">(xt::xarray<double>(0.2));
    auto sigma = var<"sigma">(xt::xarray<double>(1.7));
    auto const f = sum(-0.5 * pow<2>((x - mu) / sigma)) - double(n) * log(sigma);
    auto const [dx, dmu, dsigma] = grad(f, wrt(x, mu, sigma));
    auto const [dx1] = grad(f, wrt(x));
    auto const [dmu1] = grad(f, wrt(mu));
    auto const [dsigma1] = grad(f, wrt(sigma));
    CHECK(dx == dx1);
    CHECK(dmu == dmu1);
    CHECK(dsigma == dsigma1);
    xt::xarray<double> const z = (x.value() - 0.2) / 1.7;
    CHECK(xt::allclose(dx, -z / 1.7, 1e-14, 0.));
    CHECK(dmu() == doctest::Approx(xt::sum(z)() / 1.7).epsilon(1e-12));
    CHECK(dsigma() == doctest::Approx(xt::sum(z * z)() / 1.7 - double(n) / 1.7).epsilon(1e-12));
}

TEST_CASE("a gradient written over a leaf the other adjoints read is written last") {
    // grad_into into a leaf's own tensor (an update in place): the adjoints read the leaf's
    // values from before the call, whichever gradient is written first.
    xt::xarray<double> const px = {0.5, -1.5, 2.};
    xt::xarray<double> const py = {1.5, 0.25, -3.};
    auto x = var<"x">(px);
    auto y = var<"y">(py);
    auto const f = sum(x * y * y); // df/dx = y^2, df/dy = 2 x y
    xt::xarray<double> dy;
    grad_into(std::tie(y.value(), dy), f, wrt(x, y));
    CHECK(y.value() == py * py);
    CHECK(dy == 2. * px * py);
    y.value() = py;
    xt::xarray<double> dx;
    grad_into(std::tie(dx, x.value()), f, wrt(x, y));
    CHECK(dx == py * py);
    CHECK(x.value() == 2. * px * py);
}

TEST_CASE("the gradient of a chain of k ops computes each of its values once per element") {
    xt::xarray<double> const p = {0.3, -0.2};
    long const n = static_cast<long>(p.size());
    auto x = var<"x">(p);
    // Value: k calls per element; gradient: the k - 1 inner values its partials need, each once
    // (it was k(k - 1)/2 when every partial recomputed its argument from the leaf).
    auto const f8 = csin_chain<8>(x);
    CHECK(calls_of([&] { eval(f8); }) == 8 * n);
    CHECK(calls_of([&] { grad(sum(f8), wrt(x)); }) == 7 * n);
    auto const f32 = csin_chain<32>(x);
    CHECK(calls_of([&] { eval(f32); }) == 32 * n);
    CHECK(calls_of([&] { grad(sum(f32), wrt(x)); }) == 31 * n);
    // And the gradient is right.
    xt::xarray<double> s = p;
    xt::xarray<double> want = xt::ones<double>({2});
    for (int k = 0; k < 8; ++k) {
        want *= xt::cos(s);
        s = xt::sin(s);
    }
    auto const [g] = grad(sum(f8), wrt(x));
    CHECK(xt::allclose(g, want));
}

// A user's tensor op whose value rule counts its calls: a matrix-vector product.
namespace {

struct counted_matvec_op : tensor_op<"cmv", "MvBackward0"> {
    shape_t shape(shape_t const& a, shape_t const& x) const {
        if (a.size() != 2 || x.size() != 1 || a[1] != x[0]) {
            throw error("cmv: shapes " + detail::shape_str(a) + " and " + detail::shape_str(x));
        }
        return {a[0]};
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& x) const {
        ++counted_calls;
        xt::xarray<T> y = xt::zeros<T>({a.shape()[0]});
        for (std::size_t i = 0; i < a.shape()[0]; ++i) {
            for (std::size_t j = 0; j < a.shape()[1]; ++j) {
                y(i) += a(i, j) * x(j);
            }
        }
        return y;
    }
    template <class G, class Y, class A, class X>
    auto vjp(G const& g, Y const&, A const& a, X const& x) const {
        return std::tuple{reshape(g, {-1, 1}) * x, sum(a * reshape(g, {-1, 1}), {0})};
    }
};

template <class A, class X>
auto cmv(A&& a, X&& x) {
    return apply<counted_matvec_op>(std::forward<A>(a), std::forward<X>(x));
}

/// A tensor op whose rules give results of the wrong shape, to see the errors that name it.
struct wrong_op : tensor_op<"wrong", "?"> {
    bool wrong_value = false;
    shape_t shape(shape_t const& x) const { return x; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& x) const {
        return wrong_value ? xt::xarray<T>(xt::zeros<T>({x.size() + 1})) : x;
    }
    template <class G, class Y, class X>
    auto vjp(G const&, Y const&, X const& x) const {
        return concatenate(0, x, x); // twice the operand's size
    }
};

} // namespace

TEST_CASE("a tensor op's value is computed once per evaluation, and the adjoint reuses it") {
    xt::xarray<double> const pa = {{1., 2.}, {-1., 0.5}, {3., -2.}};
    xt::xarray<double> const px = {0.5, -1.};
    auto a = var<"A">(pa);
    auto x = var<"x">(px);
    auto y = cmv(a, x);
    xt::xarray<double> const want = {-1.5, -1., 3.5};
    // y appears three times; its value is computed once.
    CHECK(calls_of([&] { CHECK(xt::allclose(eval(y * y + y), want * want + want)); }) == 1);
    // The gradient of sum(y²) reads y in the adjoint 2y: the forward value, not a new one.
    xt::xarray<double> ga;
    xt::xarray<double> gx;
    CHECK(calls_of([&] { std::tie(ga, gx) = grad(sum(y * y), wrt(a, x)); }) == 1);
    xt::xarray<double> const col = xt::reshape_view(2. * want, {3, 1});
    CHECK(xt::allclose(ga, col * px));
    CHECK(xt::allclose(gx, xt::sum(pa * col, {0})));
    CHECK(calls_of([&] {
              a.zero_grad();
              x.zero_grad();
              backward(sum(y * y));
          })
          == 1);
    CHECK(xt::allclose(a.grad(), ga));
    auto const d = derivative(sum(y * y), wrt(x));
    CHECK(calls_of([&] { CHECK(xt::allclose(eval(d), gx)); }) == 1);
    // Used inside the loop of another op's argument and beside it, too.
    CHECK(calls_of([&] { eval(sum(exp(y)) * y); }) == 1);
}

TEST_CASE("a tensor op's shape errors name the op and the shapes") {
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto x = var<"x">(xt::xarray<double>{1., 2., 3.});
    CHECK(error_of([&] { (void)cmv(a, x); }) == "cmv: shapes (2, 2) and (3,)");
    // A value rule that disagrees with its shape rule.
    wrong_op bad_value;
    bad_value.wrong_value = true;
    auto v = detail::make_tensor(bad_value, x);
    CHECK(error_of([&] { (void)eval(v); })
          == "xtad::wrong: the value rule gave a tensor of shape (4,) where the shape rule says "
             "(3,)");
    // A vjp rule whose adjoint does not fit its operand.
    auto w = apply<wrong_op>(x);
    CHECK(error_of([&] { (void)grad(sum(w), wrt(x)); })
          == "xtad::wrong: the vjp rule gave operand 0 an adjoint of shape (6,), which does not "
             "broadcast with its shape (3,)");
}

TEST_CASE("a transpose, a slice or a diagonal is read in place by the loop around it") {
    xt::xarray<double> const pa = {{1., 2., 3.}, {4., 5., 6.}, {7., 8., 10.}};
    auto a = var<"A">(pa);
    auto const square = a * transpose(a);
    auto const cross = view(a, xt::all(), 0) * view(a, 1, xt::all());
    // Views of views compose: the transpose of every other row, broadcast against a column.
    auto const composed =
        transpose(view(a, xt::range(0, 3, 2), xt::all())) + view(a, xt::all(), 1, xt::newaxis());
    auto const diagonals = view(diagonal(a), xt::range(0, 2)) - diagonal(a, 1, 0, 1);
    xt::xarray<double> out = xt::zeros<double>({3, 3});
    xt::xarray<double> row = xt::zeros<double>({3});
    xt::xarray<double> cols = xt::zeros<double>({3, 2});
    xt::xarray<double> pair = xt::zeros<double>({2});
    // No copy of A, transposed or sliced: eval_into allocates nothing.
    std::size_t const before = allocations();
    eval_into(out, square);
    eval_into(row, cross);
    eval_into(cols, composed);
    eval_into(pair, diagonals);
    CHECK(allocations() == before);
    CHECK(out == xt::xarray<double>(pa * xt::transpose(pa)));
    CHECK(row == xt::xarray<double>{4., 20., 42.});
    CHECK(cols == xt::xarray<double>{{3., 9.}, {7., 13.}, {11., 18.}});
    CHECK(pair == xt::xarray<double>{-1., -1.});
    // A slice of a transpose: a column of A, every other element of it, a diagonal of Aᵀ.
    CHECK(eval(view(transpose(a), 0)) == xt::xarray<double>{1., 4., 7.});
    CHECK(eval(view(transpose(a), xt::range(0, 3, 2), 2)) == xt::xarray<double>{7., 10.});
    CHECK(eval(diagonal(transpose(a), 1, 0, 1) * 1.) == xt::xarray<double>{4., 8.});
    // Read out of order (a reduction along the first axis) and broadcast along a leading axis.
    CHECK(eval(sum(transpose(a), {0})) == xt::xarray<double>{6., 15., 25.});
    CHECK(eval(transpose(a) + xt::xarray<double>(xt::zeros<double>({3, 1})) + view(a, 0)(0))
          == xt::xarray<double>(xt::transpose(pa) + 1.));
    // The adjoints read the views in place too: d sum(A * Aᵀ) / dA = 2 Aᵀ.
    auto [ga] = grad(sum(square), wrt(a));
    CHECK(ga == xt::xarray<double>(2. * xt::transpose(pa)));
    // Into the leaf the views read (x = f(x)): the value is made whole before A is written, as
    // is one whose shape differs from the leaf's.
    auto m = var<"M">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    eval_into(m.value(), m * transpose(m) + view(m, xt::all(), 0));
    CHECK(m.value() == xt::xarray<double>{{2., 9.}, {7., 19.}});
    auto v = var<"v">(xt::xarray<double>{1., 2.});
    eval_into(v.value(), v + m);
    CHECK(v.value() == xt::xarray<double>{{3., 11.}, {8., 21.}});
    // A view of an expression, which each loop would compute anew, is materialised once.
    auto const t = transpose(cexp(a));
    CHECK(calls_of([&] { eval(t * t + sum(t)); }) == 9);
}
