// Defines the Expression concept, the traits every node answers, and compile-time leaf lists.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/fixed_string.hpp"
#include "xtad/core/shape.hpp"

#include <concepts>
#include <type_traits>

namespace xtad {

/// An xtad expression: a leaf, a constant, or a node of the compile-time tree.
template <class E>
concept Expression = std::remove_cvref_t<E>::is_xtad_expression;

namespace detail {

template <class... Ls>
struct type_list {};

template <class... Lists>
struct concat;
template <>
struct concat<> {
    using type = type_list<>;
};
template <class... A>
struct concat<type_list<A...>> {
    using type = type_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<type_list<A...>, type_list<B...>, Rest...> {
    using type = typename concat<type_list<A..., B...>, Rest...>::type;
};

template <class... Lists>
using concat_t = typename concat<Lists...>::type;

/// The lists joined, each type once, in the order of first occurrence: a node's leaves. A tree
/// that uses one leaf k times carries a list of one, not of k; the checks every node makes over
/// its list (names_consistent, quadratic in its length) made a sum of k terms cost k^3 to
/// compile.
template <class... Lists>
struct join {
    using type = type_list<>;
};
template <class... A>
struct join<type_list<A...>> {
    using type = type_list<A...>;
};
template <class... A, class... Rest>
struct join<type_list<A...>, type_list<>, Rest...> : join<type_list<A...>, Rest...> {};
template <class... A, class B0, class... B, class... Rest>
struct join<type_list<A...>, type_list<B0, B...>, Rest...>
    : join<std::conditional_t<(std::is_same_v<A, B0> || ...), type_list<A...>, type_list<A..., B0>>,
           type_list<B...>, Rest...> {};

template <class... Lists>
using join_t = typename join<Lists...>::type;

template <class L, fixed_string Name>
constexpr bool list_has_leaf = false;
template <class... Ls, fixed_string Name>
constexpr bool list_has_leaf<type_list<Ls...>, Name> = ((Ls::name == Name) || ...);

/// Two leaves of one tree may share a name only if they are the same kind of leaf; the same
/// object is checked at run time when the gradient is taken.
template <class A, class B>
constexpr bool same_name_same_leaf = !(A::name == B::name) || std::is_same_v<A, B>;

template <class L>
constexpr bool names_consistent = true;
template <class... Ls>
constexpr bool names_consistent<type_list<Ls...>> = ([]<class A>() {
    return (same_name_same_leaf<A, Ls> && ...);
}.template operator()<Ls>() && ...);

/// The value type of a tree: the common type of its leaves' and tensor constants' element types.
/// Scalar constants take the type of the tensors they meet, as in torch.
template <class... Ts>
struct common_value;
template <>
struct common_value<> {
    using type = void;
};
template <class T, class... Ts>
struct common_value<T, Ts...> {
    using rest = typename common_value<Ts...>::type;
    using type =
        typename std::conditional_t<std::is_void_v<T>, std::type_identity<rest>,
                                    std::conditional_t<std::is_void_v<rest>, std::type_identity<T>,
                                                       std::common_type<T, rest>>>::type;
};

/// A type carried as a value: `leaf<"a", type_tag<C>{}>`. A type passed this way, as a non-type
/// template argument, does not make its namespace an associated namespace of the node, so
/// argument-dependent lookup never finds xtensor's unconstrained function templates
/// (xt::pow<N>, xt::prod, ...) for xtad expressions.
template <class T>
struct type_tag {
    using type = T;
};

} // namespace detail

template <class E>
using leaves_t = typename std::remove_cvref_t<E>::leaves;

/// True when the expression contains the leaf named `Name` (decided at compile time).
template <class E, fixed_string Name>
constexpr bool depends_on = detail::list_has_leaf<leaves_t<E>, Name>;

/// The element type of an expression; double for a tree of constants only.
template <class E>
using value_t = std::conditional_t<std::is_void_v<typename std::remove_cvref_t<E>::value_type>,
                                   double, typename std::remove_cvref_t<E>::value_type>;

template <class E>
constexpr static_size static_size_v = std::remove_cvref_t<E>::size_known;

} // namespace xtad
