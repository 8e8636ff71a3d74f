// Defines xtad's constants: compile-time rationals, runtime scalars, and constant tensors.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/expression.hpp"
#include "xtad/core/xtensor.hpp"

#include <memory>
#include <numeric>
#include <type_traits>

namespace xtad {

namespace detail {

template <class S>
constexpr static_size size_of_shape_type = static_size::unknown;
template <std::size_t... X>
constexpr static_size size_of_shape_type<xt::fixed_shape<X...>> = (X * ... * std::size_t{1}) == 1
                                                                      ? static_size::one
                                                                      : static_size::many;

} // namespace detail

/// A compile-time rational constant Num/Den (lowest terms, Den > 0). It is what the
/// simplifier folds: `0 * x` is zero, `1 * x` is `x`, `3 * (3 * x)` is `9 * x`.
template <long long Num, long long Den = 1>
struct static_constant {
    static_assert(Den > 0 && std::gcd(Num, Den) == (Num == 0 ? Den : 1),
                  "xtad::static_constant is kept in lowest terms; build it with make_static");
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = Num < 0 ? 5 : (Den == 1 ? 9 : 6);
    using value_type = void;
    using leaves = detail::type_list<>;
    static constexpr static_size size_known = static_size::one;
    static constexpr long long num = Num;
    static constexpr long long den = Den;

    shape_t shape() const { return {}; }
    template <class T>
    static constexpr T value() {
        return T(Num) / T(Den);
    }
};

using zero_t = static_constant<0>;
using one_t = static_constant<1>;

/// The static constant Num/Den in lowest terms.
template <long long Num, long long Den = 1>
constexpr auto make_static() {
    static_assert(Den != 0, "xtad: a static constant with denominator 0");
    constexpr long long g = std::gcd(Num, Den) == 0 ? 1 : std::gcd(Num, Den);
    constexpr long long s = Den < 0 ? -1 : 1;
    return static_constant<s * Num / g, s * Den / g>{};
}

template <class E>
constexpr bool is_static_constant = false;
template <long long N, long long D>
constexpr bool is_static_constant<static_constant<N, D>> = true;

template <class E>
constexpr bool is_zero = std::is_same_v<std::remove_cvref_t<E>, zero_t>;
template <class E>
constexpr bool is_one = std::is_same_v<std::remove_cvref_t<E>, one_t>;

/// A scalar known at run time (`3` in `3 * a`). It takes the element type of the tensors it
/// meets, as a Python number does in torch: `3 * a` stays float for a float `a`.
template <class S>
struct scalar {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 9;
    using value_type = void;
    using leaves = detail::type_list<>;
    static constexpr static_size size_known = static_size::one;
    S value;

    shape_t shape() const { return {}; }
};

template <class E>
constexpr bool is_scalar_node = false;
template <class S>
constexpr bool is_scalar_node<scalar<S>> = true;

/// Static or runtime scalar constant.
template <class E>
constexpr bool is_constant_scalar =
    is_static_constant<std::remove_cvref_t<E>> || is_scalar_node<std::remove_cvref_t<E>>;

/// The value of a scalar constant in type T.
template <class T, class E>
constexpr T constant_value(E const& e) {
    if constexpr (is_static_constant<E>) {
        return E::template value<T>();
    } else {
        return static_cast<T>(e.value);
    }
}

/// A tensor that takes part in an expression without being differentiated: a plain xtensor
/// container or expression. Unlike xtensor's closure rule, an expression owns its tensor
/// constants (`Owned`), shared between copies of the tree: a container is copied, or moved when
/// it is an rvalue, and any other xtensor expression (`w + 1`, a view, an adaptor, which may
/// refer to other tensors) is evaluated into a container, once, when the node is built. So an
/// expression cannot outlive its constants, e.g. a local tensor of the lambda given to a
/// transform. The copy costs one pass over the tensor per node built; xtad::ref(w) holds `w` by
/// reference instead (not Owned), for large data or to see later changes of `w`.
template <auto Tag, bool Owned>
struct tensor_constant {
    using X = typename decltype(Tag)::type;
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 9;
    using expression_type = X;
    using value_type = typename X::value_type;
    using leaves = detail::type_list<>;
    static constexpr static_size size_known = detail::size_of_shape_type<typename X::shape_type>;
    std::conditional_t<Owned, std::shared_ptr<X const>, X const*> held;

    X const& get() const { return *held; }
    shape_t shape() const { return detail::to_shape(held->shape()); }
};

/// `w` held by reference in the expressions it takes part in, as `xtad::ref(w) * x`: no copy is
/// made, and the expression sees later changes of `w`; `w` must outlive the expression's uses
/// (nothing checks it). Without ref, an expression owns a copy of each tensor it uses. A
/// std::reference_wrapper (`std::cref(w)`) is taken the same way.
template <class X>
requires xt::is_xexpression<X>::value tensor_constant < detail::type_tag<X> {}
, false > ref(X const& w) {
    return {&w};
}

/// xtad::ref of a temporary: refused, since the temporary is gone before the expression is used.
/// The result has ref's type, so that using it adds no error to the one that names the slip.
template <class X>
requires xt::is_xexpression<X>::value tensor_constant < detail::type_tag<X> {}
, false > ref(X const&&) {
    static_assert(
        sizeof(X) == 0, // false, but only when called
        "xtad::ref(w) holds a reference to w, so w must be a named tensor that outlives "
        "the expression; a temporary would be gone (without ref, the expression owns it)");
    return {nullptr};
}

namespace detail {
template <class S>
struct static_shape<scalar<S>> {
    using type = xt::fixed_shape<>;
};
template <long long Num, long long Den>
struct static_shape<static_constant<Num, Den>> {
    using type = xt::fixed_shape<>;
};
} // namespace detail

} // namespace xtad

namespace xtad {

/// A tensor of ones of a given shape (torch.ones_like): the seed `grad` and `backward` take to
/// mean "every output counts once". The adjoint pass treats it as the constant 1, so that
/// derivatives stay simple (`9*a^2`, not `ones*9*a^2`).
struct ones {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 9;
    using value_type = void;
    using leaves = detail::type_list<>;
    static constexpr static_size size_known = static_size::unknown;
    shape_t shape_;

    shape_t shape() const { return shape_; }
};

/// An xtad expression or an xtensor expression: something with a shape.
template <class E>
concept Shaped = Expression<E> || xt::is_xexpression<std::remove_cvref_t<E>>::value;

/// Ones of the shape of `e`: an xtad expression, or an xtensor expression.
template <Shaped E>
ones ones_like(E const& e) {
    return ones{detail::to_shape(e.shape())};
}

} // namespace xtad
