// Perturbation confusion: nested derivative calls tag their duals, so that a nested call's
// tangents never mix with an outer call's; the classic cases at first and second order.
#include <xtad/forward/dual.hpp>
#include <xtad/functional.hpp>

#include <doctest/doctest.h>

#include <type_traits>

using namespace xtad;

namespace {

/// d/dx f at x, by one dual one level above x's, tagged with f's type as jvp tags its duals.
template <class F, class X>
auto derivative_at(F const& f, X const& x) {
    using D = dual<X, 1, call_tag<F, X>>;
    return f(D(x, {X(1.0)})).eps[0];
}

/// The value of d/dy (x * y) or d/dy (x + y) at y = 1, for x a scalar of any level: the inner
/// derivative call, its point lifted to x's type.
auto const inner_product = [](auto x) {
    using X = decltype(x);
    return derivative_at([&](auto y) { return x * y; }, X(1.0));
};
auto const inner_sum = [](auto x) {
    using X = decltype(x);
    return derivative_at([&](auto y) { return x + y; }, X(1.0));
};

xt::xarray<double> const one = {1.0};

/// x * d/dy (x * y) at y = 1 on a one-element tensor, both derivatives by jvp: the inner call's
/// point is a tensor of the outer call's dual type.
auto const tensor_product = [](auto const& x) {
    using V = value_t<decltype(x)>;
    xt::xarray<V> const xv = eval(x);
    xt::xarray<V> const y0 = {V(1.0)};
    auto [value, dy] = jvp([&](auto const& y) { return xv * y; }, at(y0), one);
    return x * std::move(dy);
};
auto const tensor_sum = [](auto const& x) {
    using V = value_t<decltype(x)>;
    xt::xarray<V> const xv = eval(x);
    xt::xarray<V> const y0 = {V(1.0)};
    auto [value, dy] = jvp([&](auto const& y) { return xv + y; }, at(y0), one);
    return x * std::move(dy);
};

} // namespace

TEST_CASE("tagged scalar derivatives: d/dx [x d/dy (x + y)] = 1, d/dx [x d/dy (x y)] = 2x") {
    CHECK(derivative_at([](auto x) { return x * inner_sum(x); }, 1.0) == 1.0);
    CHECK(derivative_at([](auto x) { return x * inner_product(x); }, 4.0) == 8.0);
    CHECK(derivative_at([](auto x) { return x * inner_product(x); }, -1.5) == -3.0);
}

TEST_CASE("tagged scalar derivatives at second order: d2/dx2 [x d/dy (x y)] = 2") {
    auto const first = [](auto x) {
        return derivative_at([](auto z) { return z * inner_product(z); }, x);
    };
    CHECK(derivative_at(first, 4.0) == 2.0);
    auto const first_sum = [](auto x) {
        return derivative_at([](auto z) { return z * inner_sum(z); }, x);
    };
    CHECK(derivative_at(first_sum, 1.0) == 0.0);
    // x^2 d/dy (x y^2) at y = 1 is 2 x^3: its second derivative is 12 x, 36 at x = 3.
    auto const cubic = [](auto x) {
        return derivative_at(
            [](auto z) {
                using Z = decltype(z);
                return z * z * derivative_at([&](auto y) { return z * y * y; }, Z(1.0));
            },
            x);
    };
    CHECK(derivative_at(cubic, 3.0) == doctest::Approx(36.0));
}

TEST_CASE("nested jvp: the inner call's point lifted to the outer dual type") {
    xt::xarray<double> const x4 = {4.0};
    auto [v, d] = jvp(tensor_product, at(x4), one);
    CHECK(v(0) == 16.0);
    CHECK(d(0) == 8.0);
    xt::xarray<double> const x1 = {1.0};
    auto [s, ds] = jvp(tensor_sum, at(x1), one);
    CHECK(s(0) == 1.0);
    CHECK(ds(0) == 1.0);
}

TEST_CASE("nested jvp at second order: a user's dual outside two jvp calls") {
    using D = dual<double>;
    xt::xarray<D> const x4 = {D(4.0, {1.0})};
    auto [v, d] = jvp(tensor_product, at(x4), one);
    static_assert(std::is_same_v<decltype(d), xt::xarray<D>>);
    CHECK(v(0).val == 16.0);
    CHECK(d(0).val == 8.0);    // d/dx x^2
    CHECK(d(0).eps[0] == 2.0); // d2/dx2 x^2
    CHECK(v(0).eps[0] == 8.0);
    xt::xarray<D> const x1 = {D(1.0, {1.0})};
    auto [s, ds] = jvp(tensor_sum, at(x1), one);
    CHECK(ds(0).val == 1.0);
    CHECK(ds(0).eps[0] == 0.0);
}

TEST_CASE("duals of different levels and the same tags meet; the tags are in the type") {
    struct outer_call {};
    struct inner_call {};
    using A = dual<double, 1, outer_call>;
    using B = dual<A, 1, inner_call>;
    A const x(2.0, {1.0});
    B const y(A(3.0), {A(1.0)});
    // d/dy d/dx (x y / (x + y)) = 2 x y / (x + y)^3 at x = 2, y = 3.
    auto const f = x * y / (x + y);
    static_assert(std::is_same_v<decltype(f), B const>);
    CHECK(f.eps[0].eps[0] == doctest::Approx(12.0 / 125.0));
    CHECK((x < y) == true);
    CHECK((y == 3.0) == true);
    static_assert(std::is_same_v<std::common_type_t<A, B>, B>);
    static_assert(!std::is_same_v<dual<double, 1, outer_call>, dual<double, 1, inner_call>>);
    static_assert(std::is_same_v<dual<double>, dual<double, 1, void>>);
}
