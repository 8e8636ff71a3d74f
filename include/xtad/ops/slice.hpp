// Defines xtad::view: slices of any expression (torch's A[:, 0], x[1:], A[None], x[::2]) as a
// tensor op, whose adjoint scatters back into the viewed region.
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
    xt::xarray<bool> support(std::size_t) const {
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

/// `e` sliced as numpy and torch slice, with xtensor's slice arguments: integers (negative from
/// the end; the axis is dropped), `xt::all()`, `xt::range(start, stop[, step])` with
/// `xt::placeholders::_` for an end left open (negative from the end), `xt::newaxis()` and
/// `xt::ellipsis()`; axes not named are kept whole. `view(A, xt::all(), 0)` is A[:, 0],
/// `view(x, xt::range(1, _))` is x[1:]. The view is gathered once per evaluation; its adjoint
/// scatters back into the region it reads.
template <Expression E, class... S>
auto view(E&& e, S&&... s) { // forwarding references, as xt::view's: this one is chosen for xtad
    static_assert((detail::is_slice_arg<std::remove_cvref_t<S>> && ...),
                  "xtad::view: each slice must be an integer, xt::all(), xt::range(...), "
                  "xt::newaxis() or xt::ellipsis()");
    auto node = detail::as_node(std::forward<E>(e));
    auto spec = std::make_shared<view_spec>();
    spec->full = node.shape();
    spec->torch_name = "SliceBackward0";
    spec->written = "[";
    std::size_t k = 0;
    ((spec->written += (k++ ? ", " : "") + detail::slice_text(s)), ...);
    spec->written += "]";
    constexpr std::size_t ellipses =
        (std::size_t(std::is_same_v<std::remove_cvref_t<S>, xt::xellipsis_tag>) + ... + 0);
    static_assert(ellipses <= 1, "xtad::view: at most one xt::ellipsis()");
    constexpr std::size_t used =
        ((std::is_same_v<
                  std::remove_cvref_t<S>,
                  xt::xnewaxis_tag> || std::is_same_v<std::remove_cvref_t<S>, xt::xellipsis_tag>
              ? 0
              : 1)
         + ... + 0);
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

} // namespace xtad
