// Defines xtad::to_latex, which prints an expression as a LaTeX formula (`3 a^{3} - b^{2}`).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/io/formula.hpp"

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace xtad {

namespace detail {

/// Text set in \mathrm or \operatorname: LaTeX's special characters escaped.
inline std::string latex_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '_' || c == '#' || c == '%' || c == '&' || c == '$' || c == '{' || c == '}') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

/// A leaf's name: one character as it is, a longer name upright (`\mathrm{rate}`), so that it
/// does not read as a product of letters.
inline std::string latex_name(std::string_view name) {
    return name.size() == 1 && name[0] != '_' ? std::string(name)
                                              : "\\mathrm{" + latex_escape(name) + "}";
}

/// A number; `1e-05` as `1 \cdot 10^{-5}`, infinities and NaN by their symbols.
inline std::string latex_number(double v) {
    if (std::isnan(v)) {
        return "\\mathrm{NaN}";
    }
    if (std::isinf(v)) {
        return v < 0 ? "-\\infty" : "\\infty";
    }
    std::string s = number_str(v);
    auto const e = s.find('e');
    if (e == std::string::npos) {
        return s;
    }
    std::string exponent = s.substr(e + 1);
    if (exponent[0] == '+') {
        exponent.erase(0, 1);
    }
    std::size_t const first = exponent[0] == '-' ? 1 : 0;
    while (first + 1 < exponent.size() && exponent[first] == '0') {
        exponent.erase(first, 1);
    }
    return s.substr(0, e) + " \\cdot 10^{" + exponent + "}";
}

/// The LaTeX command for an op printed as a function, by its name; its argument follows in
/// \left( \right), unless `wraps` says the command encloses it itself (\sqrt{x}, |x|).
struct latex_function {
    std::string open;
    std::string close;
    bool wraps = false;
};

inline latex_function latex_function_of(std::string_view name) {
    constexpr std::string_view builtin[] = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "log"};
    for (auto b : builtin) {
        if (name == b) {
            return {"\\" + std::string(name), ""};
        }
    }
    if (name == "asin" || name == "acos" || name == "atan") {
        return {"\\arc" + std::string(name.substr(1)), ""};
    }
    if (name == "sqrt") {
        return {"\\sqrt{", "}", true};
    }
    if (name == "cbrt") {
        return {"\\sqrt[3]{", "}", true};
    }
    if (name == "abs") {
        return {"\\left|", "\\right|", true};
    }
    if (name == "log2") {
        return {"\\log_{2}", ""};
    }
    if (name == "log10") {
        return {"\\log_{10}", ""};
    }
    if (name == "sigmoid") {
        return {"\\sigma", ""};
    }
    if (name == "maximum" || name == "minimum") {
        return {"\\" + std::string(name.substr(0, 3)), ""};
    }
    return {"\\operatorname{" + latex_escape(name) + "}", ""};
}

/// The relation or connective for a comparison's symbol.
inline std::string latex_relation(std::string_view symbol) {
    if (symbol == "<=") {
        return "\\leq";
    }
    if (symbol == ">=") {
        return "\\geq";
    }
    if (symbol == "==") {
        return "=";
    }
    if (symbol == "!=") {
        return "\\neq";
    }
    if (symbol == "&") {
        return "\\land";
    }
    if (symbol == "|") {
        return "\\lor";
    }
    return std::string(symbol);
}

/// exp, printed as the power e^{x}.
template <class Op>
concept ExpOp = (Op::form == notation::function) && (Op::name == std::string_view("exp"));

/// & and |, printed as \land and \lor.
template <class Op>
concept ConnectiveOp = Op::form == notation::infix
                       && (Op::symbol == std::string_view("&")
                           || Op::symbol == std::string_view("|"));

template <class E>
constexpr bool is_exp_node = false;
template <ExpOp Op, class A>
constexpr bool is_exp_node<unary<Op, A>> = true;

template <class E>
constexpr bool is_connective = false;
template <ConnectiveOp Op, class L, class R>
constexpr bool is_connective<binary<Op, L, R>> = true;

/// How tightly `e` binds in LaTeX: as in the plain formula, except that exp(x) is the power
/// e^{x}, a number in scientific notation a product, and \land and \lor bind less tightly than
/// the relations they join.
template <class E>
int latex_precedence_of(E const& e) {
    if constexpr (is_exp_node<E>) {
        return 8;
    } else if constexpr (is_scalar_node<E>) {
        // 1 \cdot 10^{-5} is a product
        return number_str(static_cast<double>(e.value)).find('e') != std::string::npos
                   ? 6
                   : precedence_of(e);
    } else if constexpr (is_connective<E>) {
        return 2;
    } else {
        return precedence_of(e);
    }
}

template <class E>
std::string latex(E const& e);

/// The LaTeX of `e`, in \left( \right) when it binds less tightly than `context` (or as
/// tightly, where the operator is not associative on that side).
template <class E>
std::string latex_operand(E const& e, int context, bool strict = false) {
    int const p = latex_precedence_of(e);
    std::string s = latex(e);
    return p < context || (strict && p == context) ? "\\left(" + s + "\\right)" : s;
}

template <class T>
std::string latex_list(T const& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(items[i]);
    }
    return s;
}

/// `f\left(a, b\right)` for a function of several expressions.
template <class... A>
std::string latex_call(std::string const& f, A const&... a) {
    std::string s = f + "\\left(";
    std::size_t i = 0;
    ((s += (i++ ? ", " : "") + latex(a)), ...);
    return s + "\\right)";
}

template <class E>
std::string latex(E const& e) {
    if constexpr (is_leaf<E> || is_leaf_ref<E>) {
        return latex_name(E::name.view());
    } else if constexpr (is_static_constant<E>) {
        if constexpr (E::den == 1) {
            return std::to_string(E::num);
        } else {
            return std::string(E::num < 0 ? "-" : "") + "\\frac{"
                   + std::to_string(E::num < 0 ? -E::num : E::num) + "}{" + std::to_string(E::den)
                   + "}";
        }
    } else if constexpr (is_scalar_node<E>) {
        return latex_number(static_cast<double>(e.value));
    } else if constexpr (std::is_same_v<E, ones>) {
        return "1";
    } else if constexpr (requires { e.held; }) {
        return "\\mathrm{tensor}_{" + shape_str(e.shape()) + "}";
    } else if constexpr (requires { e.op.index; }) {
        return latex_operand(e.arg, 9) + "_{" + latex_list(e.op.index) + "}";
    } else if constexpr (requires { e.operands; }) {
        std::string const f = "\\operatorname{" + latex_escape(E::op_type::name) + "}";
        return std::apply([&](auto const&... a) { return latex_call(f, a...); }, shown_operands(e));
    } else if constexpr (requires { e.args; }) {
        return std::apply(
            [](auto const&... a) { return latex_call("\\operatorname{stack}", a...); }, e.args);
    } else if constexpr (requires { e.op.to; }) {
        return "\\operatorname{reshape}\\left(" + latex(e.arg) + ", (" + latex_list(e.op.to)
               + (e.op.to.size() == 1 ? ",)" : ")") + "\\right)";
    } else if constexpr (requires { e.parts; }) {
        std::string const f = "\\operatorname{concatenate}_{" + std::to_string(e.axis) + "}";
        return std::apply([&](auto const&... a) { return latex_call(f, a...); }, e.parts);
    } else if constexpr (requires { e.full; }) {
        return "\\operatorname{embed}\\left(" + latex(e.arg) + ", " + std::to_string(e.begin) + ":"
               + std::to_string(e.end) + "\\;\\mathrm{along}\\;" + std::to_string(e.axis) + ", "
               + shape_str(e.full) + "\\right)";
    } else if constexpr (requires { e.logical; }) {
        // Summing over broadcast axes prints as such; where nothing was broadcast, fit is the
        // identity.
        if (e.logical == e.target) {
            return latex(e.arg);
        }
        return "\\operatorname{sum\\_to}\\left(" + latex(e.arg) + ", " + shape_str(e.target)
               + "\\right)";
    } else if constexpr (requires { e.begin; }) {
        return latex_operand(e.arg, 9) + "_{" + std::to_string(e.begin) + ":"
               + std::to_string(e.end) + "\\;\\mathrm{along}\\;" + std::to_string(e.axis) + "}";
    } else if constexpr (requires { e.k; }) {
        return latex_operand(e.arg, 9) + "_{" + std::to_string(e.k) + "}";
    } else if constexpr (requires { e.axes; }) {
        std::string f = "\\operatorname{" + latex_escape(E::op_type::name) + "}";
        if (!e.axes.all) {
            f += "_{" + latex_list(e.axes.list) + "}";
        }
        return latex_call(f, e.arg);
    } else if constexpr (requires {
                             e.op;
                             e.arg;
                         }) {
        using Op = typename E::op_type;
        if constexpr (Op::form == notation::prefix) {
            std::string s = latex_operand(e.arg, E::precedence + 1);
            // -(-2 a), not --2 a
            return std::string(Op::symbol) + (s[0] == '-' ? "\\left(" + s + "\\right)" : s);
        } else if constexpr (Op::form == notation::power) {
            return latex_operand(e.arg, E::precedence + 1) + "^{" + std::to_string(Op::exponent)
                   + "}";
        } else if constexpr (is_exp_node<E>) {
            return "e^{" + latex(e.arg) + "}";
        } else if constexpr (requires { e.op.lo; }) {
            return "\\operatorname{" + latex_escape(Op::name) + "}\\left(" + latex(e.arg) + ", "
                   + latex_number(e.op.lo) + ", " + latex_number(e.op.hi) + "\\right)";
        } else {
            latex_function const f = latex_function_of(Op::name);
            return f.wraps ? f.open + latex(e.arg) + f.close : latex_call(f.open, e.arg);
        }
    } else if constexpr (requires { e.lhs; }) {
        using Op = typename E::op_type;
        if constexpr (Op::form == notation::infix) {
            if constexpr (Op::symbol == std::string_view("/")) {
                return "\\frac{" + latex(e.lhs) + "}{" + latex(e.rhs) + "}";
            } else {
                int const prec = latex_precedence_of(e);
                bool const non_assoc = Op::symbol == "-";
                // On the left of a product, a prefix minus needs no parentheses: -a b is (-a) b.
                std::string const l = latex_operand(e.lhs, prec == 6 ? 5 : prec);
                std::string r = latex_operand(e.rhs, prec, non_assoc);
                if (r[0] == '-') {
                    r = "\\left(" + r + "\\right)";
                }
                if constexpr (Op::symbol == std::string_view("*")) {
                    // A factor that is 1 at run time (a seed summed over nothing) is not printed.
                    if (l == "1") {
                        return latex_operand(e.rhs, prec);
                    }
                    if (r == "1") {
                        return latex_operand(e.lhs, prec);
                    }
                    // A product is written by juxtaposition; two numbers side by side need a dot.
                    bool const digit = (r[0] >= '0' && r[0] <= '9') || r[0] == '.';
                    return l + (digit ? " \\cdot " : " ") + r;
                } else if constexpr (Op::symbol == std::string_view("+")
                                     || Op::symbol == std::string_view("-")) {
                    return l + " " + std::string(Op::symbol) + " " + r;
                } else {
                    return l + " " + latex_relation(Op::symbol) + " " + r;
                }
            }
        } else if constexpr (Op::form == notation::power) {
            return latex_operand(e.lhs, E::precedence + 1) + "^{" + latex(e.rhs) + "}";
        } else {
            return latex_call(latex_function_of(Op::name).open, e.lhs, e.rhs);
        }
    } else if constexpr (requires { e.cond; }) {
        return latex_call("\\operatorname{where}", e.cond, e.then_, e.else_);
    } else if constexpr (requires { e.arg; }) {
        // Nodes that only reshape an adjoint (expand) print as their argument.
        return latex(e.arg);
    } else {
        static_assert(always_false<E>, "xtad::to_latex: no LaTeX form for this node");
    }
}

} // namespace detail

/// The expression as a LaTeX formula (math mode, without delimiters) with the fewest
/// parentheses: `3 a^{3} - b^{2}`, `\frac{1}{2 \sqrt{a}}`, `\sin\left(x\right)`, `e^{2 x}`.
/// Products are juxtaposed (`\cdot` before a number); names longer than one character are
/// upright (`\mathrm{rate}`); reductions, `where` and other functions without a standard
/// symbol are `\operatorname{sum}\left(x\right)`, with the axes of a partial reduction as a
/// subscript: `\operatorname{sum}_{0}\left(x\right)`.
template <Expression E>
std::string to_latex(E const& e) {
    return detail::latex(std::remove_cvref_t<E>(e));
}

} // namespace xtad
