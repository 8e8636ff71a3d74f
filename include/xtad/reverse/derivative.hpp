// Defines xtad::derivative: the adjoint of a leaf as a new expression (torch's create_graph=True).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/reverse/grad.hpp"

#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad {

namespace detail {

template <class E>
constexpr bool is_fit = false;
template <class E, class V>
constexpr bool is_fit<fit<E, V>> = true;

/// The adjoint of leaf L in `e` seeded by `g` (a node of e's shape), as one expression of the
/// leaf's shape: the part built on the root's broadcast shape summed down to the leaf, plus what
/// came through reductions.
template <class L, class E, class G>
auto derivative_of(E const& e, G const& g, L const* leaf) {
    check_same_leaf(e, leaf, "derivative");
    shape_t const leaf_shape = leaf->shape();
    using V = value_t<E>;
    // A fit at the root (a derivative being differentiated again) is seeded on its own shape,
    // so its transpose is the seed itself, broadcast: the seed enters its argument directly,
    // which keeps d/da (9*a^2) printing as 18*a and not as 1*18*a.
    auto const part = [&] {
        if constexpr (is_fit<E>) {
            return adjoint<L::name>(e.arg, g, no_mask{}, adjoint_shapes{e.logical, leaf_shape});
        } else {
            return adjoint<L::name>(e, g, no_mask{}, adjoint_shapes{e.shape(), leaf_shape});
        }
    }();
    shape_t const logical = [&] {
        if constexpr (is_fit<E>) {
            return e.logical;
        } else {
            return e.shape();
        }
    }();
    using P = std::remove_cvref_t<decltype(part.group)>;
    if constexpr (is_zero<P> && !is_zero<decltype(part.extra)>) {
        return part.extra;
    } else {
        return add(fit<P, V>{part.group, logical, leaf_shape}, part.extra);
    }
}

// derivative_impl differs with XTAD_DETECT_ANOMALY: an inline namespace gives that setting a
// function of its own, as core/leaf.hpp does for lifetimes.
#if XTAD_DETECT_ANOMALY
inline namespace anomaly_checked {
#endif
template <class E, class... L, class S>
auto derivative_impl(E const& e, wrt_t<L...> const& w, S&& seed) {
    static_assert(sizeof...(L) > 0, "xtad::derivative needs at least one leaf in wrt(...)");
    shape_t const out_shape = e.shape();
    shape_t const s_shape = seed_shape(seed);
    if (s_shape != out_shape) {
        throw error("xtad::derivative: the seed has shape " + shape_str(s_shape)
                    + " but the expression has shape " + shape_str(out_shape)
                    + "; pass a seed of the expression's shape");
    }
    auto const g = seed_node(std::forward<S>(seed));
#if XTAD_DETECT_ANOMALY
    // The value, the seed, then each op's adjoint while the expression is built (adjoint.hpp),
    // which fills e's caches: they are cleared on the way out, thrown or not.
    clear_caches_at_exit<E> const clear_at_exit{e, anomaly_mode()};
    if (clear_at_exit.on) [[unlikely]] {
        check_forward(e);
        check_seed<value_t<E>>(g, "derivative");
    }
#endif
    auto all = std::apply(
        [&](auto const*... leaf) { return std::make_tuple(derivative_of(e, g, leaf)...); },
        w.leaves);
    if constexpr (sizeof...(L) == 1) {
        return std::get<0>(std::move(all));
    } else {
        return all;
    }
}
#if XTAD_DETECT_ANOMALY
} // inline namespace anomaly_checked
#endif

} // namespace detail

/// The derivative of `e` with respect to a leaf, weighted by `seed` (ones_like(e), a tensor or an
/// expression of e's shape), as a new expression of the leaf's shape: torch.autograd.grad with
/// create_graph=True. It can be evaluated, printed (`9*a^2`) and differentiated again. With
/// several leaves in wrt(...), a tuple of expressions. A leaf `e` does not use is a compile error.
/// The expression refers to the leaves of `e` (and to the tensors `e` holds by xtad::ref): keep
/// them alive. Its seed, if a tensor, is copied into it, as any tensor constant.
template <Expression E, class... L, Seed S>
auto derivative(E const& e, wrt_t<L...> const& w, S&& seed) {
    detail::check_used<E, false, L...>();
    return detail::derivative_impl(e, w, std::forward<S>(seed));
}

/// derivative(e, x, ...) without wrt(...) around the leaves: a compile error that says so. The
/// dummy result is an expression, so that using it adds no error to the one that names the slip.
template <Expression E, Expression W, class... A>
requires(!detail::is_wrt<std::remove_cvref_t<W>>) auto derivative(E const& e, W const&,
                                                                  A const&...) {
    static_assert(detail::always_false<W>,
                  "xtad: derivative needs the leaves to differentiate by inside wrt(...): write "
                  "derivative(e, wrt(x), seed), not derivative(e, x, seed)");
    return detail::as_node(e);
}

/// derivative with a seed that is neither a tensor nor an expression: a compile error.
template <Expression E, class... L, class S>
requires(!Seed<S>) auto derivative(E const& e, wrt_t<L...> const&, S const&) {
    static_assert(detail::always_false<S>,
                  "xtad: the seed of derivative must be a tensor or an xtad expression of e's "
                  "shape (e.g. ones_like(e)), not a number, a std::vector or complex values");
    return detail::as_node(e);
}

/// The derivative of a one-element expression (the seed is 1).
template <Expression E, class... L>
auto derivative(E const& e, wrt_t<L...> const& w) {
    return derivative(e, w, detail::implicit_seed(e, "derivative"));
}

} // namespace xtad
