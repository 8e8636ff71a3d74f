// Defines element access `x(i, j)`: a node of the core layer, so that a leaf's operator()
// compiles with <xtad/core.hpp> alone.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

#include <array>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

/// One element of a tensor, `x(i, j)`: a 0-d expression. Only that element is computed (no
/// materialisation of x); its adjoint scatters the seed into that element. K is the number of
/// indices, so that they are held inline (building `x(i)` allocates nothing and copies as a
/// plain array).
template <std::size_t K>
struct index_op {
    static constexpr std::string_view name = "index";
    static constexpr std::string_view grad_fn_all = "SelectBackward0";
    static constexpr std::string_view grad_fn_axes = "SelectBackward0";
    /// As written: a negative index counts from the end, as in torch (x(-1) is the last).
    std::array<std::ptrdiff_t, K> index;

    /// The row-major position of the element in a tensor of shape `in` (checked): an op that
    /// reads one element says where, and the evaluator computes that element alone. `in` is any
    /// sequence of extents (a shape_t, a fixed-size tensor's own shape).
    template <class S>
    std::size_t element_at(S const& in) const {
        bool ok = std::size(in) == K;
        std::size_t flat = 0;
        if (ok) {
            auto extent = std::begin(in);
            for (std::size_t d = 0; d < K; ++d, ++extent) {
                auto const n = static_cast<std::ptrdiff_t>(*extent);
                auto const k = index[d] < 0 ? index[d] + n : index[d];
                ok = ok && k >= 0 && k < n;
                flat = flat * static_cast<std::size_t>(n) + static_cast<std::size_t>(k);
            }
        }
        if (!ok) [[unlikely]] {
            out_of_range(detail::to_shape(in));
        }
        return flat;
    }
    [[noreturn]] void out_of_range(shape_t const& in) const {
        std::string i;
        for (std::size_t d = 0; d < K; ++d) {
            i += (d ? ", " : "") + std::to_string(index[d]);
        }
        throw error("xtad::index: index (" + i + ") is out of range for a tensor of shape "
                    + detail::shape_str(in));
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

/// x(i, j) is a reduction over every axis that keeps one element. Its axes are the same for
/// every such node (all of them), so they are not stored (a constant, not constexpr: a
/// std::vector is not a literal type in the standard libraries of g++ 10 and 11): a tree of
/// elements, built in every call of a transform, moves no vector of axes at each level (a
/// 3-variable Rosenbrock's tree took a fifth of its building time to).
template <std::size_t K, class E>
struct reduce<index_op<K>, E> {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using op_type = index_op<K>;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    static inline axes_t const axes{};
    E arg;
    cache_slot<value_t<E>> cache{};
    index_op<K> op{};

    shape_t shape() const {
        return {}; // 0-d; the index is checked where it is evaluated
    }

    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

namespace detail {
/// x(i, j): one element, 0-d whatever x is; the shape rule of index_op. The index is not checked
/// there, as the shape rule runs at every step of building and evaluating a tree: index() checks
/// it where it is written, and every evaluation computes element_at, which checks it against the
/// tensor's shape then (a leaf may have been resized in between).
template <std::size_t K, class E>
struct static_shape<reduce<index_op<K>, E>> {
    using type = xt::fixed_shape<>;
};
} // namespace detail

/// `x(i, j, ...)`: the element at that index, as a 0-d expression (torch's `x[i, j]`; a
/// negative index counts from the end).
template <Expression E, class... I>
requires(std::is_integral_v<I>&&...) auto index(E&& e, I... i) {
    using A = node_t<E>;
    A arg = detail::as_node(std::forward<E>(e));
    using Op = index_op<sizeof...(I)>;
    reduce<Op, A> node{std::move(arg), {}, Op{{static_cast<std::ptrdiff_t>(i)...}}};
    if constexpr (LeafLike<A>) {
        (void)node.op.element_at(detail::leaf_of(node.arg).value().shape());
    } else {
        (void)node.op.element_at(node.arg.shape());
    }
    return node;
}

} // namespace xtad
