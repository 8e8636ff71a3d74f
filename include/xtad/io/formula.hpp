// Defines xtad::to_string, which prints an expression as a formula (`3*a^3 - b^2`).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace xtad {

namespace detail {

/// A number as the shortest text that reads back to it; integers without a decimal point.
inline std::string number_str(double v) {
    if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) {
        return std::to_string(static_cast<long long>(v));
    }
    char buf[32];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// How tightly `e` binds when printed; a negative number binds as a prefix minus.
template <class E>
int precedence_of(E const& e) {
    if constexpr (is_scalar_node<E>) {
        return e.value < 0 ? 5 : E::precedence;
    } else if constexpr (is_static_constant<E>) {
        return E::num < 0 ? 5 : E::precedence;
    } else {
        return E::precedence;
    }
}

template <class E>
std::string formula(E const& e);

/// The formula of `e`, in parentheses when it binds less tightly than `context` (or as
/// tightly, where the operator is not associative on that side).
template <class E>
std::string operand(E const& e, int context, bool strict = false) {
    int const p = precedence_of(e);
    std::string s = formula(e);
    return p < context || (strict && p == context) ? "(" + s + ")" : s;
}

template <class E>
std::string formula(E const& e) {
    if constexpr (is_leaf<E> || is_leaf_ref<E>) {
        return std::string(E::name.view());
    } else if constexpr (is_static_constant<E>) {
        return E::den == 1 ? std::to_string(E::num)
                           : std::to_string(E::num) + "/" + std::to_string(E::den);
    } else if constexpr (is_scalar_node<E>) {
        return number_str(static_cast<double>(e.value));
    } else if constexpr (std::is_same_v<E, ones>) {
        return "1";
    } else if constexpr (requires { e.held; }) {
        return "tensor" + shape_str(e.shape());
    } else if constexpr (requires { e.op.index; }) {
        std::string s = operand(e.arg, 9) + "[";
        for (std::size_t i = 0; i < e.op.index.size(); ++i) {
            s += (i ? ", " : "") + std::to_string(e.op.index[i]);
        }
        return s + "]";
    } else if constexpr (requires { e.operands; }) {
        std::string s = std::string(E::op_type::name) + "(";
        std::size_t i = 0;
        std::apply([&](auto const&... a) { ((s += (i++ ? ", " : "") + formula(a)), ...); },
                   shown_operands(e));
        return s + ")";
    } else if constexpr (requires { e.args; }) {
        std::string s = "stack(";
        std::size_t i = 0;
        std::apply([&](auto const&... a) { ((s += (i++ ? ", " : "") + formula(a)), ...); }, e.args);
        return s + ")";
    } else if constexpr (requires { e.op.to; }) {
        std::string s = "reshape(" + formula(e.arg) + ", (";
        for (std::size_t i = 0; i < e.op.to.size(); ++i) {
            s += (i ? ", " : "") + std::to_string(e.op.to[i]);
        }
        return s + (e.op.to.size() == 1 ? ",))" : "))");
    } else if constexpr (requires { e.parts; }) {
        std::string s = "concatenate(" + std::to_string(e.axis);
        std::apply([&](auto const&... a) { ((s += ", " + formula(a)), ...); }, e.parts);
        return s + ")";
    } else if constexpr (requires { e.full; }) {
        return "embed(" + formula(e.arg) + ", axis=" + std::to_string(e.axis)
               + ", at=" + std::to_string(e.begin) + ":" + std::to_string(e.end)
               + ", shape=" + shape_str(e.full) + ")";
    } else if constexpr (requires { e.logical; }) {
        // Summing over broadcast axes prints as such; where nothing was broadcast, fit is the
        // identity and the formula is its argument's.
        if (e.logical == e.target) {
            return formula(e.arg);
        }
        return "sum_to(" + formula(e.arg) + ", " + shape_str(e.target) + ")";
    } else if constexpr (requires { e.begin; }) {
        return operand(e.arg, 9) + "[" + std::to_string(e.begin) + ":" + std::to_string(e.end)
               + " along " + std::to_string(e.axis) + "]";
    } else if constexpr (requires { e.k; }) {
        return operand(e.arg, 9) + "[" + std::to_string(e.k) + "]";
    } else if constexpr (requires { e.axes; }) {
        std::string s = std::string(E::op_type::name) + "(" + formula(e.arg);
        if (!e.axes.all) {
            s += ", axes=[";
            for (std::size_t i = 0; i < e.axes.list.size(); ++i) {
                s += (i ? ", " : "") + std::to_string(e.axes.list[i]);
            }
            s += "]";
        }
        return s + ")";
    } else if constexpr (requires {
                             e.op;
                             e.arg;
                         }) {
        using Op = typename E::op_type;
        if constexpr (Op::form == notation::prefix) {
            std::string const a = operand(e.arg, E::precedence + 1);
            // An operand that prints with a leading minus is a negated term (a sum would be in
            // parentheses): -(-2*x) prints as 2*x, not --2*x.
            if (Op::symbol == "-" && a.starts_with('-')) {
                return a.substr(1);
            }
            return std::string(Op::symbol) + a;
        } else if constexpr (Op::form == notation::power) {
            constexpr int n = Op::exponent;
            if constexpr (n == 0) {
                return "1"; // x^0 is 1 everywhere (its node keeps x's shape)
            }
            return operand(e.arg, E::precedence + 1) + "^"
                   + (n < 0 ? "(" + std::to_string(n) + ")" : std::to_string(n));
        } else if constexpr (requires { e.op.lo; }) {
            return std::string(Op::symbol) + "(" + formula(e.arg) + ", " + number_str(e.op.lo)
                   + ", " + number_str(e.op.hi) + ")";
        } else {
            return std::string(Op::symbol) + "(" + formula(e.arg) + ")";
        }
    } else if constexpr (requires { e.lhs; }) {
        using Op = typename E::op_type;
        if constexpr (Op::form == notation::infix) {
            bool const spaced = E::precedence < 6;
            std::string const sep =
                spaced ? " " + std::string(Op::symbol) + " " : std::string(Op::symbol);
            bool const non_assoc = Op::symbol == "-" || Op::symbol == "/";
            // On the left of * and /, a prefix minus needs no parentheses: -a*b is (-a)*b.
            int const left = E::precedence == 6 ? 5 : E::precedence;
            // A factor that is 1 at run time (a seed summed over nothing) is not printed.
            if constexpr (Op::symbol == "*") {
                if (formula(e.lhs) == "1") {
                    return operand(e.rhs, E::precedence);
                }
                if (formula(e.rhs) == "1") {
                    return operand(e.lhs, E::precedence);
                }
            }
            if constexpr (Op::symbol == "&" || Op::symbol == "|") {
                // In Python (and SymPy) & binds tighter than ==: (a == 0) & (b >= 0).
                return operand(e.lhs, E::precedence + 1) + sep + operand(e.rhs, E::precedence + 1);
            }
            std::string const r = operand(e.rhs, E::precedence, non_assoc);
            if constexpr (Op::symbol == "+" || Op::symbol == "-") {
                // A right operand with a leading minus is a negated term: a + -2*x is a - 2*x.
                if (r.starts_with('-')) {
                    return operand(e.lhs, left) + (Op::symbol == "+" ? " - " : " + ") + r.substr(1);
                }
            }
            return operand(e.lhs, left) + sep + r;
        } else if constexpr (Op::form == notation::power) {
            return operand(e.lhs, E::precedence + 1) + "^" + operand(e.rhs, E::precedence + 1);
        } else {
            return std::string(Op::symbol) + "(" + formula(e.lhs) + ", " + formula(e.rhs) + ")";
        }
    } else if constexpr (requires { e.cond; }) {
        return "where(" + formula(e.cond) + ", " + formula(e.then_) + ", " + formula(e.else_) + ")";
    } else if constexpr (requires { e.arg; }) {
        // fit and expand only reshape an adjoint: the formula is their argument's
        return formula(e.arg);
    } else {
        static_assert(always_false<E>, "xtad::to_string: no formula for this node");
    }
}

} // namespace detail

/// The expression as a formula with the fewest parentheses: `3*a^3 - b^2`, `1/(2*sqrt(x))`.
/// Leaves print by their names; `^` is the power, as SymPy parses with convert_xor.
template <Expression E>
std::string to_string(E const& e) {
    return detail::formula(std::remove_cvref_t<E>(e));
}

} // namespace xtad
