// Defines the factories that build elementwise nodes, the concepts of their arguments, and
// xtad::apply, which builds a node of a user's elementwise op (docs/extending.md).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"
#include "xtad/ops/tensor.hpp"

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace xtad {

/// At least one of the arguments is an xtad expression: the condition under which xtad's
/// operators and functions build a node (and leave plain numbers and tensors to others).
template <class... X>
concept AnyExpression = (Expression<X> || ...);

/// A plain number or a dual number: elementwise functions on it compute the value directly.
template <class X>
concept RealScalar = Real<std::remove_cvref_t<X>>;

/// Two arguments an xtad binary function accepts: operands of which at least one is an xtad
/// expression.
template <class L, class R>
concept BinaryOperands = Operand<L> && Operand<R> && AnyExpression<L, R>;

/// What every op printed as a function call has: its name (also how it prints) and the name of
/// torch's backward function for it (`grad_fn=<SinBackward0>`).
template <fixed_string Name, fixed_string GradFn>
struct function_op {
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view symbol = Name.view();
    static constexpr std::string_view grad_fn = GradFn.view();
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    static constexpr bool is_mask = false; // a binary op gives numbers, not a mask
};

template <class Op, class X>
auto make_unary(X&& x, Op op = {}) {
    using E = node_t<X>;
    return unary<Op, E>{detail::as_node(std::forward<X>(x)), op};
}

/// Builds `op(l, r)`; the shapes are checked here, so that a mismatch is reported where the
/// expression is written.
template <class Op, class L, class R>
auto make_binary(L&& l, R&& r, Op op = {}) {
    binary<Op, node_t<L>, node_t<R>> node{detail::as_node(std::forward<L>(l)),
                                          detail::as_node(std::forward<R>(r)), op};
    (void)node.shape();
    return node;
}

/// The arguments of a binary elementwise function: operands of which one is an expression
/// (which builds a node), or two real scalars (which compute the value).
template <class L, class R>
concept BinaryArguments = BinaryOperands<L, R> ||(RealScalar<L>&& RealScalar<R>);

/// The argument of an elementwise function: an expression (which builds a node) or a real
/// scalar (which computes the value; this is how forward mode and the rules reuse the function).
template <class X>
concept Argument = Expression<X> || RealScalar<X>;

namespace detail {

// On numbers, an op computes its value; on dual numbers (or any other real type that is not a
// built-in float) it calls forward_apply, which forward/dual.hpp defines from the op's own value
// and derivative rules, found by argument-dependent lookup.
template <class Op, class X>
auto call_unary(X&& x, Op op = {}) {
    if constexpr (std::is_floating_point_v<std::remove_cvref_t<X>>) {
        return op.value(x);
    } else if constexpr (RealScalar<X>) {
        return forward_apply(op, x);
    } else {
        return make_unary<Op>(std::forward<X>(x), op);
    }
}

template <class Op, class L, class R>
auto call_binary(L&& l, R&& r, Op op = {}) {
    if constexpr (std::is_floating_point_v<
                      std::remove_cvref_t<L>> && std::is_floating_point_v<std::remove_cvref_t<R>>) {
        return op.value(l, r);
    } else if constexpr (RealScalar<L> && RealScalar<R>) {
        return forward_apply(op, l, r);
    } else {
        return make_binary<Op>(std::forward<L>(l), std::forward<R>(r), op);
    }
}

} // namespace detail

namespace detail {

template <class... X>
struct binary_arguments : std::false_type {};
template <class L, class R>
struct binary_arguments<L, R> : std::bool_constant<BinaryArguments<L, R>> {};

template <class Op>
constexpr bool has_name = requires {
    { Op::name } -> std::convertible_to<std::string_view>;
    { Op::grad_fn } -> std::convertible_to<std::string_view>;
};
template <class Op>
constexpr bool has_unary_value = requires(Op const& op, double x) {
    op.value(x);
};
template <class Op>
constexpr bool has_unary_partial = requires(Op const& op, scalar<double> const& x) {
    { op.partial(x) } -> Expression;
};
template <class Op>
constexpr bool has_binary_value = requires(Op const& op, double x) {
    op.value(x, x);
};
template <class Op>
constexpr bool has_binary_partials = requires(Op const& op, scalar<double> const& x) {
    { op.partial_l(x, x) } -> Expression;
    { op.partial_r(x, x) } -> Expression;
};

/// What a call of apply that did not compile builds, so that using it adds no error to the one
/// that names the slip: a node of the same arguments, of an op with every rule.
struct failed_apply_op : function_op<"apply", "?"> {
    template <class T, class... U>
    T value(T const& x, U const&...) const {
        return x;
    }
    template <class... X>
    one_t partial(X const&...) const {
        return {};
    }
    template <class... X>
    one_t partial_l(X const&...) const {
        return {};
    }
    template <class... X>
    one_t partial_r(X const&...) const {
        return {};
    }
};

template <class... X>
auto failed_apply(X&&... x) {
    if constexpr (sizeof...(X) == 1 && (Operand<X> && ...)) {
        return make_unary<failed_apply_op>(std::forward<X>(x)...);
    } else if constexpr (sizeof...(X) == 2 && (Operand<X> && ...)) {
        return make_binary<failed_apply_op>(std::forward<X>(x)...);
    } else {
        return scalar<double>{0.};
    }
}

} // namespace detail

/// `apply<Op>(x...)` for a tensor op (Op derives from `tensor_op<"name", "NameBackward0">`):
/// a node of the op on any number of operands, with its rules in Op (core/node.hpp,
/// docs/extending.md). Otherwise `apply<Op>(x)` or `apply<Op>(x, y)`: a user's elementwise op on
/// xtad expressions (or on numbers and dual numbers, where it computes the value), with xtad's own
/// ops' powers: reverse and forward mode to any order, derivative(), the printers. Op derives from
/// `function_op<"name", "NameBackward0">` and defines its value on numbers and its partial
/// derivatives as xtad expressions of its arguments (docs/extending.md):
///
///     struct softplus_op : xtad::function_op<"softplus", "SoftplusBackward0"> {
///         template <class T>
///         T value(T const& x) const { using std::exp, std::log1p; return log1p(exp(x)); }
///         template <class X>
///         auto partial(X const& x) const { return xtad::sigmoid(x); }
///     };
///     template <class X>
///     auto softplus(X&& x) { return xtad::apply<softplus_op>(std::forward<X>(x)); }
///
/// A rule that is missing is a compile error that names it.
template <class Op, class... X>
auto apply(X&&... x) {
    constexpr std::size_t n = sizeof...(X);
    // The rules are checked by calling partial on numbers (scalar<double>). An op's partial may
    // apply the op itself (d/dx exp(x) = exp(x)); that inner call, on the same numbers, is not
    // checked again, or the check would wait on itself.
    constexpr bool probe = (std::is_same_v<std::remove_cvref_t<X>, scalar<double>> && ...);
    if constexpr (detail::is_tensor_op<Op>) {
        return detail::apply_tensor<Op>(std::forward<X>(x)...);
    } else if constexpr (n != 1 && n != 2) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(args...): an elementwise op takes one or two arguments");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (!detail::has_name<Op>) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>: Op needs a name and torch's name for its backward; derive "
                      "it from xtad::function_op<\"name\", \"NameBackward0\">");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (n == 1 && !detail::has_unary_value<Op>) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(x): Op needs a value rule on numbers, "
                      "`template <class T> T value(T const& x) const`");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (n == 1 && !probe && !detail::has_unary_partial<Op>) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(x): Op needs its derivative as an xtad expression, "
                      "`template <class X> auto partial(X const& x) const`");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (n == 1 && !(Argument<X> && ...)) {
        static_assert(
            detail::always_false<Op>,
            "xtad::apply<Op>(x): x must be an xtad expression, a number or a dual number");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (n == 1) {
        return detail::call_unary<Op>(std::forward<X>(x)...);
    } else if constexpr (!detail::has_binary_value<Op>) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(x, y): Op needs a value rule on numbers, "
                      "`template <class T, class U> auto value(T const& x, U const& y) const`");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (!probe && !detail::has_binary_partials<Op>) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(x, y): Op needs both partial derivatives as xtad "
                      "expressions, `partial_l(x, y)` and `partial_r(x, y)`");
        return detail::failed_apply(std::forward<X>(x)...);
    } else if constexpr (!detail::binary_arguments<X...>::value) {
        static_assert(detail::always_false<Op>,
                      "xtad::apply<Op>(x, y): x and y must be xtad expressions, numbers, dual "
                      "numbers or tensors, and one of them an expression unless both are numbers");
        return detail::failed_apply(std::forward<X>(x)...);
    } else {
        return detail::call_binary<Op>(std::forward<X>(x)...);
    }
}

} // namespace xtad
