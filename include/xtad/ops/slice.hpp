// Defines xtad::view, slices of any expression (torch's A[:, 0], x[1:], A[None], x[::2]),
// xtad::diagonal and xtad::trace, and the op of selection by a mask (torch's A[A > 3];
// xtad::filter, which evaluates the mask, is in eval/build.hpp): tensor ops whose adjoints
// scatter back into the elements they read.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"
#include "xtad/ops/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

namespace detail {

/// A view being built from its slices (make_view): for each axis of the viewed tensor, the
/// indices it reads, in the order of the view's elements; the view's shape, with `xt::newaxis()`
/// axes of size 1, and without the axes an integer index drops.
struct view_axes {
    shape_t full;                             // the shape of the viewed tensor
    std::vector<std::vector<std::size_t>> at; // per axis of `full`: the indices read
    shape_t shape;                            // the view's shape
    std::string written;                      // the slice as written, for messages
    std::string_view torch_name;              // SliceBackward0, SelectBackward0, ...

    /// The flat index in the viewed tensor of each element of the view, row-major.
    std::vector<std::size_t> flat_indices() const {
        std::size_t const n = size_of(shape);
        std::vector<std::size_t> from(n);
        std::size_t const rank = full.size();
        shape_t stride(rank, 1);
        for (std::size_t d = rank; d-- > 1;) {
            stride[d - 1] = stride[d] * full[d];
        }
        std::vector<std::size_t> pos(rank, 0);
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t j = 0;
            for (std::size_t d = 0; d < rank; ++d) {
                j += at[d][pos[d]] * stride[d];
            }
            from[i] = j;
            for (std::size_t d = rank; d-- > 0;) {
                if (++pos[d] < at[d].size()) {
                    break;
                }
                pos[d] = 0;
            }
        }
        return from;
    }
};

} // namespace detail

/// The elements an op gathers from a tensor (a view, a diagonal, a trace): the flat index in the
/// tensor of each element of the result, in row-major order; with the op's name and what it was
/// written as, for messages. Shared by the copies of the op and by its adjoint.
struct gather_spec {
    shape_t full;                  // the shape of the tensor gathered from
    shape_t shape;                 // the result's shape
    std::vector<std::size_t> from; // per element of the result: the flat index it reads
    std::string op;                // the public function: "view", "diagonal", "trace"
    std::string what;              // "the view [1:]", "the diagonal", ...
    std::string_view torch_name;   // SliceBackward0, SelectBackward0, DiagonalBackward0, ...
    /// The result as a strided view of the tensor, where it is one (a view and a diagonal always
    /// are; see find_steps): element j of the result is element `base + sum over k of j[k] *
    /// steps[k]` of the tensor, as multi-indices.
    std::optional<shape_t> base;
    std::vector<xt::svector<std::ptrdiff_t, 4>>
        steps; // per axis of the result, per axis of the tensor

    /// Finds base and steps from `from`, the result being a strided view of the tensor: the
    /// multi-index each element reads is affine in the element's own multi-index. Where it is not,
    /// base stays empty.
    void find_steps() {
        std::size_t const n = from.size();
        std::size_t const rank = full.size();
        if (n == 0) {
            return;
        }
        auto const unravel = [&](std::size_t f) {
            shape_t idx(rank, 0);
            for (std::size_t d = rank; d-- > 0;) {
                idx[d] = f % full[d];
                f /= full[d];
            }
            return idx;
        };
        shape_t const b = unravel(from[0]);
        steps.assign(shape.size(), xt::svector<std::ptrdiff_t, 4>(rank, 0));
        xt::svector<std::ptrdiff_t, 4> flat_step(shape.size(), 0); // per axis of the result
        std::size_t unit = 1;                                      // the result's row-major stride
        for (std::size_t k = shape.size(); k-- > 0;) {
            if (shape[k] > 1) {
                shape_t const idx = unravel(from[unit]);
                for (std::size_t d = 0; d < rank; ++d) {
                    steps[k][d] =
                        static_cast<std::ptrdiff_t>(idx[d]) - static_cast<std::ptrdiff_t>(b[d]);
                }
                flat_step[k] =
                    static_cast<std::ptrdiff_t>(from[unit]) - static_cast<std::ptrdiff_t>(from[0]);
            }
            unit *= shape[k];
        }
        // In range along every axis of the tensor over the whole result (checked at the corners)...
        for (std::size_t d = 0; d < rank; ++d) {
            auto lo = static_cast<std::ptrdiff_t>(b[d]);
            auto hi = lo;
            for (std::size_t k = 0; k < shape.size(); ++k) {
                std::ptrdiff_t const span = steps[k][d] * static_cast<std::ptrdiff_t>(shape[k] - 1);
                (span < 0 ? lo : hi) += span;
            }
            if (lo < 0 || hi >= static_cast<std::ptrdiff_t>(full[d])) {
                steps.clear();
                return;
            }
        }
        // ... and equal, flat, to what `from` says at every element: then the multi-indices are.
        shape_t pos(shape.size(), 0);
        auto at = static_cast<std::ptrdiff_t>(from[0]);
        for (std::size_t i = 0; i < n; ++i) {
            if (at != static_cast<std::ptrdiff_t>(from[i])) {
                steps.clear();
                return;
            }
            for (std::size_t k = shape.size(); k-- > 0;) {
                if (++pos[k] < shape[k]) {
                    at += flat_step[k];
                    break;
                }
                at -= flat_step[k] * static_cast<std::ptrdiff_t>(shape[k] - 1);
                pos[k] = 0;
            }
        }
        base = b;
    }
    /// The layout of the result, given that of the tensor `a`: a view of its elements where the
    /// result is a strided one (base is set).
    strided_layout layout(strided_layout const& a) const {
        strided_layout out{a.offset, {}};
        for (std::size_t d = 0; d < full.size(); ++d) {
            out.offset += static_cast<std::ptrdiff_t>((*base)[d]) * a.strides[d];
        }
        out.strides.assign(shape.size(), 0);
        for (std::size_t k = 0; k < shape.size(); ++k) {
            for (std::size_t d = 0; d < full.size(); ++d) {
                out.strides[k] += steps[k][d] * a.strides[d];
            }
        }
        return out;
    }

    /// Throws unless the tensor still has the shape the op was made for.
    void check(shape_t const& a) const {
        if (a != full) {
            throw error("xtad::" + op + ": " + what + " was made for a tensor of shape "
                        + detail::shape_str(full) + ", which now has shape "
                        + detail::shape_str(a));
        }
    }
    /// The elements read: below the op an operand's adjoint is kept an exact zero elsewhere (an
    /// element not read has the gradient 0, also where the derivatives below it are infinite or
    /// NaN).
    xt::xarray<bool> read() const {
        xt::xarray<bool> r = xt::zeros<bool>(full);
        for (std::size_t j : from) {
            r.flat(j) = true;
        }
        return r;
    }
    template <class T>
    xt::xarray<T> gather(xt::xarray<T> const& a) const {
        xt::xarray<T> out(shape);
        for (std::size_t i = 0; i < from.size(); ++i) {
            out.flat(i) = a.flat(from[i]);
        }
        return out;
    }
    /// `g`, of the result's shape or broadcast to it, added into zeros of the tensor's shape where
    /// it was read from.
    template <class T>
    xt::xarray<T> scatter(xt::xarray<T> const& g) const {
        xt::xarray<T> out = xt::zeros<T>(full);
        xt::xarray<T> const in = xt::broadcast(g, shape);
        for (std::size_t i = 0; i < from.size(); ++i) {
            out.flat(from[i]) += in.flat(i);
        }
        return out;
    }
};

template <fixed_string Name, fixed_string Adjoint, fixed_string AdjointGradFn>
struct gather_op;

/// The adjoint of a gather: the seed scattered back (gather_spec::scatter). Linear; its transpose
/// is the gather, whose result the adjoint pass sums down to the seed's shape.
template <fixed_string Name, fixed_string Adjoint, fixed_string AdjointGradFn>
struct scatter_op : tensor_op<Adjoint, AdjointGradFn> {
    std::shared_ptr<gather_spec const> spec;

    bool operator==(scatter_op const& o) const { return spec == o.spec; }

    shape_t shape(shape_t const&) const { return spec->full; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& g) const {
        return spec->scatter(g);
    }
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const {
        return detail::make_tensor(gather_op<Name, Adjoint, AdjointGradFn>{{}, spec}, g);
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& dg) const {
        return value(dg);
    }
};

/// The elements of the operand that the spec says, as a tensor of the spec's shape (a view, a
/// diagonal); its adjoint scatters back into them.
template <fixed_string Name, fixed_string Adjoint, fixed_string AdjointGradFn>
struct gather_op : tensor_op<Name, "SliceBackward0"> {
    std::shared_ptr<gather_spec const> spec;

    bool operator==(gather_op const& o) const { return spec == o.spec; }
    std::string_view grad_fn_name() const { return spec->torch_name; }

    shape_t shape(shape_t const& a) const {
        spec->check(a);
        return spec->shape;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        return spec->gather(a);
    }
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const {
        return detail::make_tensor(scatter_op<Name, Adjoint, AdjointGradFn>{{}, spec}, g);
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& da) const {
        return value(da);
    }
    template <class A>
    xt::xarray<bool> support(std::size_t, A const&) const {
        return spec->read();
    }
    /// The result is a strided view of the operand's elements where the spec says so.
    std::optional<strided_layout> layout(strided_layout const& a) const {
        if (!spec->base) {
            return std::nullopt;
        }
        return spec->layout(a);
    }
};

/// `e` viewed (xtad::view), and its adjoint.
using view_op = gather_op<"view", "unview", "SliceBackwardBackward0">;
using unview_op = scatter_op<"view", "unview", "SliceBackwardBackward0">;
/// The diagonal of `e` (xtad::diagonal), and its adjoint, which puts the seed back on it.
using diagonal_op = gather_op<"diagonal", "undiagonal", "DiagonalBackwardBackward0">;
using undiagonal_op = scatter_op<"diagonal", "undiagonal", "DiagonalBackwardBackward0">;

namespace detail {

template <class S>
constexpr bool is_range_adaptor = false;
template <class A, class B, class C>
constexpr bool is_range_adaptor<xt::xrange_adaptor<A, B, C>> = true;

template <class S>
constexpr bool is_slice_arg =
    std::is_integral_v<
        S> || is_range_adaptor<S> || std::is_same_v<S, xt::xall_tag> || std::is_same_v<S, xt::xnewaxis_tag> || std::is_same_v<S, xt::xellipsis_tag>;

template <class S>
constexpr bool takes_no_axis =
    std::is_same_v<S, xt::xnewaxis_tag> || std::is_same_v<S, xt::xellipsis_tag>;

template <class S>
std::string slice_text(S const& s) {
    if constexpr (std::is_integral_v<S>) {
        return std::to_string(s);
    } else if constexpr (std::is_same_v<S, xt::xall_tag>) {
        return ":";
    } else if constexpr (std::is_same_v<S, xt::xnewaxis_tag>) {
        return "None";
    } else if constexpr (std::is_same_v<S, xt::xellipsis_tag>) {
        return "...";
    } else {
        auto const part = [](auto const& v) {
            if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(v)>>) {
                return std::to_string(v);
            } else {
                return std::string();
            }
        };
        std::string t = part(s.start()) + ":" + part(s.stop());
        if (std::is_integral_v<std::remove_cvref_t<decltype(s.step())>>) {
            t += ":" + part(s.step());
        }
        return t;
    }
}

/// One argument of view, applied to axis `d` of `full` (an index, a range, all of it) or adding
/// an axis (newaxis); an ellipsis stands for `skip` full axes.
template <class S>
void add_slice(view_axes& v, S const& s, std::size_t& d, std::size_t skip) {
    auto const all = [&](std::size_t axis) {
        std::vector<std::size_t> idx(v.full[axis]);
        for (std::size_t i = 0; i < idx.size(); ++i) {
            idx[i] = i;
        }
        return idx;
    };
    if constexpr (std::is_same_v<S, xt::xnewaxis_tag>) {
        v.shape.push_back(1);
        v.torch_name = "UnsqueezeBackward0";
    } else if constexpr (std::is_same_v<S, xt::xellipsis_tag>) {
        for (std::size_t k = 0; k < skip; ++k, ++d) {
            v.at.push_back(all(d));
            v.shape.push_back(v.full[d]);
        }
    } else {
        if (d >= v.full.size()) {
            throw error("xtad::view: " + v.written + " has more indices than a tensor of shape "
                        + shape_str(v.full) + " has axes");
        }
        std::size_t const n = v.full[d];
        if constexpr (std::is_integral_v<S>) {
            auto const k = static_cast<std::ptrdiff_t>(s);
            auto const i = k < 0 ? k + static_cast<std::ptrdiff_t>(n) : k;
            if (i < 0 || i >= static_cast<std::ptrdiff_t>(n)) {
                throw error("xtad::view: index " + std::to_string(k) + " of " + v.written
                            + " is out of range for axis " + std::to_string(d) + " of size "
                            + std::to_string(n));
            }
            v.at.push_back({static_cast<std::size_t>(i)});
            v.torch_name = "SelectBackward0";
        } else if constexpr (std::is_same_v<S, xt::xall_tag>) {
            v.at.push_back(all(d));
            v.shape.push_back(n);
            v.torch_name = "SliceBackward0";
        } else {
            auto const r = s.get(n);
            std::vector<std::size_t> idx(r.size());
            for (std::size_t i = 0; i < idx.size(); ++i) {
                idx[i] = static_cast<std::size_t>(r(i));
            }
            v.shape.push_back(idx.size());
            v.at.push_back(std::move(idx));
            v.torch_name = "SliceBackward0";
        }
        ++d;
    }
}

} // namespace detail

namespace detail {

/// The view of `node` (view() below).
template <class N, class... S>
auto make_view(N node, S const&... s) {
    view_axes v;
    v.full = node.shape();
    v.torch_name = "SliceBackward0";
    v.written = "[";
    std::size_t k = 0;
    ((v.written += (k++ ? ", " : "") + detail::slice_text(s)), ...);
    v.written += "]";
    constexpr std::size_t ellipses = (std::size_t(std::is_same_v<S, xt::xellipsis_tag>) + ... + 0);
    static_assert(ellipses <= 1, "xtad::view: at most one xt::ellipsis()");
    // the slices that take an axis of the tensor (not a new axis, not the ellipsis)
    constexpr std::size_t used = (std::size_t(!takes_no_axis<S>) + ... + 0);
    std::size_t const rank = v.full.size();
    if (used > rank) {
        throw error("xtad::view: " + v.written + " has more indices than a tensor of shape "
                    + detail::shape_str(v.full) + " has axes");
    }
    std::size_t d = 0;
    (detail::add_slice(v, s, d, rank - used), ...);
    std::string_view const named = v.torch_name; // torch names the view by its last slice
    while (d < rank) {                           // the axes not named: whole
        detail::add_slice(v, xt::all(), d, 0);
    }
    auto spec = std::make_shared<gather_spec>();
    spec->full = v.full;
    spec->shape = v.shape;
    spec->from = v.flat_indices();
    spec->op = "view";
    spec->what = "the view " + v.written;
    spec->torch_name = named;
    spec->find_steps();
    return detail::make_tensor(view_op{{}, std::move(spec)}, std::move(node));
}

} // namespace detail

/// `e` sliced as numpy and torch slice, with xtensor's slice arguments: integers (negative from
/// the end; the axis is dropped), `xt::all()`, `xt::range(start, stop[, step])` with
/// `xt::placeholders::_` for an end left open (negative from the end), `xt::newaxis()` and
/// `xt::ellipsis()`; axes not named are kept whole. `view(A, xt::all(), 0)` is A[:, 0],
/// `view(x, xt::range(1, _))` is x[1:]. An elementwise loop reads the view where e's elements
/// are (a leaf, a constant, a value computed once per evaluation), with no copy; over another
/// expression it is gathered once per evaluation. Its adjoint scatters back into the region it
/// reads.
template <Expression E, class... S>
auto view(E&& e, S&&... s) { // forwarding references, as xt::view's: this one is chosen for xtad
    if constexpr (!(detail::is_slice_arg<std::remove_cvref_t<S>> && ...)) {
        static_assert(detail::always_false<E>,
                      "xtad::view: each slice must be an integer, xt::all(), xt::range(...), "
                      "xt::newaxis() or xt::ellipsis()");
        return detail::as_node(std::forward<E>(e)); // no error follows from the result
    } else {
        return detail::make_view(detail::as_node(std::forward<E>(e)), s...);
    }
}

/// The trace of a matrix (torch.trace): the sum of its main diagonal, a 0-d result.
struct trace_op : tensor_op<"trace", "TraceBackward0"> {
    std::shared_ptr<gather_spec const> spec;

    bool operator==(trace_op const& o) const { return spec == o.spec; }

    shape_t shape(shape_t const& a) const {
        spec->check(a);
        return {};
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        T s(0);
        for (std::size_t j : spec->from) {
            s += a.flat(j);
        }
        return xt::xarray<T>(s);
    }
    // d tr(A) / dA = I: the seed on the diagonal
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const {
        return detail::make_tensor(undiagonal_op{{}, spec}, g);
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& da) const {
        return value(da);
    }
    template <class A>
    xt::xarray<bool> support(std::size_t, A const&) const {
        return spec->read();
    }
};

namespace detail {

/// The spec of the diagonal of a tensor of shape `full` over axes dim1 and dim2 (negative from
/// the end), `offset` above the main one (below it if negative), or an xtad::error naming `op`.
inline std::shared_ptr<gather_spec const> diagonal_of(char const* op, shape_t const& full,
                                                      std::ptrdiff_t offset, std::ptrdiff_t dim1,
                                                      std::ptrdiff_t dim2) {
    auto const rank = static_cast<std::ptrdiff_t>(full.size());
    std::ptrdiff_t const d1 = dim1 < 0 ? dim1 + rank : dim1;
    std::ptrdiff_t const d2 = dim2 < 0 ? dim2 + rank : dim2;
    if (rank < 2 || d1 < 0 || d1 >= rank || d2 < 0 || d2 >= rank || d1 == d2) {
        throw error(std::string("xtad::") + op + ": axes " + std::to_string(dim1) + " and "
                    + std::to_string(dim2) + " are not two axes of a tensor of shape "
                    + shape_str(full));
    }
    auto spec = std::make_shared<gather_spec>();
    spec->full = full;
    spec->op = op;
    spec->what = std::string("the ") + op;
    spec->torch_name = "DiagonalBackward0";
    auto const a1 = static_cast<std::size_t>(d1);
    auto const a2 = static_cast<std::size_t>(d2);
    auto const n1 = static_cast<std::ptrdiff_t>(full[a1]);
    auto const n2 = static_cast<std::ptrdiff_t>(full[a2]);
    std::ptrdiff_t const len = std::max<std::ptrdiff_t>(0, offset >= 0 ? std::min(n1, n2 - offset)
                                                                       : std::min(n1 + offset, n2));
    shape_t rest; // the other axes, in order
    for (std::size_t d = 0; d < full.size(); ++d) {
        if (d != a1 && d != a2) {
            rest.push_back(full[d]);
        }
    }
    spec->shape = rest;
    spec->shape.push_back(static_cast<std::size_t>(len));
    spec->from.resize(size_of(spec->shape));
    // Each element of the tensor on the diagonal, in row-major order, finds its place.
    shape_t pos(full.size(), 0);
    for (std::size_t j = 0, n = size_of(full); j < n; ++j) {
        auto const i1 = static_cast<std::ptrdiff_t>(pos[a1]);
        auto const i2 = static_cast<std::ptrdiff_t>(pos[a2]);
        if (i2 - i1 == offset) {
            std::size_t at = 0;
            for (std::size_t d = 0; d < full.size(); ++d) {
                if (d != a1 && d != a2) {
                    at = at * full[d] + pos[d];
                }
            }
            spec->from[at * static_cast<std::size_t>(len)
                       + static_cast<std::size_t>(std::min(i1, i2))] = j;
        }
        for (std::size_t d = full.size(); d-- > 0;) {
            if (++pos[d] < full[d]) {
                break;
            }
            pos[d] = 0;
        }
    }
    spec->find_steps();
    return spec;
}

} // namespace detail

/// The diagonal of `e` over axes dim1 and dim2, `offset` above the main diagonal (below it if
/// negative), as the last axis of the result (torch.diagonal; its adjoint puts the seed back on
/// that diagonal). The axes are taken as signed: `diagonal(A, 0, -2, -1)` is the diagonal of
/// each matrix of a batch. (The parameters are xt::diagonal's, so that a call on an xtad
/// expression is not ambiguous with it.)
template <Expression E>
auto diagonal(E&& e, int offset = 0, std::size_t dim1 = 0, std::size_t dim2 = 1) {
    auto n = detail::as_node(std::forward<E>(e));
    auto spec =
        detail::diagonal_of("diagonal", n.shape(), offset, static_cast<std::ptrdiff_t>(dim1),
                            static_cast<std::ptrdiff_t>(dim2));
    return detail::make_tensor(diagonal_op{{}, std::move(spec)}, std::move(n));
}

/// The trace of a matrix (torch.trace): the sum of its diagonal, a 0-d expression.
template <Expression E>
auto trace(E&& e) {
    auto n = detail::as_node(std::forward<E>(e));
    if (n.shape().size() != 2) {
        throw error("xtad::trace: needs a matrix, not a tensor of shape "
                    + detail::shape_str(n.shape()));
    }
    auto spec = detail::diagonal_of("trace", n.shape(), 0, 0, 1);
    return detail::make_tensor(trace_op{{}, std::move(spec)}, std::move(n));
}

/// The elements of `a` where the mask `m` is true, in row-major order (torch's a[m]). The
/// number of them is the result's size: counted when the node is built, and checked again at
/// each evaluation (a leaf whose new value changes it needs a new expression).
struct filter_op : tensor_op<"filter", "IndexBackward0"> {
    std::size_t count = 0;

    shape_t shape(shape_t const& a, shape_t const& m) const {
        if (a != m) {
            throw error("xtad::filter: the mask has shape " + detail::shape_str(m)
                        + " but the tensor has shape " + detail::shape_str(a));
        }
        return {count};
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& m) const {
        xt::xarray<T> out(shape_t{count});
        std::size_t k = 0;
        for (std::size_t j = 0; j < m.size(); ++j) {
            if (m.flat(j) != T(0)) {
                if (k < count) {
                    out.flat(k) = a.flat(j);
                }
                ++k;
            }
        }
        if (k != count) {
            throw error("xtad::filter: the mask selects " + std::to_string(k)
                        + " elements now, but " + std::to_string(count)
                        + " when the expression was built; build it again");
        }
        return out;
    }
    template <class G, class Y, class A, class M>
    auto vjp(G const& g, Y const&, A const&, M const& m) const;
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& m,
                      xt::xarray<T> const& da, xt::xarray<T> const&) const {
        return value(da, m);
    }
    /// The elements the mask selects (the mask itself, evaluated with the adjoint): the
    /// operand's adjoint is an exact zero elsewhere, as a view's.
    template <class A, class M>
    M support(std::size_t, A const&, M const& m) const {
        return m;
    }
};

/// The adjoint of filter: `g`, one value per selected element, put back where the mask `m` is
/// true, in zeros of the mask's shape.
struct unfilter_op : tensor_op<"unfilter", "IndexPutBackward0"> {
    shape_t shape(shape_t const&, shape_t const& m) const { return m; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& g, xt::xarray<T> const& m) const {
        xt::xarray<T> out = xt::zeros<T>(m.shape());
        std::size_t k = 0;
        for (std::size_t j = 0; j < m.size(); ++j) {
            if (m.flat(j) != T(0)) {
                if (k >= g.size()) {
                    throw error("xtad::filter: the mask selects more elements than when the "
                                "expression was built; build it again");
                }
                out.flat(j) = g.flat(k++);
            }
        }
        return out;
    }
    template <class G, class Y, class A, class M>
    auto vjp(G const& g, Y const&, A const& a, M const& m) const {
        filter_op f;
        f.count = a.shape()[0];
        return std::tuple{detail::make_tensor(f, g, m), zero_t{}};
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& m,
                      xt::xarray<T> const& dg, xt::xarray<T> const&) const {
        return value(dg, m);
    }
};

template <class G, class Y, class A, class M>
auto filter_op::vjp(G const& g, Y const&, A const&, M const& m) const {
    return std::tuple{detail::make_tensor(unfilter_op{}, g, m), zero_t{}};
}

} // namespace xtad
