// Defines the factories that build elementwise nodes, and the concepts of their arguments.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

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
} // namespace xtad
