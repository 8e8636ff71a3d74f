// Defines how a tensor op (an op that is not elementwise: its rules in one struct deriving from
// tensor_op, core/node.hpp) becomes a node: xtad::apply checks its rules and builds it.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad {

namespace detail {

template <class Op>
constexpr bool is_tensor_op = requires {
    requires Op::is_tensor_op;
};

/// `x`, for each operand of a pack: a rule is probed with as many arguments as the op has.
template <class, class X>
using each_t = X;

template <class Op, class... X>
constexpr bool has_shape_rule = requires(Op const& op, shape_t const& s) {
    { op.shape(std::declval<each_t<X, shape_t const&>>()...) } -> std::convertible_to<shape_t>;
};

template <class Op, class... X>
constexpr bool has_value_rule = requires(Op const& op) {
    {
        op.value(std::declval<each_t<X, xt::xarray<double> const&>>()...)
        } -> std::convertible_to<xt::xarray<double>>;
};

/// What a call of apply on a tensor op that did not compile builds, so that using it adds no
/// error to the one that names the slip: a node of the same operands with every rule (the
/// first operand, unchanged).
struct failed_tensor_op : tensor_op<"apply", "?"> {
    template <class... S>
    shape_t shape(shape_t const& s, S const&...) const {
        return s;
    }
    template <class T, class... U>
    xt::xarray<T> value(xt::xarray<T> const& a, U const&...) const {
        return a;
    }
    template <class G, class Y, class... A>
    auto vjp(G const&, Y const&, A const&...) const {
        return std::tuple<each_t<A, zero_t>...>{};
    }
    template <class T, class... U>
    xt::xarray<T> jvp(xt::xarray<T> const& y, U const&...) const {
        return xt::zeros<T>(y.shape());
    }
};

/// `op(x...)` as a node: the operands' shapes are checked here, so that a mismatch is reported
/// where the expression is written.
template <class Op, class... X>
auto make_tensor(Op op, X&&... x) {
    tensor_node<Op, node_t<X>...> node{{as_node(std::forward<X>(x))...}, {}, std::move(op)};
    (void)node.shape();
    return node;
}

template <class... X>
auto failed_tensor_apply(X&&... x) {
    if constexpr (sizeof...(X) > 0 && (Operand<X> && ...)) {
        return make_tensor(failed_tensor_op{}, std::forward<X>(x)...);
    } else {
        return scalar<double>{0.};
    }
}

/// apply for a tensor op: its shape and value rules are checked here (its vjp and jvp rules
/// where reverse and forward mode first use them).
template <class Op, class... X>
auto apply_tensor(X&&... x) {
    if constexpr (sizeof...(X) == 0) {
        static_assert(always_false<Op>, "xtad::apply<Op>(args...): a tensor op takes at least one "
                                        "operand");
        return failed_tensor_apply(std::forward<X>(x)...);
    } else if constexpr (!(Operand<X> && ...)) {
        static_assert(always_false<Op>, "xtad::apply<Op>(args...): each operand of a tensor op "
                                        "must be an xtad expression, a number or an xtensor "
                                        "expression");
        return failed_tensor_apply(std::forward<X>(x)...);
    } else if constexpr (!has_shape_rule<Op, X...>) {
        static_assert(always_false<Op>, "xtad::apply<Op>: a tensor op needs a shape rule, "
                                        "`xtad::shape_t shape(xtad::shape_t const&...) const`, one "
                                        "shape per operand");
        return failed_tensor_apply(std::forward<X>(x)...);
    } else if constexpr (!has_value_rule<Op, X...>) {
        static_assert(always_false<Op>, "xtad::apply<Op>: a tensor op needs a value rule, "
                                        "`template <class T> xt::xarray<T> value(xt::xarray<T> "
                                        "const&...) const`");
        return failed_tensor_apply(std::forward<X>(x)...);
    } else {
        return make_tensor(Op{}, std::forward<X>(x)...);
    }
}

} // namespace detail

} // namespace xtad
