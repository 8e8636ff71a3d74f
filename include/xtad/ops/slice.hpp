// Defines xtad::view, slices of any expression (torch's A[:, 0], x[1:], A[None], x[::2]), and
// the op of selection by a mask (torch's A[A > 3]; xtad::filter, which evaluates the mask, is in
// eval/build.hpp): tensor ops whose adjoints scatter back into the elements they read.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"
#include "xtad/ops/tensor.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

/// Where a view reads from: for each axis of the viewed tensor, the indices it reads (in the
/// order of the view's elements), and whether the view keeps that axis (an integer index drops
/// it); and the view's shape, with `xt::newaxis()` axes of size 1. Shared by the copies of a view
/// and by its adjoint.
struct view_spec {
    shape_t full;                             // the shape of the viewed tensor
    std::vector<std::vector<std::size_t>> at; // per axis of `full`: the indices read
    shape_t shape;                            // the view's shape
    std::string written;                      // the slice as written, for messages and printing
    std::string_view torch_name;              // SliceBackward0, SelectBackward0, ...

    /// Calls f(i, j) for each element i of the view (row-major) and the flat index j it reads.
    template <class F>
    void for_each(F&& f) const {
        std::size_t const n = detail::size_of(shape);
        if (n == 0) {
            return;
        }
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
            f(i, j);
            for (std::size_t d = rank; d-- > 0;) {
                if (++pos[d] < at[d].size()) {
                    break;
                }
                pos[d] = 0;
            }
        }
    }
};

/// `e` viewed: gathers the elements the spec reads.
struct view_op : tensor_op<"view", "SliceBackward0"> {
    std::shared_ptr<view_spec const> spec;

    bool operator==(view_op const& o) const { return spec == o.spec; }
    std::string_view grad_fn_name() const { return spec->torch_name; }

    shape_t shape(shape_t const& a) const {
        if (a != spec->full) {
            throw error("xtad::view: the view " + spec->written + " was made for a tensor of shape "
                        + detail::shape_str(spec->full) + ", which now has shape "
                        + detail::shape_str(a));
        }
        return spec->shape;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        xt::xarray<T> out(spec->shape);
        spec->for_each([&](std::size_t i, std::size_t j) { out.flat(i) = a.flat(j); });
        return out;
    }
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const;
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& da) const {
        return value(da);
    }
    /// The elements of the operand the view reads: the adjoint pass keeps the operand's adjoint
    /// an exact zero elsewhere (an element the view does not read has the gradient 0, also where
    /// the derivatives below it are infinite or NaN).
    template <class A>
    xt::xarray<bool> support(std::size_t, A const&) const {
        xt::xarray<bool> read = xt::zeros<bool>(spec->full);
        spec->for_each([&](std::size_t, std::size_t j) { read.flat(j) = true; });
        return read;
    }
};

/// The adjoint of a view: `g`, of the view's shape, added into zeros of the viewed shape where
/// the view reads.
struct unview_op : tensor_op<"unview", "SliceBackwardBackward0"> {
    std::shared_ptr<view_spec const> spec;

    bool operator==(unview_op const& o) const { return spec == o.spec; }

    shape_t shape(shape_t const&) const { return spec->full; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& g) const {
        xt::xarray<T> out = xt::zeros<T>(spec->full);
        xt::xarray<T> const in = xt::broadcast(g, spec->shape);
        spec->for_each([&](std::size_t i, std::size_t j) { out.flat(j) += in.flat(i); });
        return out;
    }
    // unview is linear and its transpose is the view
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const {
        return detail::make_tensor(view_op{{}, spec}, g);
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& dg) const {
        return value(dg);
    }
};

template <class G, class Y, class A>
auto view_op::vjp(G const& g, Y const&, A const&) const {
    return detail::make_tensor(unview_op{{}, spec}, g);
}

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
void add_slice(view_spec& v, S const& s, std::size_t& d, std::size_t skip) {
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
    auto spec = std::make_shared<view_spec>();
    spec->full = node.shape();
    spec->torch_name = "SliceBackward0";
    spec->written = "[";
    std::size_t k = 0;
    ((spec->written += (k++ ? ", " : "") + detail::slice_text(s)), ...);
    spec->written += "]";
    constexpr std::size_t ellipses = (std::size_t(std::is_same_v<S, xt::xellipsis_tag>) + ... + 0);
    static_assert(ellipses <= 1, "xtad::view: at most one xt::ellipsis()");
    // the slices that take an axis of the tensor (not a new axis, not the ellipsis)
    constexpr std::size_t used = (std::size_t(!takes_no_axis<S>) + ... + 0);
    std::size_t const rank = spec->full.size();
    if (used > rank) {
        throw error("xtad::view: " + spec->written + " has more indices than a tensor of shape "
                    + detail::shape_str(spec->full) + " has axes");
    }
    std::size_t d = 0;
    (detail::add_slice(*spec, s, d, rank - used), ...);
    std::string_view const named = spec->torch_name; // torch names the view by its last slice
    while (d < rank) {                               // the axes not named: whole
        detail::add_slice(*spec, xt::all(), d, 0);
    }
    spec->torch_name = named;
    return detail::make_tensor(view_op{{}, std::move(spec)}, std::move(node));
}

} // namespace detail

/// `e` sliced as numpy and torch slice, with xtensor's slice arguments: integers (negative from
/// the end; the axis is dropped), `xt::all()`, `xt::range(start, stop[, step])` with
/// `xt::placeholders::_` for an end left open (negative from the end), `xt::newaxis()` and
/// `xt::ellipsis()`; axes not named are kept whole. `view(A, xt::all(), 0)` is A[:, 0],
/// `view(x, xt::range(1, _))` is x[1:]. The view is gathered once per evaluation; its adjoint
/// scatters back into the region it reads.
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
