// Defines xtad::to_dot, which prints the tree of an expression as a Graphviz digraph.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/io/formula.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace xtad {

namespace detail {

/// A label as a DOT string: quotes and backslashes escaped.
inline std::string dot_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

/// The statements of the graph being written, and the node of each leaf drawn so far: a leaf
/// that occurs several times in the tree is one node with several edges into it.
struct dot_writer {
    std::string body;
    std::size_t count = 0;
    std::map<std::string, std::string, std::less<>> leaves;

    std::string node(std::string_view label, std::string_view attributes = "") {
        std::string id = "n" + std::to_string(count++);
        body += "  " + id + " [label=" + dot_quote(label);
        if (!attributes.empty()) {
            body += ", ";
            body += attributes;
        }
        body += "];\n";
        return id;
    }
    void edge(std::string const& from, std::string const& to) {
        body += "  " + from + " -> " + to + ";\n";
    }
};

inline std::string dot_list(auto const& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(items[i]);
    }
    return s;
}

template <class E>
std::string dot_node(E const& e, dot_writer& w);

/// Draws `e`'s node with `label`, then its children (left to right), and returns its id.
template <class E, class... C>
std::string dot_inner(E const&, dot_writer& w, std::string_view label, C const&... children) {
    // Materialisation points (a cached value per evaluation) are drawn with a double border.
    constexpr bool cached = requires(E const& n) {
        n.cache;
    };
    std::string const id = w.node(label, cached ? "peripheries=2" : "");
    (w.edge(id, dot_node(children, w)), ...);
    return id;
}

template <class E>
std::string dot_node(E const& e, dot_writer& w) {
    if constexpr (is_leaf<E> || is_leaf_ref<E>) {
        std::string_view const name = E::name.view();
        if (auto const it = w.leaves.find(name); it != w.leaves.end()) {
            return it->second;
        }
        std::string id = w.node(name, "shape=ellipse, style=bold");
        w.leaves.emplace(std::string(name), id);
        return id;
    } else if constexpr (is_static_constant<E> || is_scalar_node<E>) {
        return w.node(formula(e), "shape=plaintext");
    } else if constexpr (std::is_same_v<E, ones>) {
        return w.node("ones" + shape_str(e.shape()), "shape=plaintext");
    } else if constexpr (requires { e.held; }) {
        return w.node("tensor" + shape_str(e.shape()), "shape=plaintext");
    } else if constexpr (requires { e.op.index; }) {
        return dot_inner(e, w, "index [" + dot_list(e.op.index) + "]", e.arg);
    } else if constexpr (requires { e.operands; }) {
        return std::apply([&](auto const&... a) { return dot_inner(e, w, E::op_type::name, a...); },
                          shown_operands(e));
    } else if constexpr (requires { e.args; }) {
        return std::apply([&](auto const&... a) { return dot_inner(e, w, "stack", a...); }, e.args);
    } else if constexpr (requires { e.op.to; }) {
        return dot_inner(e, w, "reshape (" + dot_list(e.op.to) + (e.op.to.size() == 1 ? ",)" : ")"),
                         e.arg);
    } else if constexpr (requires { e.parts; }) {
        std::string const label = "concatenate axis=" + std::to_string(e.axis);
        return std::apply([&](auto const&... a) { return dot_inner(e, w, label, a...); }, e.parts);
    } else if constexpr (requires { e.full; }) {
        return dot_inner(e, w,
                         "embed [" + std::to_string(e.begin) + ":" + std::to_string(e.end)
                             + " along " + std::to_string(e.axis) + "] in " + shape_str(e.full),
                         e.arg);
    } else if constexpr (requires { e.begin; }) {
        return dot_inner(e, w,
                         "[" + std::to_string(e.begin) + ":" + std::to_string(e.end) + " along "
                             + std::to_string(e.axis) + "]",
                         e.arg);
    } else if constexpr (requires { e.k; }) {
        return dot_inner(e, w, "[" + std::to_string(e.k) + "]", e.arg);
    } else if constexpr (requires { e.axes; }) {
        std::string label(E::op_type::name);
        if (!e.axes.all) {
            label += " axes=[" + dot_list(e.axes.list) + "]";
        }
        return dot_inner(e, w, label, e.arg);
    } else if constexpr (requires {
                             e.op;
                             e.arg;
                         }) {
        using Op = typename E::op_type;
        if constexpr (Op::form == notation::power) {
            return dot_inner(e, w, "^" + std::to_string(Op::exponent), e.arg);
        } else if constexpr (requires { e.op.lo; }) {
            return dot_inner(e, w,
                             std::string(Op::symbol) + " [" + number_str(e.op.lo) + ", "
                                 + number_str(e.op.hi) + "]",
                             e.arg);
        } else {
            return dot_inner(e, w, Op::symbol, e.arg);
        }
    } else if constexpr (requires { e.lhs; }) {
        return dot_inner(e, w, E::op_type::symbol, e.lhs, e.rhs);
    } else if constexpr (requires { e.cond; }) {
        return dot_inner(e, w, "where", e.cond, e.then_, e.else_);
    } else if constexpr (requires {
                             e.target;
                             e.logical;
                         }) {
        // Where nothing was broadcast, fit is the identity and is not drawn.
        if (e.logical == e.target) {
            return dot_node(e.arg, w);
        }
        return dot_inner(e, w, "sum_to " + shape_str(e.target), e.arg);
    } else if constexpr (requires { e.kept; }) {
        return dot_inner(e, w, "expand " + shape_str(e.kept), e.arg);
    } else if constexpr (requires { e.arg; }) {
        // A node that only reshapes an adjoint draws as its argument.
        return dot_node(e.arg, w);
    } else {
        static_assert(always_false<E>, "xtad::to_dot: no drawing for this node");
    }
}

} // namespace detail

/// The tree of the expression as a Graphviz digraph (`dot -Tsvg`): a node per operation,
/// labelled with its symbol (`*`, `^3`, `sin`, `sum axes=[0]`), edges to its operands in
/// order; leaves are ellipses, drawn once however often they occur; constants are plain text
/// (their value, or `tensor(2, 2)` for a constant tensor); materialised nodes (reductions,
/// stack, concatenate) have a double border.
template <Expression E>
std::string to_dot(E const& e, std::string_view graph_name = "xtad") {
    detail::dot_writer w;
    detail::dot_node(std::remove_cvref_t<E>(e), w);
    return "digraph " + detail::dot_quote(graph_name)
           + " {\n  ordering=out;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
           + w.body + "}\n";
}

} // namespace xtad
