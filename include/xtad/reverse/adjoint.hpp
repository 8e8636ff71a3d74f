// Defines the adjoint pass: a compile-time walk from the root of a tree to one leaf that builds
// the leaf's adjoint as a new expression.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/eval/build.hpp"
#include "xtad/ops/arithmetic.hpp"
#include "xtad/ops/compare.hpp"

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>
#if XTAD_DETECT_ANOMALY
#include <cmath>
#include <string>
#include <type_traits>
#endif

namespace xtad::detail {

/// The adjoint of one leaf, in two parts. `group` is built on the broadcast shape of the
/// nearest boundary above (the root, or the argument of a reduction): elementwise nodes commute
/// with broadcasting, so it is summed down to the leaf's shape once, at the end. `extra` holds
/// what came through reductions, already summed down to the leaf's shape.
template <class G, class X>
struct adjoint_part {
    G group;
    X extra;
};

template <class G, class X>
adjoint_part(G, X) -> adjoint_part<G, X>;

inline auto no_part() {
    return adjoint_part{zero_t{}, zero_t{}};
}

template <class G1, class X1, class G2, class X2>
auto operator+(adjoint_part<G1, X1> const& a, adjoint_part<G2, X2> const& b) {
    return adjoint_part{add(a.group, b.group), add(a.extra, b.extra)};
}

/// Shapes the pass needs at run time: the broadcast shape of the current boundary and the shape
/// of the leaf.
struct adjoint_shapes {
    shape_t boundary;
    shape_t leaf;
};

/// No mask above: the contribution reaches the leaf as it is.
struct no_mask {
    template <class X>
    X operator()(X const& x) const {
        return x;
    }
};

/// Below a branch of `where`, the contribution is kept where the branch was taken and is an
/// exact zero elsewhere, whatever the derivatives on the way computed (NaN or inf included).
template <class C, bool Taken, class Outer>
struct branch_mask {
    C cond;
    Outer outer;
    template <class X>
    auto operator()(X const& x) const {
        if constexpr (is_zero<X>) {
            return x;
        } else if constexpr (Taken) {
            return outer(make_select(cond, x, zero_t{}));
        } else {
            return outer(make_select(cond, zero_t{}, x));
        }
    }
};

// adjoint differs with XTAD_DETECT_ANOMALY (it checks each op's contribution): an inline
// namespace gives that setting a function of its own, as core/leaf.hpp does for lifetimes.
#if XTAD_DETECT_ANOMALY
inline namespace anomaly_checked {
#endif
template <fixed_string N, class E, class G, class W>
auto adjoint(E const& e, G const& g, W const& mask, adjoint_shapes const& s);
#if XTAD_DETECT_ANOMALY
} // inline namespace anomaly_checked

// Anomaly mode (core/anomaly.hpp), reverse half: each op's contribution to leaf N's adjoint is
// materialised and compared with the gradient that reached the op; a NaN there that the
// incoming gradient did not have was made by the op's derivative rule.

/// `v`, a materialised value, as a tensor broadcast to `s`.
template <class V>
xt::xarray<V> materialise_on(xt::xarray<V> const& v, shape_t const& s) {
    if (size_of(s) == 0) {
        return xt::xarray<V>(s);
    }
    return xt::broadcast(v, s);
}

/// Throws if `contribution`, what op `Op` passes to its input `input` on the way to leaf N's
/// adjoint, has a NaN where `incoming`, the gradient that reached the op, has none. `local` is
/// the op's local derivative (or a zero_t where the rule is not a product), for the message.
template <fixed_string N, class Op, class V, class In, class L, class C>
void check_adjoint(In const& incoming, L const& local, C const& contribution, std::size_t input) {
    if constexpr (std::is_floating_point_v<V> && !is_zero<C>) {
        xt::xarray<V> const c = materialise<V, V>(contribution);
        std::size_t const i = first_nan(c);
        if (i == c.size()) {
            return;
        }
        shape_t const s = to_shape(c.shape());
        xt::xarray<V> const in = materialise_on<V>(materialise<V, V>(incoming), s);
        for (std::size_t k = i; k < c.size(); ++k) {
            if (std::isnan(c.flat(k)) && !std::isnan(in.flat(k))) {
                std::string detail = "";
                if constexpr (!is_zero<L>) {
                    xt::xarray<V> const d = materialise_on<V>(materialise<V, V>(local), s);
                    detail = ": the incoming gradient " + number_str(in.flat(k))
                             + " times the local derivative " + number_str(d.flat(k));
                }
                throw error("xtad: anomaly: the gradient of " + std::string(Op::name)
                            + " became NaN in the adjoint of leaf \"" + std::string(N.view())
                            + "\" at element " + std::to_string(k) + " (input "
                            + std::to_string(input) + ")" + detail);
            }
        }
    }
}
#endif

template <fixed_string N, class E, class G, class W>
auto adjoint_if_used(E const& e, G const& g, W const& mask, adjoint_shapes const& s) {
    if constexpr (!depends_on<E, N> || is_zero<G>) {
        return no_part();
    } else {
        return adjoint<N>(e, g, mask, s);
    }
}

/// The part of `seed`, the adjoint of `a` below a boundary (a reduction, a stack, a
/// concatenation, a fit), that reaches leaf N, summed down to the leaf's shape. Below the
/// boundary, `a` and its adjoint broadcast to `logical` (a's own shape, or larger for a fit).
/// `mask`, where given, keeps the adjoint below to the elements the boundary reads (a view's).
template <fixed_string N, class V, class A, class G, class W = no_mask>
auto boundary_part(A const& a, G const& seed, shape_t const& logical, shape_t const& leaf,
                   W const& mask = {}) {
    if constexpr (!depends_on<A, N>) {
        return no_part();
    } else {
        adjoint_shapes const inner{logical, leaf};
        auto const below = adjoint<N>(a, seed, mask, inner);
        if constexpr (is_zero<decltype(below.group)>) {
            return adjoint_part{zero_t{}, below.extra};
        } else {
            using B = std::remove_cvref_t<decltype(below.group)>;
            return adjoint_part{zero_t{},
                                add(fit<B, V>{below.group, inner.boundary, leaf}, below.extra)};
        }
    }
}

/// The shape on which the adjoint `got` that a tensor op's vjp rule gave its operand k, of shape
/// `own`, lives below the op: `own` where `got` broadcasts to it, `got` where it is `own`
/// broadcast (a batched product's adjoint, on the batch shape of the result), summed down to
/// `own` by the adjoint pass as a broadcast is. Anything else is an error naming the op.
template <class Op>
shape_t tensor_adjoint_shape(shape_t const& got, shape_t const& own, std::size_t k) {
    auto const broadcasts = [](shape_t const& from, shape_t const& to) {
        bool fits = from.size() <= to.size();
        for (std::size_t d = 0; fits && d < from.size(); ++d) {
            std::size_t const n = from[from.size() - 1 - d];
            fits = n == 1 || n == to[to.size() - 1 - d];
        }
        return fits;
    };
    if (broadcasts(got, own)) {
        return own;
    }
    if (broadcasts(own, got)) {
        return got;
    }
    throw error("xtad::" + std::string(Op::name) + ": the vjp rule gave operand "
                + std::to_string(k) + " an adjoint of shape " + shape_str(got)
                + ", which does not broadcast with its shape " + shape_str(own));
}

/// The adjoints of a tensor op's operands, from the op's vjp rule given `g`, the adjoint of the
/// node `e`: a tuple with an expression (or zero_t) per operand.
template <class Op, class... Es, class G>
auto tensor_vjp_of(tensor_node<Op, Es...> const& e, G const& g) {
    auto rule = std::apply([&](auto const&... a) { return e.op.vjp(g, e, a...); }, e.operands);
    using R = decltype(rule);
    auto all = [&] {
        if constexpr (requires { std::tuple_size<R>::value; }) {
            return rule;
        } else {
            return std::tuple<R>(rule); // one operand: its adjoint alone, not in a tuple
        }
    }();
    static_assert(std::tuple_size_v<decltype(all)> == sizeof...(Es),
                  "xtad: a tensor op's vjp rule returns one adjoint per operand, in a tuple");
    return all;
}

/// Whether a tensor op says which elements of its operands it reads (`support`).
template <class E>
constexpr bool has_support = false;
template <class Op, class... Es>
constexpr bool has_support<tensor_node<Op, Es...>> = requires(Op const& op, Es const&... a) {
    op.support(std::size_t{}, a...);
};

template <class Op, class G, class Y, class... A>
constexpr bool has_vjp_rule = requires(Op const& op, G const& g, Y const& y, A const&... a) {
    op.vjp(g, y, a...);
};

template <class Op, class... Es, class G>
auto tensor_vjp(tensor_node<Op, Es...> const& e, G const& g) {
    if constexpr (!has_vjp_rule<Op, G, tensor_node<Op, Es...>, Es...>) {
        static_assert(
            always_false<Op>,
            "xtad: a tensor op needs a vjp rule for reverse mode, `template <class G, "
            "class Y, class... A> auto vjp(G const& g, Y const& y, A const&... a) const`");
        return std::tuple<std::conditional_t<true, zero_t, Es>...>{};
    } else {
        return tensor_vjp_of(e, g);
    }
}

template <class E>
constexpr bool is_squeezed_embed = false;
template <class E>
constexpr bool is_squeezed_embed<embed<E, true>> = true;

/// The seed `g`, built on the broadcast shape `boundary`, summed down to `target`, the shape of
/// the node it is the adjoint of (materialised).
template <class V, class G>
auto seed_on(G const& g, shape_t const& boundary, shape_t const& target) {
    return fit<G, V>{g, boundary, target};
}

#if XTAD_DETECT_ANOMALY
inline namespace anomaly_checked {
#endif
/// `g` is the adjoint of `e`; the result is the part of it that reaches the leaf `N`.
template <fixed_string N, class E, class G, class W>
auto adjoint(E const& e, G const& g, W const& mask, adjoint_shapes const& s) {
    using V = value_t<E>;
    if constexpr (is_leaf<E> || is_leaf_ref<E>) {
        return adjoint_part{mask(g), zero_t{}};
    } else if constexpr (requires { e.op.partial(e.arg); }) {
#if XTAD_DETECT_ANOMALY
        if (anomaly_mode()) [[unlikely]] {
            check_adjoint<N, typename E::op_type, V>(g, e.op.partial(e.arg),
                                                     mask(mul(g, e.op.partial(e.arg))), 0);
        }
#endif
        return adjoint_if_used<N>(e.arg, mul(g, e.op.partial(e.arg)), mask, s);
    } else if constexpr (requires { e.op.partial_l(e.lhs, e.rhs); }) {
#if XTAD_DETECT_ANOMALY
        if (anomaly_mode()) [[unlikely]] {
            if constexpr (depends_on<decltype(e.lhs), N>) {
                check_adjoint<N, typename E::op_type, V>(
                    g, e.op.partial_l(e.lhs, e.rhs), mask(mul(g, e.op.partial_l(e.lhs, e.rhs))), 0);
            }
            if constexpr (depends_on<decltype(e.rhs), N>) {
                check_adjoint<N, typename E::op_type, V>(
                    g, e.op.partial_r(e.lhs, e.rhs), mask(mul(g, e.op.partial_r(e.lhs, e.rhs))), 1);
            }
        }
#endif
        return adjoint_if_used<N>(e.lhs, mul(g, e.op.partial_l(e.lhs, e.rhs)), mask, s)
               + adjoint_if_used<N>(e.rhs, mul(g, e.op.partial_r(e.lhs, e.rhs)), mask, s);
    } else if constexpr (requires { e.cond; }) {
        using C = decltype(e.cond);
        return adjoint_if_used<N>(e.then_, g, branch_mask<C, true, W>{e.cond, mask}, s)
               + adjoint_if_used<N>(e.else_, g, branch_mask<C, false, W>{e.cond, mask}, s);
    } else if constexpr (requires { e.logical; }) {
        // fit sums its argument, broadcast to `logical`, down to `target`; the transpose
        // broadcasts the seed back, so the argument's adjoint lives on `logical`.
        return boundary_part<N, V>(e.arg, seed_on<V>(mask(g), s.boundary, e.target), e.logical,
                                   s.leaf);
    } else if constexpr (requires { e.kept; }) {
        // expand views its argument in another shape; the transpose views the seed back.
        auto const g_out = seed_on<V>(mask(g), s.boundary, e.kept);
        shape_t const back = e.arg.shape();
        return boundary_part<N, V>(e.arg, expand<std::remove_cvref_t<decltype(g_out)>>{g_out, back},
                                   back, s.leaf);
    } else if constexpr (requires { e.k; }) {
        // take picks entry k along the first axis; the transpose puts the seed there.
        auto const g_out = seed_on<V>(mask(g), s.boundary, e.shape());
        shape_t const full = e.arg.shape();
        using S = embed<std::remove_cvref_t<decltype(g_out)>, true>;
        return boundary_part<N, V>(e.arg, S{g_out, full, 0, e.k, e.k + 1}, full, s.leaf);
    } else if constexpr (requires { e.full; }) {
        // embed's transpose reads its range back out of the seed.
        auto const g_out = seed_on<V>(mask(g), s.boundary, e.full);
        using G_out = std::remove_cvref_t<decltype(g_out)>;
        shape_t const back = e.arg.shape();
        if constexpr (is_squeezed_embed<E>) {
            return boundary_part<N, V>(e.arg, take<G_out>{g_out, e.begin}, back, s.leaf);
        } else {
            return boundary_part<N, V>(e.arg, slice_along<G_out>{g_out, e.axis, e.begin, e.end},
                                       back, s.leaf);
        }
    } else if constexpr (requires { e.begin; }) {
        // slice_along picks a range along an axis; the transpose puts the seed there.
        auto const g_out = seed_on<V>(mask(g), s.boundary, e.shape());
        shape_t const full = e.arg.shape();
        using S = embed<std::remove_cvref_t<decltype(g_out)>, false>;
        return boundary_part<N, V>(e.arg, S{g_out, full, e.axis, e.begin, e.end}, full, s.leaf);
    } else if constexpr (requires { e.axes; }) {
        // A reduction is a boundary: its adjoint is summed down to its own shape (materialised),
        // given back the reduced axes, and passed to its argument by the op's rule.
        using Op = typename E::op_type;
        auto const seed = mask(g);
        fit<std::remove_cvref_t<decltype(seed)>, V> const g_out{seed, s.boundary, e.shape()};
        if constexpr (requires { Op::keeps_shape; }) {
#if XTAD_DETECT_ANOMALY
            if (anomaly_mode()) [[unlikely]] {
                check_adjoint<N, Op, V>(g_out, zero_t{}, Op::vjp(g_out, e), 0);
            }
#endif
            return boundary_part<N, V>(e.arg, Op::vjp(g_out, e), e.arg.shape(), s.leaf);
        } else {
            expand<std::remove_cvref_t<decltype(g_out)>> const g_in{
                g_out, kept_shape(e.arg.shape(), e.axes)};
#if XTAD_DETECT_ANOMALY
            if (anomaly_mode()) [[unlikely]] {
                check_adjoint<N, Op, V>(g_in, zero_t{}, Op::vjp(g_in, e), 0);
            }
#endif
            if constexpr (requires { Op::support(e); }) {
                // an element read alone (x(i) of an expression): zero elsewhere, as a view's
                auto const cond = as_node(Op::support(e));
                using C = std::remove_cvref_t<decltype(cond)>;
                return boundary_part<N, V>(e.arg, Op::vjp(g_in, e), e.arg.shape(), s.leaf,
                                           branch_mask<C, true, no_mask>{cond, {}});
            } else {
                return boundary_part<N, V>(e.arg, Op::vjp(g_in, e), e.arg.shape(), s.leaf);
            }
        }
    } else if constexpr (requires { e.operands; }) {
        // A tensor op is a boundary: its adjoint is materialised on its shape, and the op's vjp
        // rule turns it into each operand's adjoint.
        auto const seed = mask(g);
        fit<std::remove_cvref_t<decltype(seed)>, V> const g_out{seed, s.boundary, e.shape()};
        auto const parts = tensor_vjp(e, g_out);
        return [&]<std::size_t... K>(std::index_sequence<K...>) {
            return (no_part() + ... + [&](auto const& a, auto const& part) {
                if constexpr (is_zero<std::remove_cvref_t<decltype(part)>>) {
                    return no_part();
                } else {
#if XTAD_DETECT_ANOMALY
                    if constexpr (depends_on<decltype(a), N>) {
                        if (anomaly_mode()) [[unlikely]] {
                            check_adjoint<N, typename E::op_type, V>(g_out, zero_t{}, part, K);
                        }
                    }
#endif
                    shape_t const logical =
                        tensor_adjoint_shape<typename E::op_type>(part.shape(), a.shape(), K);
                    if constexpr (has_support<E>) {
                        // An op that reads only part of an operand (a view, a filter): below it,
                        // the adjoint is an exact zero elsewhere, whatever the partials there (an
                        // infinite one included), as below the untaken branch of where.
                        auto const cond = as_node(std::apply(
                            [&](auto const&... o) { return e.op.support(K, o...); }, e.operands));
                        using C = std::remove_cvref_t<decltype(cond)>;
                        return boundary_part<N, V>(a, part, logical, s.leaf,
                                                   branch_mask<C, true, no_mask>{cond, {}});
                    } else {
                        return boundary_part<N, V>(a, part, logical, s.leaf);
                    }
                }
            }(std::get<K>(e.operands), std::get<K>(parts)));
        }
        (std::make_index_sequence<std::tuple_size_v<decltype(e.operands)>>{});
    } else if constexpr (requires { e.args; }) {
        // A stack is a boundary too: its adjoint is materialised on its shape, and entry k of it
        // is the adjoint of expression k.
        auto const seed = mask(g);
        fit<std::remove_cvref_t<decltype(seed)>, V> const g_out{seed, s.boundary, e.shape()};
        return [&]<std::size_t... K>(std::index_sequence<K...>) {
            return (no_part() + ...
                    + boundary_part<N, V>(std::get<K>(e.args),
                                          take<std::remove_cvref_t<decltype(g_out)>>{g_out, K},
                                          std::get<K>(e.args).shape(), s.leaf));
        }
        (std::make_index_sequence<std::tuple_size_v<decltype(e.args)>>{});
    } else if constexpr (requires { e.parts; }) {
        // A concatenation is a boundary: expression k's adjoint is its range of the adjoint.
        auto const seed = mask(g);
        fit<std::remove_cvref_t<decltype(seed)>, V> const g_out{seed, s.boundary, e.shape()};
        // Offsets first: the terms of a fold over + are evaluated in no fixed order.
        std::array<std::size_t, std::tuple_size_v<decltype(e.parts)> + 1> at{};
        std::size_t k = 0;
        std::apply([&](auto const&... a) { ((at[k + 1] = at[k] + a.shape()[e.axis], ++k), ...); },
                   e.parts);
        using P = slice_along<std::remove_cvref_t<decltype(g_out)>>;
        return [&]<std::size_t... K>(std::index_sequence<K...>) {
            return (no_part() + ...
                    + boundary_part<N, V>(std::get<K>(e.parts), P{g_out, e.axis, at[K], at[K + 1]},
                                          std::get<K>(e.parts).shape(), s.leaf));
        }
        (std::make_index_sequence<std::tuple_size_v<decltype(e.parts)>>{});
    } else {
        static_assert(always_false<E>, "xtad: no adjoint rule for this node");
    }
}

#if XTAD_DETECT_ANOMALY
} // inline namespace anomaly_checked
#endif

} // namespace xtad::detail
