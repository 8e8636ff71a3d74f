// Defines operator<< for xtad leaves and expressions: their values, printed as PyTorch does.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/eval/build.hpp"
#include "xtad/io/repr.hpp"
#include "xtad/ops/arithmetic.hpp"
#include "xtad/ops/power.hpp"

#include <ostream>
#include <string>
#include <type_traits>

namespace xtad {

namespace detail {

/// The name torch gives the function that made the root of `e` (`grad_fn=<SubBackward0>`).
template <class E>
std::string grad_fn_name(E const& e) {
    if constexpr (requires { e.lhs; }) {
        // torch names the function by how it was called: 1 - x is an rsub, 2 / x a product
        // with a reciprocal, x ** 2.5 and 2 ** x are pows with a number on one side.
        using Op = typename E::op_type;
        constexpr bool number_left = is_constant_scalar<decltype(e.lhs)>;
        constexpr bool number_right = is_constant_scalar<decltype(e.rhs)>;
        if constexpr (std::is_same_v<Op, sub_op> && number_left) {
            return "RsubBackward1";
        } else if constexpr (std::is_same_v<Op, div_op> && number_left) {
            return "MulBackward0";
        } else if constexpr (std::is_same_v<Op, pow_op> && number_right) {
            return "PowBackward0";
        } else if constexpr (std::is_same_v<Op, pow_op> && number_left) {
            return "PowBackward2";
        } else {
            return std::string(Op::grad_fn);
        }
    } else if constexpr (requires { e.op.grad_fn_name(); }) {
        return std::string(e.op.grad_fn_name()); // an op named by how it was called (matmul)
    } else if constexpr (requires { E::op_type::grad_fn; }) {
        return std::string(E::op_type::grad_fn);
    } else if constexpr (requires { E::op_type::grad_fn_all; }) {
        return std::string(e.axes.all ? E::op_type::grad_fn_all : E::op_type::grad_fn_axes);
    } else if constexpr (requires { e.logical; }) {
        // A derivative's root: a sum over broadcast axes where there were any (torch's
        // sum_to_size), else the identity, named by its argument.
        return e.logical == e.target ? grad_fn_name(e.arg) : std::string("SumBackward1");
    } else if constexpr (requires { e.cond; }) {
        return "WhereBackward0";
    } else if constexpr (requires { e.args; }) {
        return "StackBackward0";
    } else if constexpr (requires { e.parts; }) {
        return "CatBackward0";
    } else {
        return "";
    }
}

} // namespace detail

/// Prints a leaf as torch prints a tensor with requires_grad=True.
template <LeafLike E>
std::ostream& operator<<(std::ostream& out, E const& e) {
    return out << repr(detail::leaf_of(e).value(), {.requires_grad = true});
}

/// Prints the value of an expression as torch prints the tensor it computes, with the
/// `grad_fn=<...>` of its root when it depends on a leaf.
template <Expression E>
requires(!LeafLike<E>) std::ostream& operator<<(std::ostream& out, E const& e) {
    repr_options options;
    if constexpr (!std::is_same_v<leaves_t<E>, detail::type_list<>>) {
        options.grad_fn = detail::grad_fn_name(e);
    }
    return out << repr(eval(e), options);
}

} // namespace xtad
