// Defines element access `x(i, j)` and stack(e0, e1, ...).
#pragma once

#include "xtad/ops/compare.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace xtad {

/// One element of a tensor, `x(i, j)`: a 0-d expression. Only that element is computed (no
/// materialisation of x); its adjoint scatters the seed into that element.
struct index_op {
    static constexpr std::string_view name = "index";
    static constexpr std::string_view grad_fn_all = "SelectBackward0";
    static constexpr std::string_view grad_fn_axes = "SelectBackward0";
    std::vector<std::size_t> index;

    shape_t result_shape(shape_t const& in, axes_t const&) const {
        check(in);
        return {};
    }
    void check(shape_t const& in) const {
        bool ok = index.size() == in.size();
        for (std::size_t d = 0; ok && d < in.size(); ++d) {
            ok = index[d] < in[d];
        }
        if (!ok) {
            std::string i;
            for (std::size_t d = 0; d < index.size(); ++d) {
                i += (d ? ", " : "") + std::to_string(index[d]);
            }
            throw error("xtad::index: index (" + i + ") is out of range for a tensor of shape "
                        + detail::shape_str(in));
        }
    }
    template <class V, class X>
    xt::xarray<V> compute(X&& x, axes_t const&) const {
        return xt::xarray<V>(static_cast<V>(x.element(index.begin(), index.end())));
    }
    // d x[i] / d x_j = [j == i]: the seed lands on element i, zero elsewhere
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node) {
        xt::xarray<bool> hit(node.arg.shape(), false);
        hit.element(node.op.index.begin(), node.op.index.end()) = true;
        return detail::make_select(detail::as_node(std::move(hit)), g, zero_t{});
    }
};

/// `x(i, j, ...)`: the element at that index, as a 0-d expression (torch's `x[i, j]`).
template <Expression E, class... I>
requires(std::is_integral_v<I>&&...) auto index(E&& e, I... i) {
    using A = node_t<E>;
    A arg = detail::as_node(std::forward<E>(e));
    reduce<index_op, A> node{
        std::move(arg), axes_t{}, {}, index_op{{static_cast<std::size_t>(i)...}}};
    (void)node.shape();
    return node;
}

/// `stack(e0, e1, ...)`: expressions of one shape along a new first axis (torch.stack).
template <Expression... E>
requires(sizeof...(E) > 0) auto stack(E&&... e) {
    stack_node<node_t<E>...> node{{detail::as_node(std::forward<E>(e))...}};
    (void)node.shape();
    return node;
}

} // namespace xtad
