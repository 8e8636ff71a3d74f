// Defines xtad::grad and xtad::backward (reverse mode), with wrt and allow_unused.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/reduction.hpp"
#include "xtad/reverse/adjoint.hpp"
#include "xtad/reverse/sweep.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad {

/// The leaves to differentiate with respect to: `grad(e, wrt(a, b), seed)`.
template <class... L>
struct wrt_t {
    std::tuple<L const*...> leaves;
};

template <Leaf... L>
wrt_t<L...> wrt(L const&... leaves) {
    return {{&leaves...}};
}

/// Asks `grad` for zeros, instead of a compile error, for a leaf the expression does not use
/// (torch: `allow_unused=True`, which gives None).
struct allow_unused_t {};
inline constexpr allow_unused_t allow_unused{};

/// An option of grad (allow_unused).
template <class S>
concept Option = std::is_same_v<std::remove_cvref_t<S>, allow_unused_t>;

namespace detail {

template <class S>
constexpr bool complex_valued = false;
template <class S>
requires requires {
    typename std::remove_cvref_t<S>::value_type;
}
constexpr bool complex_valued<S> = is_complex<typename std::remove_cvref_t<S>::value_type>;

} // namespace detail

/// What grad takes as its seed: ones_like(e), a tensor, or an expression of e's shape, of real
/// values.
template <class S>
concept Seed = Shaped<S> && !Option<S> && !detail::complex_valued<S>;

namespace detail {

template <class W>
constexpr bool is_wrt = false;
template <class... L>
constexpr bool is_wrt<wrt_t<L...>> = true;

/// The tensor grad returns for an argument that is a leaf, none for another argument.
template <class A>
struct leaf_result {
    using type = std::tuple<>;
};
template <fixed_string N, auto Tag>
struct leaf_result<leaf<N, Tag>> {
    using type = std::tuple<typename leaf<N, Tag>::container_type>;
};

/// What grad(e, a, b, seed) would return with wrt(a, b): the result of a call that forgot
/// wrt(...), so that `auto [da, db] = ...` adds no error to the one that names the slip.
template <class... A>
using leaf_results_t =
    decltype(std::tuple_cat(std::declval<typename leaf_result<std::remove_cvref_t<A>>::type>()...));

/// Named in the compiler's message when a leaf in wrt(...) is not used by the expression.
template <fixed_string Name, bool Used>
struct leaf_must_occur_in_the_expression {
    static_assert(Used, "xtad::grad: a leaf in wrt(...) does not occur in the expression (its "
                        "name is the template argument above); pass xtad::allow_unused to get "
                        "zeros for it");
    static constexpr bool value = Used;
};

/// Every leaf in wrt(...) must occur in `e`, unless unused leaves are allowed.
template <class E, bool AllowUnused, class... L>
constexpr void check_used() {
    // Naming ::value instantiates each check, whose static_assert names the unused leaf.
    [[maybe_unused]] constexpr bool ok = (leaf_must_occur_in_the_expression < L::name,
                                          AllowUnused || depends_on < E, L::name >> ::value && ...);
}

/// The object behind the leaf named `L::name` in `e` must be `wanted`: a different leaf of the
/// same name, or a copy held by the tree, would silently get no gradient.
template <class L, class E>
void check_same_leaf(E const& e, L const* wanted, char const* op) {
    for_each_node(e, [&](auto const& n) {
        using Node = std::remove_cvref_t<decltype(n)>;
        if constexpr (is_leaf<Node> || is_leaf_ref<Node>) {
            if constexpr (Node::name == L::name) {
                if (static_cast<void const*>(&leaf_of(n)) != static_cast<void const*>(wanted)) {
                    throw error(std::string("xtad::") + op + ": the leaf '"
                                + std::string(L::name.view())
                                + "' in the expression is not the leaf passed to wrt(...) (a "
                                  "different leaf of that name, or a copy the expression owns)");
                }
            }
        }
    });
}

/// The seed as a node. A seed that becomes part of a returned expression (derivative's) is
/// owned as any tensor constant is; grad uses its seed only during the call, and `Borrow`s a
/// tensor seed by reference instead of copying it (jacrev passes one per row).
template <bool Borrow = false, class S>
auto seed_node(S&& seed) {
    if constexpr (std::is_same_v<std::remove_cvref_t<S>, ones>) {
        return one_t{};
    } else if constexpr (Borrow && xt::is_xexpression<std::remove_cvref_t<S>>::value) {
        return xtad::ref(seed);
    } else {
        return as_node(std::forward<S>(seed));
    }
}

template <class S>
shape_t seed_shape(S const& seed) {
    return to_shape(seed.shape());
}

/// What a gradient is called in an error (resize_to's): a fixed-size tensor of another shape.
inline constexpr char const* a_gradient = "the gradient";

/// Evaluates the adjoint `part` of a leaf into `out`, resized to the leaf's shape: one fused
/// loop when nothing was broadcast, a sum over the broadcast axes otherwise. `op` names the
/// public function in an error.
template <class C, class G, class X>
void assign_adjoint(C& out, adjoint_part<G, X> const& part, shape_t const& logical,
                    shape_t const& target, char const* op) {
    using V = typename C::value_type;
    if constexpr (is_zero<G>) {
        resize_to(out, target, op, a_gradient);
        out.fill(V(0));
    } else if (logical == target) {
        assign<V>(out, part.group, target, op, a_gradient); // the group broadcasts to the leaf
    } else if (size_of(target) == 1) {
        resize_to(out, target, op, a_gradient); // a number broadcast: its terms summed
        out.flat(0) = sum_over<V, V>(part.group, logical);
    } else {
        resize_to(out, target, op, a_gradient);
        xt::noalias(out) = sum_to(materialise<V, V>(part.group), logical, target);
    }
    if constexpr (!is_zero<X>) {
        assign<V, true>(out, part.extra, target);
    }
}

/// The gradient of `e` (seeded by `g` on `out_shape`) with respect to `leaf`, into `out`.
template <class L, class E, class G, class C>
void gradient_into(C& out, E const& e, G const& g, shape_t const& out_shape, L const* leaf,
                   char const* op = "grad") {
    shape_t const leaf_shape = leaf->shape();
    if constexpr (!depends_on<E, L::name>) {
        resize_to(out, leaf_shape, op, a_gradient);
        out.fill(typename C::value_type(0));
    } else {
        check_same_leaf(e, leaf, op);
        auto const part = adjoint<L::name>(e, g, no_mask{}, adjoint_shapes{out_shape, leaf_shape});
        assign_adjoint(out, part, out_shape, leaf_shape, op);
    }
}

// The gradients of several leaves, evaluated together (one leaf takes gradient_into, above).
// Each leaf's adjoint (adjoint_part) is its group, on the root's broadcast shape, and, in the
// common case, one `fit` that brings what came through the reductions above it down to the
// leaf's shape. The groups of all leaves are run together, then the fits' arguments, one loop
// per shape they live on (for a scalar loss, that of the reduction's argument). Where two terms
// may share a node (the adjoint of the node above the leaves), their loop binds their kernels in
// one memo context and runs a block at a time, so that the node is computed once per element;
// where none can, each term has a simple loop of its own. Each term is written, added or summed
// where the per-leaf evaluation (assign_adjoint) put it, in the same order, so the results are
// the same.

/// Where a term's element i goes: written to dst[i] or added to it, added to a running total (a
/// number broadcast against the loop), or written to a buffer that is summed down afterwards.
enum class term_sink : unsigned char { write, add, total, buffer };

/// One term of a leaf's adjoint: `expr` (element type V), on the broadcast shape `logical`,
/// brought down to `target`, the leaf's shape. A leaf with no such term has a no_term instead,
/// so the pointers are never null.
template <class V, class E>
struct adjoint_term {
    using value_type = V;
    using expr_type = E;
    E const* expr = nullptr;
    shape_t const* logical = nullptr;
    shape_t const* target = nullptr;
    term_sink sink = term_sink::write;
    V* dst = nullptr;
    V total = V(0);
    std::optional<xt::xarray<V>> buffer{};
};

/// A leaf whose adjoint has no such term (a zero group, an extra that is not one fit).
struct no_term {
    using value_type = double;
    using expr_type = no_term;
};

/// The kernel a term binds in a loop whose memo context is Ctx, if the term is in that loop.
template <class Term, class Ctx>
struct term_kernel {
    using type = std::optional<decltype(kernel<typename Term::value_type>(
        std::declval<typename Term::expr_type const&>(), std::declval<shape_t const&>(),
        std::declval<Ctx&>()))>;
};
template <class Ctx>
struct term_kernel<no_term, Ctx> {
    using type = no_term;
};

template <class Term>
shape_t const* term_logical(Term const& t) {
    if constexpr (std::is_same_v<Term, no_term>) {
        return nullptr;
    } else {
        return t.logical;
    }
}

/// Elements [b, e) of a term, from its kernel, to its sink: one simple loop per sink. Always
/// inlined: where the kernel is a local of the function that runs the loop, the compiler knows
/// that the loop's stores do not change it, and vectorises the loop (g++ 12 did not when it came
/// by reference or by value into a function of its own: 4x slower on W1).
template <class Term, class K>
XTAD_ALWAYS_INLINE void run_range(Term& t, K const& k, std::size_t b, std::size_t e) {
    switch (t.sink) {
    case term_sink::write:
    case term_sink::buffer:
        run_into(t.dst, k, b, e);
        break;
    case term_sink::add:
        run_add(t.dst, k, b, e);
        break;
    case term_sink::total:
        t.total = run_sum(t.total, k, b, e);
        break;
    }
}

/// How many of the terms have a node of type B (bound<T, N>).
template <class B, class... Term>
constexpr std::size_t terms_with =
    (std::size_t(0) + ...
     + std::size_t(occurrences<B, typename region<typename Term::value_type,
                                                  typename Term::expr_type>::type> != 0));

/// Whether two of the terms may share a node (its type occurs in both): then they run in one
/// loop; otherwise each in a loop of its own, as simple as an evaluation's.
template <class... Term>
constexpr bool terms_share() {
    using all = type_list<bound<typename Term::value_type, typename Term::expr_type>...>;
    return []<class... B>(type_list<B...>) {
        return (false || ... || (terms_with<B, Term...> >= 2));
    }(typename memo_plan<all>::shared{});
}

/// The smallest memo block of a plan: the length of the loop's blocks, so that a node the first
/// term computes for a block is still held when the next term reads it.
template <class T, class N>
constexpr std::size_t block_of(bound<T, N>) {
    return memo_block<kernel_value_t<T, N>>;
}
template <class... B>
constexpr std::size_t smallest_block(type_list<B...>) {
    return std::min({memo_block<double>, block_of(B{})...});
}

/// Runs `terms` (each with its logical shape, sink and destination set): one loop per distinct
/// shape they live on. Terms that share nodes run together, a block at a time: each term's block
/// in a simple loop, the shared nodes' values held for the block by their memos.
template <class... Term>
void run_terms(std::tuple<Term...>& terms) {
    using Ctx =
        memo_context<type_list<bound<typename Term::value_type, typename Term::expr_type>...>>;
    constexpr std::size_t N = sizeof...(Term);
    auto const each = [&](auto&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::integral_constant<std::size_t, I>{}, std::get<I>(terms)), ...);
        }
        (std::index_sequence_for<Term...>{});
    };
    if constexpr (!terms_share<Term...>()) {
        each([&](auto, auto& t) {
            using T = std::remove_cvref_t<decltype(t)>;
            if constexpr (!std::is_same_v<T, no_term>) {
                loop_context<typename T::value_type, typename T::expr_type> ctx;
                auto const k = kernel<typename T::value_type>(*t.expr, *t.logical, ctx);
                run_range(t, k, 0, size_of(*t.logical));
            }
        });
    } else {
        constexpr std::size_t L = smallest_block(typename Ctx::shared_list{});
        std::array<shape_t const*, N> logical{};
        each([&](auto i, auto const& t) { logical[i] = term_logical(t); });
        for (std::size_t first = 0; first < N; ++first) {
            if (logical[first] == nullptr) {
                continue;
            }
            shape_t const here = *logical[first];
            std::array<bool, N> in{};
            for (std::size_t k = first; k < N; ++k) {
                if (logical[k] != nullptr && *logical[k] == here) {
                    in[k] = true;
                    logical[k] = nullptr; // in this loop
                }
            }
            Ctx ctx;
            std::tuple<typename term_kernel<Term, Ctx>::type...> kernels{
                typename term_kernel<Term, Ctx>::type{}...};
            each([&](auto i, auto const& t) {
                if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(t)>, no_term>) {
                    if (in[i]) {
                        using V = typename std::remove_cvref_t<decltype(t)>::value_type;
                        std::get<i>(kernels).emplace(kernel<V>(*t.expr, here, ctx));
                    }
                }
            });
            std::size_t const n = size_of(here);
            for (std::size_t b = 0; b < n; b += L) {
                std::size_t const e = std::min(n, b + L);
                each([&](auto i, auto& t) {
                    if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(t)>, no_term>) {
                        if (auto const& k = std::get<i>(kernels)) {
                            run_range(t, *k, b, e);
                        }
                    }
                });
            }
        }
    }
}

/// Where a leaf's gradient is written: `out` itself, or, when `out` is not row-major contiguous
/// or is memory some adjoint reads (an update in place), a tensor copied into `out` at the end.
template <class C>
struct gradient_dest {
    using V = typename C::value_type;
    C& out;
    char const* op; // the public function, named in an error
    std::optional<xt::xarray<V>> stage{};

    template <class F>
    void with(F&& f) {
        if constexpr (row_major_contiguous<C>) {
            if (!stage) {
                f(out);
                return;
            }
        }
        f(*stage);
    }
    void resize(shape_t const& s) {
        with([&](auto& d) { resize_to(d, s, op, a_gradient); });
    }
    V* data() {
        V* p = nullptr;
        with([&](auto& d) { p = d.data(); });
        return p;
    }
    void finish(shape_t const& s) {
        if (stage) {
            resize_to(out, s, op, a_gradient);
            xt::noalias(out) = *stage;
        }
    }
};

/// Sets where `t` (a term on `dest`'s leaf) sends its elements: `Add` for an extra term, added to
/// the group already there.
template <bool Add, class Term, class C>
void choose_sink(Term& t, gradient_dest<C>& dest) {
    if constexpr (!std::is_same_v<Term, no_term>) {
        if (*t.logical == *t.target) {
            if constexpr (!Add) {
                dest.resize(*t.target);
            }
            t.sink = Add ? term_sink::add : term_sink::write;
            t.dst = dest.data();
        } else if (size_of(*t.target) == 1) {
            t.sink = term_sink::total; // a number broadcast against the tensor: its terms summed
        } else {
            t.sink = term_sink::buffer;
            t.buffer.emplace(*t.logical);
            t.dst = t.buffer->data();
        }
    }
}

/// After the loops: a term's total or buffer, summed down to the leaf's shape, into its gradient.
template <bool Add, class Term, class C>
void finish_term(Term& t, gradient_dest<C>& dest) {
    if constexpr (!std::is_same_v<Term, no_term>) {
        using V = typename Term::value_type;
        if (t.sink == term_sink::write || t.sink == term_sink::add) {
            return;
        }
        if constexpr (!Add) {
            dest.resize(*t.target);
        }
        V* const d = dest.data();
        if (t.sink == term_sink::total) {
            d[0] = Add ? V(d[0] + t.total) : t.total;
        } else {
            xt::xarray<V> const s = sum_to(*t.buffer, *t.logical, *t.target);
            for (std::size_t i = 0; i < s.size(); ++i) {
                d[i] = Add ? V(d[i] + s.flat(i)) : s.flat(i);
            }
        }
    }
}

/// The group term of leaf j's adjoint part, if it has one.
template <class V, class G, class X>
auto group_term(adjoint_part<G, X> const& part, shape_t const& logical, shape_t const& target) {
    if constexpr (is_zero<G>) {
        return no_term{};
    } else {
        return adjoint_term<V, G>{&part.group, &logical, &target};
    }
}

/// The extra term of leaf j's adjoint part, if it is one fit (else the extra, if any, is added
/// by assign afterwards).
template <class V, class G, class X>
auto extra_term(adjoint_part<G, X> const& part) {
    if constexpr (is_fit_node<X>) {
        using A = std::remove_cvref_t<decltype(part.extra.arg)>;
        return adjoint_term<V, A>{&part.extra.arg, &part.extra.logical, &part.extra.target};
    } else {
        return no_term{};
    }
}

/// Where value_and_grad's value goes: nowhere (grad), or a tensor of the root's shape.
struct no_value {};

/// Whether the value of `e` can be computed in the adjoint pass's loop, beside the gradients: `e`
/// is a sum, whose argument is what the adjoints that come through it run over, so the loop that
/// runs them computes the argument's values anyway (a shared node once). Over all axes only: the
/// value is then the loop's running total, added in the order eval adds it.
template <class E>
constexpr bool fuses_value = false;
template <class A>
constexpr bool fuses_value<reduce<sum_op, A>> = true;

/// The value term of value_and_grad: the sum's argument on its shape `logical`, totalled into the
/// root's shape; none for grad.
template <class E, class Value>
auto value_term(E const& e, Value&, shape_t const& logical, shape_t const& out_shape) {
    if constexpr (std::is_same_v<Value, no_value>) {
        return std::tuple<>{};
    } else {
        using V = typename Value::value_type;
        return std::tuple{
            adjoint_term<V, std::remove_cvref_t<decltype(e.arg)>>{&e.arg, &logical, &out_shape}};
    }
}

/// A seed the sweep reads in place, for a tree of element type V: ones, or a row-major container
/// of numbers (an expression or a view is read by the adjoint pass).
template <class S, class V>
constexpr bool sweep_seed = false;
template <class V>
constexpr bool sweep_seed<ones, V> = true;
template <class S, class V>
requires std::is_base_of_v<xt::xcontainer<S>, S>
constexpr bool sweep_seed<S, V> =
    std::is_convertible_v<typename S::value_type, V> && row_major_contiguous<S>;

/// Whether every container of Outs (a tuple or an array of them) holds numbers of type V.
template <class Outs, class V, class = std::make_index_sequence<std::tuple_size_v<Outs>>>
constexpr bool gradients_of = false;
template <class Outs, class V, std::size_t... J>
constexpr bool gradients_of<Outs, V, std::index_sequence<J...>> =
    (std::is_same_v<typename std::remove_cvref_t<std::tuple_element_t<J, Outs>>::value_type,
                    V> && ...);

/// Whether grad takes the sweep (reverse/sweep.hpp) for `E` with a seed of type S into gradients
/// of types Outs: a tree of numbers, a seed it reads in place, each gradient in the tree's
/// element type. Anything else takes the adjoint pass.
template <class E, class S, class Outs>
constexpr bool grad_sweeps = [] {
    using V = value_t<E>;
    if constexpr (!sweeps<V, E> || !sweep_seed<std::remove_cvref_t<S>, V>) {
        return false;
    } else {
        return gradients_of<Outs, V>;
    }
}();

/// The gradients of `e`, a tree of numbers, by one sweep of its recorded values (grad_sweeps):
/// every gradient zeroed, then each entry's seed swept to the leaves' elements. The values are
/// recorded before anything is written, so a gradient may be a leaf's own tensor.
template <class Outs, class E, class S, class... L>
void sweep_gradients_into(Outs& outs, E const& e, S const& seed, wrt_t<L...> const& w,
                          char const* op) {
    using V = value_t<E>;
    using J = std::index_sequence_for<L...>;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto const check = [&](auto const* leaf) {
            using Leaf = std::remove_cvref_t<decltype(*leaf)>;
            if constexpr (depends_on<E, Leaf::name>) {
                check_same_leaf(e, leaf, op);
            }
        };
        (check(std::get<I>(w.leaves)), ...);
    }
    (J{});
    auto const records = record_entries<V>(e);
    constexpr std::size_t m = std::tuple_size_v<std::remove_cvref_t<decltype(records)>>;
    std::array<V, m> seeds{};
    for (std::size_t k = 0; k < m; ++k) {
        if constexpr (std::is_same_v<std::remove_cvref_t<S>, ones>) {
            seeds[k] = V(1);
        } else {
            seeds[k] = static_cast<V>(seed.data()[k]);
        }
    }
    leaf_blocks<V, L...> add;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto dests = std::tuple{gradient_dest<std::remove_cvref_t<decltype(std::get<I>(outs))>>{
            std::get<I>(outs), op}...};
        auto const start = [&](auto& dest, auto const* leaf, std::size_t j) {
            if constexpr (!row_major_contiguous<std::remove_cvref_t<decltype(dest.out)>>) {
                dest.stage.emplace();
            }
            shape_t const s = leaf->shape();
            dest.resize(s);
            add.dst[j] = dest.data();
            std::fill_n(add.dst[j], size_of(s), V(0));
        };
        (start(std::get<I>(dests), std::get<I>(w.leaves), I), ...);
        sweep_seeds(
            e, records, [&](std::size_t k) { return seeds[k]; }, add);
        (std::get<I>(dests).finish(std::get<I>(w.leaves)->shape()), ...);
    }
    (J{});
}

#if XTAD_DETECT_ANOMALY
/// Anomaly mode: a NaN in the seed is named as such (every gradient below it would be NaN).
template <class V, class G>
void check_seed(G const& g, char const* op) {
    if constexpr (std::is_floating_point_v<V>) {
        xt::xarray<V> const v = materialise<V, V>(g);
        std::size_t const i = first_nan(v);
        if (i < v.size()) {
            throw error(std::string("xtad: anomaly: the seed given to xtad::") + op
                        + " holds NaN at element " + std::to_string(i));
        }
    }
}

// adjoint_of, gradients_into and grad_into_impl differ with XTAD_DETECT_ANOMALY: an inline
// namespace gives that setting a function of its own, as core/leaf.hpp does for lifetimes.
inline namespace anomaly_checked {
#endif
/// The adjoint of leaf L in `e`, seeded by `g` on `out_shape` (no part if e does not use it).
template <class L, class E, class G>
auto adjoint_of(E const& e, G const& g, shape_t const& out_shape, shape_t const& leaf_shape,
                L const* leaf, char const* op) {
    if constexpr (!depends_on<E, L::name>) {
        return no_part();
    } else {
        check_same_leaf(e, leaf, op);
        return adjoint<L::name>(e, g, no_mask{}, adjoint_shapes{out_shape, leaf_shape});
    }
}

/// The gradients of `e` (seeded by `g` on `out_shape`) with respect to the leaves of `w`, into
/// `outs` (a tuple or array of containers, one per leaf), evaluated together (above). `op` names
/// the public function in an error.
template <class Outs, class E, class G, class... L, class Value = no_value>
void gradients_into(Outs& outs, E const& e, G const& g, shape_t const& out_shape,
                    wrt_t<L...> const& w, char const* op, Value&& value = Value{}) {
    constexpr std::size_t K = sizeof...(L);
    using J = std::index_sequence_for<L...>;
    auto const targets = std::apply(
        [](auto const*... l) { return std::array<shape_t, K>{l->shape()...}; }, w.leaves);
    auto const parts = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple{adjoint_of(e, g, out_shape, targets[I], std::get<I>(w.leaves), op)...};
    }
    (J{});
    auto dests = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple{gradient_dest<std::remove_cvref_t<decltype(std::get<I>(outs))>>{
            std::get<I>(outs), op}...};
    }
    (J{});
    // A gradient that is memory an adjoint reads (a leaf's or the seed's: the adjoints read
    // nothing else that a caller holds) is written last: every gradient is staged. One walk of
    // e and one of g find it for all the gradients.
    bool const aliased = [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto const bytes = [](auto const& out) {
            if constexpr (row_major_contiguous<std::remove_cvref_t<decltype(out)>>) {
                return bytes_of(out);
            } else {
                return byte_range{}; // staged anyway
            }
        };
        std::array<byte_range, K> const outs_bytes{bytes(std::get<I>(outs))...};
        return reads_any(e, outs_bytes) || reads_any(g, outs_bytes);
    }
    (J{});
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto const stage = [&](auto& d) {
            if (aliased || !row_major_contiguous<std::remove_cvref_t<decltype(d.out)>>) {
                d.stage.emplace();
            }
        };
        (stage(std::get<I>(dests)), ...);
    }
    (J{});
    // The groups, on the root's shape; a leaf with none gets zeros first.
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto groups = std::tuple{
            group_term<typename std::remove_cvref_t<decltype(std::get<I>(outs))>::value_type>(
                std::get<I>(parts), out_shape, targets[I])...};
        auto const zero = [&](auto const& part, auto& dest, shape_t const& target) {
            if constexpr (is_zero<decltype(part.group)>) {
                using V = typename std::remove_cvref_t<decltype(dest)>::V;
                dest.resize(target);
                V* const d = dest.data();
                std::fill_n(d, size_of(target), V(0));
            }
        };
        (zero(std::get<I>(parts), std::get<I>(dests), targets[I]), ...);
        (choose_sink<false>(std::get<I>(groups), std::get<I>(dests)), ...);
        run_terms(groups);
        (finish_term<false>(std::get<I>(groups), std::get<I>(dests)), ...);
        // What came through the reductions: one fit per leaf, run together; any other extra
        // (several boundaries above the leaf) added by its own loop. value_and_grad's value (the
        // root sum's argument, totalled) is one more term of the same loop.
        using Val = std::remove_cvref_t<Value>;
        shape_t arg_shape;
        if constexpr (!std::is_same_v<Val, no_value>) {
            arg_shape = e.arg.shape();
        }
        auto extras = std::tuple_cat(
            std::tuple{
                extra_term<typename std::remove_cvref_t<decltype(std::get<I>(outs))>::value_type>(
                    std::get<I>(parts))...},
            value_term(e, value, arg_shape, out_shape));
        (choose_sink<true>(std::get<I>(extras), std::get<I>(dests)), ...);
        if constexpr (!std::is_same_v<Val, no_value>) {
            gradient_dest<Val> value_dest{value, op};
            choose_sink<false>(std::get<sizeof...(I)>(extras), value_dest);
            run_terms(extras);
            finish_term<false>(std::get<sizeof...(I)>(extras), value_dest);
        } else {
            run_terms(extras);
        }
        (finish_term<true>(std::get<I>(extras), std::get<I>(dests)), ...);
        auto const rest = [&](auto const& part, auto& dest, shape_t const& target) {
            using X = std::remove_cvref_t<decltype(part.extra)>;
            if constexpr (!is_zero<X> && !is_fit_node<X>) {
                using V = typename std::remove_cvref_t<decltype(dest)>::V;
                dest.with([&](auto& d) { assign<V, true>(d, part.extra, target); });
            }
        };
        (rest(std::get<I>(parts), std::get<I>(dests), targets[I]), ...);
        (std::get<I>(dests).finish(targets[I]), ...);
    }
    (J{});
}

/// The adjoint pass: every gradient of `e` into `outs` (and, for a sum, its value into `value`:
/// value_and_grad_into_impl), the seed's shape already checked.
template <class E, class... L, class S, class Outs, class Value = no_value>
void adjoint_pass_into(Outs&& outs, E const& e, wrt_t<L...> const& w, S&& seed, char const* op,
                       Value&& value = Value{}) {
    shape_t const out_shape = e.shape();
    auto const g = seed_node<true>(std::forward<S>(seed));
#if XTAD_DETECT_ANOMALY
    // The value first, as it is computed first; then the seed; then each op's adjoint, checked
    // while the adjoint pass builds it (adjoint.hpp), which may throw with e's caches filled.
    clear_caches_at_exit<E> const clear_at_exit{e, anomaly_mode()};
    if (clear_at_exit.on) [[unlikely]] {
        check_forward(e);
        check_seed<value_t<E>>(g, op);
    }
#endif
    clear_caches(e);
    if constexpr (!std::is_same_v<std::remove_cvref_t<Value>, no_value>) {
        gradients_into(outs, e, g, out_shape, w, op, value);
    } else if constexpr (sizeof...(L) == 1) {
        gradient_into(std::get<0>(outs), e, g, out_shape, std::get<0>(w.leaves), op);
    } else {
        gradients_into(outs, e, g, out_shape, w, op);
    }
    clear_caches(e);
}

/// Checks the seed's shape, then computes every gradient into `outs`, a tuple of containers: by
/// the sweep for a tree of numbers (grad_sweeps), else by the adjoint pass. `op` names the public
/// function in the error message.
template <class E, class... L, class S, class Outs, class Value = no_value>
void grad_into_impl(Outs&& outs, E const& e, wrt_t<L...> const& w, S&& seed,
                    char const* op = "grad", Value&& value = Value{}) {
    static_assert(sizeof...(L) > 0, "xtad::grad needs at least one leaf in wrt(...)");
    shape_t const out_shape = e.shape();
    shape_t const s_shape = seed_shape(seed);
    if (s_shape != out_shape) {
        throw error(std::string("xtad::") + op + ": the seed has shape " + shape_str(s_shape)
                    + " but the expression has shape " + shape_str(out_shape)
                    + "; pass a seed of the expression's shape");
    }
    if constexpr (std::is_same_v<std::remove_cvref_t<Value>,
                                 no_value> && grad_sweeps<E, S, std::remove_cvref_t<Outs>>) {
        sweep_gradients_into(outs, e, seed, w, op);
    } else {
        adjoint_pass_into(outs, e, w, std::forward<S>(seed), op, std::forward<Value>(value));
    }
}

/// The value of `e` into `value` and its gradients into `outs`: in the adjoint pass's loop where
/// `e` is a sum over all axes (fuses_value), else evaluated first, then differentiated.
template <class E, class... L, class S, class Outs, class C>
void value_and_grad_into_impl(C& value, Outs&& outs, E const& e, wrt_t<L...> const& w, S&& seed,
                              char const* op) {
    if constexpr (fuses_value<E>) {
        if (e.axes.all) {
            grad_into_impl(outs, e, w, std::forward<S>(seed), op, value);
            return;
        }
    }
    value = eval(e);
    grad_into_impl(outs, e, w, std::forward<S>(seed), op);
}
#if XTAD_DETECT_ANOMALY
} // inline namespace anomaly_checked
#endif

template <class E, class... L, class S>
auto grad_impl(E const& e, wrt_t<L...> const& w, S&& seed, char const* op = "grad") {
    std::tuple<typename L::container_type...> result;
    grad_into_impl(result, e, w, std::forward<S>(seed), op);
    return result;
}

template <class E>
ones implicit_seed(E const& e, char const* op) {
    static_assert(static_size_v<E> != static_size::many,
                  "xtad::backward(e) needs a scalar expression; pass a seed of e's shape");
    shape_t const s = e.shape();
    if (size_of(s) != 1) {
        throw error(std::string("xtad::") + op + ": the expression has shape " + shape_str(s) + " ("
                    + std::to_string(size_of(s))
                    + " elements); without a seed it needs exactly one element. Pass a seed "
                      "of shape "
                    + shape_str(s) + ", e.g. ones_like(e)");
    }
    return ones{s};
}

} // namespace detail

/// The gradients of `e` with respect to the leaves in `w`, weighted by `seed` (a tensor of e's
/// shape, or ones_like(e)): torch.autograd.grad(e, leaves, grad_outputs=seed). Returns a tuple
/// of tensors, each of its leaf's type and shape. A leaf not used by `e` is a compile error;
/// pass allow_unused to get zeros for it.
template <Expression E, class... L, Seed S, Option... Opt>
auto grad(E const& e, wrt_t<L...> const& w, S&& seed, Opt...) {
    detail::check_used<E, sizeof...(Opt) != 0, L...>();
    return detail::grad_impl(e, w, std::forward<S>(seed));
}

/// The gradients of a one-element expression (no seed needed: it is 1).
template <Expression E, class... L, Option... Opt>
auto grad(E const& e, wrt_t<L...> const& w, Opt... opt) {
    if constexpr (static_size_v<E> == static_size::many) {
        static_assert(detail::always_false<E>,
                      "xtad::grad(e, wrt(...)) without a seed needs a one-element expression; "
                      "pass a seed of e's shape");
        return std::tuple<typename L::container_type...>{};
    } else {
        return grad(e, w, detail::implicit_seed(e, "grad"), opt...);
    }
}

/// grad(e, x, ...) without wrt(...) around the leaves: a compile error that says so.
template <Expression E, Expression W, class... A>
requires(!detail::is_wrt<std::remove_cvref_t<W>>) auto grad(E const&, W const&, A const&...) {
    static_assert(detail::always_false<W>,
                  "xtad: grad needs the leaves to differentiate by inside wrt(...): write "
                  "grad(e, wrt(x, y), seed), not grad(e, x, y, seed)");
    return detail::leaf_results_t<W, A...>{};
}

/// grad with a seed that is neither a tensor nor an expression: a compile error that says so.
template <Expression E, class... L, class S, class... Opt>
requires(!Seed<S> && !Option<S>) auto grad(E const&, wrt_t<L...> const&, S const&, Opt const&...) {
    static_assert(detail::always_false<S>,
                  "xtad: the seed of grad must be a tensor or an xtad expression of e's shape "
                  "(e.g. ones_like(e)), not a number, a std::vector or complex values");
    return std::tuple<typename L::container_type...>{};
}

/// grad without allocating: writes the gradients into `outs` (a tuple of containers, e.g.
/// `std::tie(da, db)`, one per leaf, resized to the leaves' shapes as needed).
template <Expression E, class... L, Seed S, class... C>
void grad_into(std::tuple<C&...> outs, E const& e, wrt_t<L...> const& w, S&& seed) {
    static_assert(sizeof...(C) == sizeof...(L), "xtad::grad_into needs one output per leaf");
    detail::check_used<E, false, L...>();
    detail::grad_into_impl(outs, e, w, std::forward<S>(seed), "grad_into");
}

/// grad_into for a one-element expression (no seed needed: it is 1), as grad(e, wrt(...)).
template <Expression E, class... L, class... C>
void grad_into(std::tuple<C&...> outs, E const& e, wrt_t<L...> const& w) {
    if constexpr (static_size_v<E> == static_size::many) {
        static_assert(detail::always_false<E>,
                      "xtad::grad_into(outs, e, wrt(...)) without a seed needs a one-element "
                      "expression; pass a seed of e's shape");
    } else {
        grad_into(outs, e, w, detail::implicit_seed(e, "grad_into"));
    }
}

/// grad_into(outs, e, x, ...) without wrt(...) around the leaves: a compile error that says so.
template <class... C, Expression E, Expression W, class... A>
requires(!detail::is_wrt<std::remove_cvref_t<W>>) void grad_into(std::tuple<C&...>, E const&,
                                                                 W const&, A const&...) {
    static_assert(
        detail::always_false<W>,
        "xtad: grad_into needs the leaves to differentiate by inside wrt(...): write "
        "grad_into(std::tie(dx), e, wrt(x), seed), not grad_into(std::tie(dx), e, x, seed)");
}

/// grad_into with a seed that is neither a tensor nor an expression: a compile error.
template <class... C, Expression E, class... L, class S>
requires(!Seed<S>) void grad_into(std::tuple<C&...>, E const&, wrt_t<L...> const&, S const&) {
    static_assert(detail::always_false<S>,
                  "xtad: the seed of grad_into must be a tensor or an xtad expression of e's shape "
                  "(e.g. ones_like(e)), not a number, a std::vector or complex values");
}

namespace detail {

template <class List, class Seen = type_list<>>
struct unique_names;
template <class Seen>
struct unique_names<type_list<>, Seen> {
    using type = Seen;
};
template <class L, class... Ls, class... Seen>
struct unique_names<type_list<L, Ls...>, type_list<Seen...>> {
    using type =
        typename unique_names<type_list<Ls...>,
                              std::conditional_t<list_has_leaf<type_list<Seen...>, L::name>,
                                                 type_list<Seen...>, type_list<Seen..., L>>>::type;
};

template <class L, class E>
L const* find_leaf(E const& e) {
    L const* found = nullptr;
    for_each_node(e, [&](auto const& n) {
        using Node = std::remove_cvref_t<decltype(n)>;
        if constexpr (is_leaf<Node> || is_leaf_ref<Node>) {
            if constexpr (Node::name == L::name) {
                L const* here = &leaf_of(n);
                if (found && found != here) {
                    throw error("xtad::backward: two different leaves named '"
                                + std::string(L::name.view()) + "' in one expression");
                }
                found = here;
            }
        }
    });
    return found;
}

} // namespace detail

/// Accumulates the gradient of `e` (weighted by `seed`, of e's shape) into `.grad()` of every
/// leaf of `e`, as torch's `e.backward(seed)`: a second call adds to the first.
template <Expression E, Seed S>
void backward(E const& e, S&& seed) {
    using all = typename detail::unique_names<leaves_t<E>>::type;
    [&]<class... L>(detail::type_list<L...>) {
        if constexpr (sizeof...(L) > 0) {
            wrt_t<L...> const w{{detail::find_leaf<L>(e)...}};
            auto grads = detail::grad_impl(e, w, std::forward<S>(seed), "backward");
            std::apply(
                [&](auto&... g) {
                    std::apply(
                        [&](auto const*... leaf) { (leaf->accumulate_grad(std::move(g)), ...); },
                        w.leaves);
                },
                grads);
        }
    }(all{});
}

/// backward with a seed that is neither a tensor nor an expression: a compile error.
template <Expression E, class S>
requires(!Seed<S>) void backward(E const&, S const&) {
    static_assert(detail::always_false<S>,
                  "xtad: the seed of backward must be a tensor or an xtad expression of e's shape "
                  "(e.g. ones_like(e)), not a number, a std::vector or complex values");
}

/// backward(e) for a one-element `e`: the seed is 1. A tree whose size is known at compile time
/// to be more than one element does not compile; at run time, more than one element throws.
template <Expression E>
void backward(E const& e) {
    backward(e, detail::implicit_seed(e, "backward"));
}

} // namespace xtad
