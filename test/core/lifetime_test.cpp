// Lifetimes (docs/tutorial.md, "Lifetimes"): an expression owns the tensor constants it uses
// unless they are wrapped in xtad::ref, holds a leaf named by an lvalue by reference, and, unless
// NDEBUG is defined, throws xtad::error naming a leaf that is gone when it is used. The checks are
// asked for here whatever NDEBUG says (the test builds of tools/test define it: meson's buildtype
// stays release); lifetime_unchecked_test.cpp is the other setting.
#define XTAD_CHECK_LIFETIMES 1
#include <xtad/functional.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include "support/error_of.hpp"

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

using namespace xtad;

namespace {

template <class X>
concept can_ref = requires(X&& x) {
    xtad::ref(std::forward<X>(x));
};

template <class E>
constexpr bool is_owned_constant = false;
template <auto Tag>
constexpr bool is_owned_constant<tensor_constant<Tag, true>> = true;

template <class E>
constexpr bool is_borrowed_constant = false;
template <auto Tag>
constexpr bool is_borrowed_constant<tensor_constant<Tag, false>> = true;

xt::xarray<double> const x0 = {0.5, -1., 2.};

} // namespace

TEST_CASE("a lambda's local tensor constant is copied into the expression it returns") {
    // The pattern the transforms invite: w is gone when the transform evaluates what f returned.
    auto f = [](auto const& x) {
        xt::xarray<double> w = {1., 2., 3.};
        auto t = w * x;
        return sum(t);
    };
    xt::xarray<double> const want = {1., 2., 3.};
    CHECK(jacrev(f, at(x0)) == want);
    CHECK(jacfwd(f, at(x0)) == want);
    CHECK(jacobian(f, at(x0)) == want);
    auto const [y, g] = vjp(f, at(x0), xt::xarray<double>(1.));
    CHECK(y == xt::xarray<double>(0.5 - 2. + 6.));
    CHECK(g == want);
    auto a = var<"a">(x0);
    auto const e = f(a);
    CHECK(std::get<0>(grad(e, wrt(a))) == want);
    CHECK(eval(e) == xt::xarray<double>(0.5 - 2. + 6.));
    auto const d = derivative(e, wrt(a));
    CHECK(eval(d) == want);

    // Second derivatives: d2/dx2 sum(w * x^2) = diag(2 w), by all three routes.
    auto q = [](auto const& x) {
        xt::xarray<double> w = {1., 2., 3.};
        return sum(w * x * x);
    };
    xt::xarray<double> const h = {{2., 0., 0.}, {0., 4., 0.}, {0., 0., 6.}};
    CHECK(hessian(q, at(x0)) == h);
    CHECK(hessian<route::forward_over_forward>(q, at(x0)) == h);
    CHECK(hessian<route::reverse_over_reverse>(q, at(x0)) == h);
}

TEST_CASE("an unevaluated xtensor expression is evaluated into the tree, not kept lazy") {
    // w + 1 is an xfunction holding a reference to w, and an adaptor refers to the vector's
    // storage: kept as they are, both would dangle once the lambda returns.
    auto f = [](auto const& x) {
        xt::xarray<double> w = {1., 2., 3.};
        std::vector<double> v = {10., 20., 30.};
        return sum((w + 1.) * x + xt::adapt(v, std::vector<std::size_t>{3}) * x);
    };
    xt::xarray<double> const want = {12., 23., 34.};
    CHECK(jacrev(f, at(x0)) == want);
    CHECK(jacfwd(f, at(x0)) == want);

    // Evaluated once, when the node is built: w changing afterwards is not seen.
    xt::xarray<double> w = {1., 2., 3.};
    auto a = var<"a">(x0);
    auto const lazy = w + 1.;
    auto const e = lazy * a;
    static_assert(is_owned_constant<std::remove_cvref_t<decltype(e.lhs)>>);
    static_assert(std::is_same_v<typename std::remove_cvref_t<decltype(e.lhs)>::expression_type,
                                 xt::xarray<double>>);
    w(0) = 100.;
    CHECK(eval(e) == xt::xarray<double>{1., -3., 8.});
    // A container keeps its type, and so its static size; a lazy expression becomes an xarray.
    xt::xtensor_fixed<double, xt::xshape<3>> const wf = {1., 2., 3.};
    auto const ef = wf * a;
    static_assert(std::is_same_v<typename std::remove_cvref_t<decltype(ef.lhs)>::expression_type,
                                 xt::xtensor_fixed<double, xt::xshape<3>>>);
    CHECK(eval(ef) == xt::xarray<double>{0.5, -2., 6.});
    CHECK(eval((wf + 1.) * a) == xt::xarray<double>{1., -3., 8.});
}

TEST_CASE("an lvalue tensor constant is a copy; xtad::ref(w) and std::cref(w) hold w itself") {
    xt::xarray<double> w = {1., 2., 3.};
    auto a = var<"a">(x0);
    auto const copied = w * a;
    auto const held = xtad::ref(w) * a;
    auto const wrapped = std::cref(w) * a;
    static_assert(is_owned_constant<std::remove_cvref_t<decltype(copied.lhs)>>);
    static_assert(is_borrowed_constant<std::remove_cvref_t<decltype(held.lhs)>>);
    static_assert(is_borrowed_constant<std::remove_cvref_t<decltype(wrapped.lhs)>>);
    CHECK(&held.lhs.get() == &w);
    CHECK(&copied.lhs.get() != &w);

    w(0) = 10.; // seen through the references only
    CHECK(eval(copied) == xt::xarray<double>{0.5, -2., 6.});
    CHECK(eval(held) == xt::xarray<double>{5., -2., 6.});
    CHECK(eval(wrapped) == xt::xarray<double>{5., -2., 6.});
    CHECK(std::get<0>(grad(sum(held), wrt(a))) == xt::xarray<double>{10., 2., 3.});
    CHECK(std::get<0>(grad(sum(copied), wrt(a))) == xt::xarray<double>{1., 2., 3.});

    // A copy of the tree shares its constant: copying a tree copies no tensor.
    auto const again = copied;
    CHECK(&again.lhs.get() == &copied.lhs.get());

    // ref of a temporary does not compile (test/compile_fail/ref_temporary.cpp).
    static_assert(can_ref<xt::xarray<double>&>);
    static_assert(can_ref<xt::xarray<double> const&>);
    static_assert(can_ref<decltype(w + 1.) const&>);
}

TEST_CASE("derivative owns its seed; grad reads its seed during the call") {
    auto a = var<"a">(x0);
    auto const e = a * a;
    xt::xarray<double> seed = {1., 0., 2.};
    CHECK(std::get<0>(grad(e, wrt(a), seed)) == xt::xarray<double>{1., 0., 8.});
    CHECK(std::get<0>(grad(e, wrt(a), seed * 2.)) == xt::xarray<double>{2., 0., 16.});
    auto const d = derivative(e, wrt(a), seed);
    seed(1) = 5.;
    CHECK(eval(d) == xt::xarray<double>{1., 0., 8.});
    // A local seed: the derivative outlives it.
    auto const d2 = [&] {
        xt::xarray<double> local = {1., 1., 1.};
        return derivative(e, wrt(a), local);
    }();
    CHECK(eval(d2) == xt::xarray<double>{1., -2., 4.});
}

template <class L>
constexpr bool checked = false;
template <fixed_string N, auto Tag>
constexpr bool checked<lifetimes_checked::leaf<N, Tag>> = true;
static_assert(checked<decltype(var<"a">(x0))>);

TEST_CASE("a leaf destroyed before its expression is used: xtad::error naming it") {
    auto a = var<"a">(x0);
    // b is local to the lambda, and the expression holds it by reference.
    auto const e = [&] {
        auto b = var<"b">(xt::xarray<double>{1., 2., 3.});
        return a * b;
    }();
    std::string const dead = "xtad: leaf 'b' was destroyed before an expression that uses it was "
                             "evaluated";
    CHECK(error_of([&] { (void)eval(e); }).starts_with(dead));
    xt::xarray<double> out;
    CHECK(error_of([&] { eval_into(out, e); }).starts_with(dead));
    CHECK(error_of([&] { (void)grad(sum(e), wrt(a)); }).starts_with(dead));
    CHECK(error_of([&] { (void)derivative(sum(e), wrt(a)); }).starts_with(dead));
    CHECK(error_of([&] { backward(sum(e)); }).starts_with(dead));
    CHECK_FALSE(a.has_grad());

    // In a transform: a leaf the function makes for itself.
    auto f = [](auto const& x) {
        auto w = var<"w">(xt::xarray<double>{1., 2., 3.});
        return sum(w * x);
    };
    std::string const dead_w = "xtad: leaf 'w' was destroyed";
    CHECK(error_of([&] { (void)jacrev(f, at(x0)); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)jacfwd(f, at(x0)); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)jacobian(f, at(x0)); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)hessian(f, at(x0)); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)vjp(f, at(x0), xt::xarray<double>(1.)); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)jvp(f, at(x0), x0); }).starts_with(dead_w));
    CHECK(error_of([&] { (void)hvp(f, at(x0), x0); }).starts_with(dead_w));

    // The same function with w moved into the expression is fine: the expression owns it.
    auto g = [](auto const& x) {
        auto w = var<"w">(xt::xarray<double>{1., 2., 3.});
        return sum(std::move(w) * x);
    };
    CHECK(jacrev(g, at(x0)) == xt::xarray<double>{1., 2., 3.});
    CHECK(jacfwd(g, at(x0)) == xt::xarray<double>{1., 2., 3.});
}

TEST_CASE("a copy of a leaf is a leaf of its own; a moved-from leaf is dead until assigned") {
    auto a = var<"a">(x0);
    auto const on_copy = [&] {
        auto c = a; // a copy, named "a" too, that dies here
        return c * 2.;
    }();
    CHECK(error_of([&] {
              (void)eval(on_copy);
          }).starts_with("xtad: leaf 'a' was destroyed before an expression that uses it"));
    auto const on_a = a * 2.;
    { auto c = a; } // a copy dying leaves a alive
    CHECK(eval(on_a) == xt::xarray<double>{1., -2., 4.});

    auto const moved = std::move(a);
    CHECK(error_of([&] {
              (void)eval(on_a);
          }).starts_with("xtad: leaf 'a' was moved from before an expression that uses it"));
    CHECK(eval(moved * 2.) == xt::xarray<double>{1., -2., 4.});
    a = var<"a">(xt::xarray<double>{3., 4., 5.}); // assigned: alive again, with a new value
    CHECK(eval(on_a) == xt::xarray<double>{6., 8., 10.});
    a = moved; // copy-assigned
    CHECK(eval(on_a) == xt::xarray<double>{1., -2., 4.});
}
