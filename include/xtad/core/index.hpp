// Defines element access `x(i, j)`: a node of the core layer, so that a leaf's operator()
// compiles with <xtad/core.hpp> alone.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

/// One element of a tensor, `x(i, j)`: a 0-d expression. Only that element is computed (no
/// materialisation of x); its adjoint scatters the seed into that element.
struct index_op {
    static constexpr std::string_view name = "index";
    static constexpr std::string_view grad_fn_all = "SelectBackward0";
    static constexpr std::string_view grad_fn_axes = "SelectBackward0";
    /// As written: a negative index counts from the end, as in torch (x(-1) is the last).
    std::vector<std::ptrdiff_t> index;

    shape_t result_shape(shape_t const& in, axes_t const&) const {
        (void)element_at(in);
        return {};
    }
    /// The row-major position of the element in a tensor of shape `in` (checked): an op that
    /// reads one element says where, and the evaluator computes that element alone.
    std::size_t element_at(shape_t const& in) const {
        bool ok = index.size() == in.size();
        std::size_t flat = 0;
        for (std::size_t d = 0; ok && d < in.size(); ++d) {
            auto const n = static_cast<std::ptrdiff_t>(in[d]);
            auto const k = index[d] < 0 ? index[d] + n : index[d];
            ok = k >= 0 && k < n;
            flat = flat * in[d] + static_cast<std::size_t>(k);
        }
        if (!ok) {
            std::string i;
            for (std::size_t d = 0; d < index.size(); ++d) {
                i += (d ? ", " : "") + std::to_string(index[d]);
            }
            throw error("xtad::index: index (" + i + ") is out of range for a tensor of shape "
                        + detail::shape_str(in));
        }
        return flat;
    }
    /// The one element read: below, the argument's adjoint is an exact zero elsewhere, whatever
    /// the partials there (an infinite one included), as below a view.
    template <class Node>
    static xt::xarray<bool> support(Node const& node) {
        shape_t const in = node.arg.shape();
        xt::xarray<bool> hit(in, false);
        hit.flat(node.op.element_at(in)) = true;
        return hit;
    }
    // d x[i] / d x_j = [j == i]: the seed lands on element i, zero elsewhere
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node) {
        using C = decltype(detail::as_node(support(node)));
        return select<C, G, zero_t>{detail::as_node(support(node)), g, zero_t{}};
    }
};

/// `x(i, j, ...)`: the element at that index, as a 0-d expression (torch's `x[i, j]`; a
/// negative index counts from the end).
template <Expression E, class... I>
requires(std::is_integral_v<I>&&...) auto index(E&& e, I... i) {
    using A = node_t<E>;
    A arg = detail::as_node(std::forward<E>(e));
    reduce<index_op, A> node{
        std::move(arg), axes_t{}, {}, index_op{{static_cast<std::ptrdiff_t>(i)...}}};
    (void)node.shape();
    return node;
}

} // namespace xtad
