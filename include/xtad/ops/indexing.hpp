// Defines reshape, flatten, concatenate and stack (element access `x(i, j)` is in core/).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/index.hpp"
#include "xtad/ops/compare.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace xtad {

/// The same elements in a new shape (torch.reshape, flatten). Materialised; its adjoint is the
/// seed given the argument's shape back.
struct reshape_op {
    static constexpr std::string_view name = "reshape";
    static constexpr std::string_view grad_fn_all = "ViewBackward0";
    static constexpr std::string_view grad_fn_axes = "ViewBackward0";
    std::vector<std::ptrdiff_t> to;

    /// The new shape, with a -1 standing for what the other dimensions leave.
    shape_t result_shape(shape_t const& in, axes_t const&) const {
        std::size_t const n = detail::size_of(in);
        std::size_t known = 1;
        std::ptrdiff_t free = -1;
        shape_t out(to.size());
        for (std::size_t d = 0; d < to.size(); ++d) {
            if (to[d] == -1 && free < 0) {
                free = static_cast<std::ptrdiff_t>(d);
            } else if (to[d] < 0) {
                fail(in);
            } else {
                out[d] = static_cast<std::size_t>(to[d]);
                known *= out[d];
            }
        }
        if (free >= 0) {
            if (known == 0 || n % known != 0) {
                fail(in);
            }
            out[static_cast<std::size_t>(free)] = n / known;
        } else if (known != n) {
            fail(in);
        }
        return out;
    }
    [[noreturn]] void fail(shape_t const& in) const {
        std::string t;
        for (std::size_t d = 0; d < to.size(); ++d) {
            t += (d ? ", " : "") + std::to_string(to[d]);
        }
        throw error("xtad::reshape: a tensor of shape " + detail::shape_str(in)
                    + " cannot be reshaped to (" + t + (to.size() == 1 ? ",)" : ")"));
    }
    template <class V, class X>
    xt::xarray<V> compute(X&& x, axes_t const&) const {
        xt::xarray<V> r = std::forward<X>(x);
        r.reshape(result_shape(detail::to_shape(r.shape()), {}));
        return r;
    }
    // d reshape(x) / dx: the identity, in x's shape
    template <class G, class Node>
    static auto vjp(G const& g, Node const&) {
        return g;
    }
};

/// `e` reshaped (torch.reshape); one dimension may be -1.
template <Expression E>
auto reshape(E&& e, std::vector<std::ptrdiff_t> to) {
    using A = node_t<E>;
    reduce<reshape_op, A> node{
        detail::as_node(std::forward<E>(e)), axes_t{{}, false}, {}, reshape_op{std::move(to)}};
    (void)node.shape();
    return node;
}

/// `e` as a 1-d tensor (torch.flatten).
template <Expression E>
auto flatten(E&& e) {
    return reshape(std::forward<E>(e), {-1});
}

/// `concatenate(axis, e0, e1, ...)`: expressions joined along an existing axis (torch.cat).
template <Expression... E>
requires(sizeof...(E) > 0) auto concatenate(std::size_t axis, E&&... e) {
    concat_node<node_t<E>...> node{{detail::as_node(std::forward<E>(e))...}, axis};
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
