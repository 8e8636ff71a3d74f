// Defines reverse mode for a tree of numbers: a function written element by element (`x(0)`,
// `x(1)`, constants and elementwise ops, at its root one such expression or a stack of them), as
// a solver's residual or a loss written term by term is. Such a tree needs no loop and no
// adjoint expression: its values are recorded once, in a struct that mirrors the tree, and each
// seed is swept from the root to the leaves, each op's partials evaluated on the recorded values
// by the rules forward mode evaluates them with. A subexpression copied into several places (a
// value the rows of a residual share) is recorded once. grad, grad_into and backward
// (reverse/grad.hpp) and jacrev, vjp, value_and_grad, hessian and hvp (functional/) take this
// path where it applies, and the adjoint pass everywhere else; jacfwd records such a tree on its
// dual numbers instead of evaluating it by loops.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/eval/build.hpp"
#include "xtad/forward/dual.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad::detail {

/// Whether `A` is a leaf whose elements are read in place (a row-major container's).
template <class A>
constexpr bool is_element_leaf = false;
template <LeafLike A>
constexpr bool is_element_leaf<A> = row_major_contiguous<
    typename std::remove_cvref_t<decltype(leaf_of(std::declval<A const&>()))>::container_type>;

/// Whether `E` is a tree of numbers: every node 0-d, its leaves read element by element.
template <class E>
constexpr bool is_number_tree = false;
template <long long Num, long long Den>
constexpr bool is_number_tree<static_constant<Num, Den>> = true;
template <class S>
constexpr bool is_number_tree<scalar<S>> = true;
template <std::size_t K, class A>
constexpr bool is_number_tree<reduce<index_op<K>, A>> = is_element_leaf<A>;
template <class Op, class A>
constexpr bool is_number_tree<unary<Op, A>> = is_number_tree<A>;
template <class Op, class L, class R>
constexpr bool is_number_tree<binary<Op, L, R>> = is_number_tree<L>&& is_number_tree<R>;
template <class C, class A, class B>
constexpr bool is_number_tree<select<C, A, B>> =
    is_number_tree<C>&& is_number_tree<A>&& is_number_tree<B>;

/// Whether `E` is a tree of numbers or a stack of them (a residual function's `stack(r0, ...)`).
template <class E>
constexpr bool is_number_root = is_number_tree<E>;
template <class... Es>
constexpr bool is_number_root<stack_node<Es...>> = (is_number_tree<Es> && ...);

/// Whether the sweep takes the adjoint pass's place for `E`, the root of what a transform
/// differentiates, in element type V. Anomaly mode keeps the adjoint pass, which checks every op.
template <class V, class E>
constexpr bool sweeps =
    !XTAD_DETECT_ANOMALY
    && std::is_floating_point_v<V> && std::is_same_v<value_t<E>, V> && is_number_root<E>;

/// Whether `E` is a tree of numbers of D, dual numbers: jacfwd records its values instead of
/// evaluating it by loops, and the Hessian's forward-over-reverse route (hessian, hvp) sweeps it
/// on the duals instead of running the adjoint pass on them.
template <class D, class E>
constexpr bool sweeps_duals =
    !XTAD_DETECT_ANOMALY && is_dual<D> && std::is_same_v<value_t<E>, D> && is_number_root<E>;

/// The recorded value of a node: `v`, with those of its operands (a, b; c for a condition), and
/// for an element of a leaf, its row-major position.
template <class V>
struct number_record {
    V v;
};
template <class V>
struct element_record {
    V v;
    std::size_t flat;
};
template <class V, class A>
struct unary_record {
    V v;
    A a;
};
template <class V, class A, class B>
struct binary_record {
    V v;
    A a;
    B b;
};
template <class V, class C, class A, class B>
struct select_record {
    V v;
    C c;
    A a;
    B b;
};

/// No memo: each node recorded where it occurs.
struct no_record_memo {
    template <class T, class N>
    static constexpr bool holds = false;
};

template <class T, class E, class Memo>
auto record_values(E const& e, Memo& memo);

/// The record of a node: its operands' records and its value (as evaluation binds it in element
/// type T: the same rules on the same operands, so the same numbers).
template <class T, class E, class Memo>
auto record_node(E const& e, Memo& memo) {
    if constexpr (is_static_constant<E>) {
        return number_record<primal_t<T>>{E::template value<primal_t<T>>()};
    } else if constexpr (is_scalar_node<E>) {
        return number_record<primal_t<T>>{static_cast<primal_t<T>>(e.value)};
    } else if constexpr (requires { e.op.index; }) {
        auto const& c = leaf_of(e.arg).value();
        using W = std::remove_cv_t<typename std::remove_cvref_t<decltype(c)>::value_type>;
        std::size_t const flat = e.op.element_at(c.shape());
        return element_record<W>{c.data()[flat], flat};
    } else if constexpr (requires { e.arg; }) {
        auto a = record_values<T>(e.arg, memo);
        auto const v = scalar_fn<typename E::op_type>{e.op}(a.v);
        return unary_record<std::remove_const_t<decltype(v)>, decltype(a)>{v, a};
    } else if constexpr (requires { e.lhs; }) {
        using Op = typename E::op_type;
        using U = operand_type_t<T, Op, std::remove_cvref_t<decltype(e.lhs)>,
                                 std::remove_cvref_t<decltype(e.rhs)>>;
        auto a = record_values<U>(e.lhs, memo);
        auto b = record_values<U>(e.rhs, memo);
        auto const v = scalar_fn<Op>{e.op}(a.v, b.v);
        return binary_record<std::remove_const_t<decltype(v)>, decltype(a), decltype(b)>{v, a, b};
    } else {
        auto c = record_values<T>(e.cond, memo);
        auto a = record_values<T>(e.then_, memo);
        auto b = record_values<T>(e.else_, memo);
        auto const v = select_fn{}(c.v, a.v, b.v);
        return select_record<std::remove_const_t<decltype(v)>, decltype(c), decltype(a),
                             decltype(b)>{v, c, a, b};
    }
}

template <class T, class E>
using record_t =
    decltype(record_node<T>(std::declval<E const&>(), std::declval<no_record_memo&>()));

/// The records of the copies of node type N (in element type T) in one root, Count at most: the
/// first of each value, reused by the copies that compute the same value (same_node, as the
/// evaluation's memos tell them apart).
template <class T, class N, std::size_t Count>
struct record_slots {
    std::array<N const*, Count> nodes{};
    std::array<record_t<T, N>, Count> records{};
};

/// The memo of a root whose elementwise nodes, with repeats, are All: slots for each node type
/// that occurs more than once (Shared), so that a subexpression shared by a residual's rows, or
/// by two terms of a loss, is computed once.
template <class Shared, class All>
struct record_memo;
template <class... B, class All>
struct record_memo<type_list<B...>, All> {
    template <class T, class N>
    static constexpr bool holds = occurrences<bound<T, N>, type_list<B...>> != 0;
    template <class T, class N>
    using slots_t = record_slots<T, N, occurrences<bound<T, N>, All>>;

    std::tuple<slots_t<typename B::element, typename B::node>...> slots{};
};

/// The values of a tree of numbers, each node computed once: a node of a type that occurs more
/// than once is looked up in the memo first.
template <class T, class E, class Memo>
auto record_values(E const& e, Memo& memo) {
    if constexpr (Memo::template holds<T, E>) {
        auto& s = std::get<typename Memo::template slots_t<T, E>>(memo.slots);
        std::size_t k = 0;
        while (s.nodes[k] != nullptr && !same_node(*s.nodes[k], e)) {
            ++k; // a slot per occurrence: one is free or the same
        }
        if (s.nodes[k] == nullptr) {
            s.records[k] = record_node<T>(e, memo);
            s.nodes[k] = &e;
        }
        return s.records[k];
    } else {
        return record_node<T>(e, memo);
    }
}

/// Sends `g`, the adjoint of `e` (recorded in `r`), to the elements of the leaves below: each
/// reached element is passed to `add(node, flat, contribution)`. As the adjoint pass: a partial
/// that is zero by construction, and a subtree without leaves, are never formed; below where,
/// only the branch taken is reached (the other gets an exact zero, whatever its partials); a
/// comparison passes nothing.
template <class G, class E, class R, class Add>
void sweep(E const& e, R const& r, G const g, Add& add) {
    if constexpr (std::is_same_v<leaves_t<E>, type_list<>>) {
        return;
    } else if constexpr (requires { e.op.index; }) {
        add(e, r.flat, g);
    } else if constexpr (requires { e.arg; }) {
        using Op = typename E::op_type;
        if constexpr (!is_mask_op<Op>) {
            using X = decltype(r.a.v);
            auto const rule = e.op.partial(scalar<X>{r.a.v});
            using P = decltype(rule);
            if constexpr (!is_zero<P>) {
                G const d = partial_value<G, Op, X>(rule, r.v);
                sweep<G>(e.arg, r.a, G(g * d), add);
            }
        }
    } else if constexpr (requires { e.lhs; }) {
        using Op = typename E::op_type;
        if constexpr (!is_mask_op<Op>) {
            using X = decltype(r.a.v);
            using Y = decltype(r.b.v);
            if constexpr (!std::is_same_v<leaves_t<decltype(e.lhs)>, type_list<>>) {
                auto const rule = e.op.partial_l(scalar<X>{r.a.v}, scalar<Y>{r.b.v});
                if constexpr (!is_zero<decltype(rule)>) {
                    sweep<G>(e.lhs, r.a, G(g * rule_value<G>(rule)), add);
                }
            }
            if constexpr (!std::is_same_v<leaves_t<decltype(e.rhs)>, type_list<>>) {
                auto const rule = e.op.partial_r(scalar<X>{r.a.v}, scalar<Y>{r.b.v});
                if constexpr (!is_zero<decltype(rule)>) {
                    sweep<G>(e.rhs, r.b, G(g * rule_value<G>(rule)), add);
                }
            }
        }
    } else {
        if (r.c.v) {
            sweep<G>(e.then_, r.a, g, add);
        } else {
            sweep<G>(e.else_, r.b, g, add);
        }
    }
}

/// The elementwise nodes of a root's entries in element type T, with repeats.
template <class T, class E>
struct root_region : region<T, E> {};
template <class T, class... Es>
struct root_region<T, stack_node<Es...>> {
    using type = concat_t<type_list<>, typename region<T, Es>::type...>;
};

/// The records of a root's entries: a stack's, one per expression, or the root's own; a node
/// that occurs in several places with the same value is computed once.
template <class T, class E>
auto record_entries(E const& e) {
    using all = typename root_region<T, E>::type;
    record_memo<typename repeated_entries<all>::type, all> memo;
    if constexpr (is_stack_node<E>) {
        return std::apply(
            [&](auto const&... a) { return std::tuple{record_values<T>(a, memo)...}; }, e.args);
    } else {
        return std::tuple{record_values<T>(e, memo)};
    }
}

/// Calls f(k, entry, record) for each entry k of the root `e` and its record.
template <class E, class Records, class F>
void for_each_entry(E const& e, Records const& records, F&& f) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        if constexpr (is_stack_node<E>) {
            (f(K, std::get<K>(e.args), std::get<K>(records)), ...);
        } else {
            (f(K, e, std::get<K>(records)), ...);
        }
    }
    (std::make_index_sequence<std::tuple_size_v<Records>>{});
}

/// Where the sweep adds what reaches an element of leaf L_j: dst[j], a row-major block of the
/// leaf's size. An element of a leaf not among L... (a captured one) is not differentiated.
template <class V, class... L>
struct leaf_blocks {
    std::array<V*, sizeof...(L)> dst{};

    template <class N>
    void operator()(N const& node, std::size_t flat, V g) {
        using Leaf = std::remove_cvref_t<decltype(leaf_of(node.arg))>;
        constexpr std::size_t j = leaf_index<Leaf>();
        if constexpr (j < sizeof...(L)) {
            dst[j][flat] += g;
        }
    }

    /// Where Leaf is among L... (sizeof...(L) if nowhere), by name.
    template <class Leaf>
    static constexpr std::size_t leaf_index() {
        std::size_t j = 0;
        for (bool const same : {(L::name == Leaf::name)...}) {
            if (same) {
                return j;
            }
            ++j;
        }
        return j;
    }
};

/// The entries' values, as evaluation writes them (a stack's along its first axis).
template <class V, class Records>
void write_entries(V* out, Records const& records) {
    std::apply(
        [&](auto const&... r) {
            std::size_t k = 0;
            ((out[k++] = static_cast<V>(r.v)), ...);
        },
        records);
}

/// The Jacobian of `y` (a root that sweeps<V, E>) with respect to the leaves `l...`: block j
/// (std::get<j>(jac): row-major, of shape y.shape + l_j.shape, an xarray or an xtensor_fixed)
/// has one row per entry of y, each one sweep of every entry (the row's entry seeded with 1, the
/// others with 0, as the adjoint pass seeds them: 0 times an infinite partial is NaN there too).
/// With `value`, y's value as well.
template <class V, class E, class Jac, class... L>
void sweep_jacobian(E const& y, Jac& jac, xt::xarray<V>* value, L const&... l) {
    auto const records = record_entries<V>(y);
    constexpr std::size_t m = std::tuple_size_v<decltype(records)>;
    if (value != nullptr) {
        write_entries(value->data(), records);
    }
    std::array<std::size_t, sizeof...(L)> const n{l.value().size()...};
    leaf_blocks<V, L...> add;
    for (std::size_t i = 0; i < m; ++i) {
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((add.dst[J] = std::get<J>(jac).data() + i * n[J], std::fill_n(add.dst[J], n[J], V(0))),
             ...);
        }
        (std::index_sequence_for<L...>{});
        for_each_entry(y, records, [&](std::size_t k, auto const& entry, auto const& r) {
            sweep<V>(entry, r, V(k == i ? 1 : 0), add);
        });
    }
}

/// Adds w^T J into add's blocks (zeroed by the caller), from y's records: w(k) is the seed of
/// y's entry k.
template <class V, class E, class Records, class W, class... L>
void sweep_seeds(E const& y, Records const& records, W const& w, leaf_blocks<V, L...>& add) {
    for_each_entry(y, records, [&](std::size_t k, auto const& entry, auto const& r) {
        sweep<V>(entry, r, static_cast<V>(w(k)), add);
    });
}

/// w^T J into `g`, one gradient per leaf l_j (of its shape), and y's value into `value` (of y's
/// shape) unless it is null, for a root that sweeps<V, E> or sweeps_duals<V, E>; w(k) is the
/// seed of y's entry k.
template <class V, class E, class W, class... L>
void sweep_vjp_into(std::array<xt::xarray<V>, sizeof...(L)>& g, E const& y, W const& w, V* value,
                    L const&... l) {
    auto const records = record_entries<V>(y);
    if (value != nullptr) {
        write_entries(value, records);
    }
    std::array<shape_t, sizeof...(L)> const shapes{l.shape()...};
    leaf_blocks<V, L...> add;
    for (std::size_t j = 0; j < sizeof...(L); ++j) {
        if (!std::equal(shapes[j].begin(), shapes[j].end(), g[j].shape().begin(),
                        g[j].shape().end())) {
            g[j].resize(shapes[j]);
        }
        std::fill(g[j].begin(), g[j].end(), V(0));
        add.dst[j] = g[j].data();
    }
    sweep_seeds(y, records, w, add);
}

/// y's value, an xt::xtensor_fixed of y's static shape, and w^T J, one gradient per leaf of the
/// leaf's own container type (fixed-size leaves: fixed-size gradients), for a root that sweeps<V,
/// E> or sweeps_duals<V, E>; w(k) is the seed of y's entry k. Nothing is allocated.
template <class V, class E, class W, class... L>
auto sweep_vjp_fixed(E const& y, W const& w, L const&...) {
    auto const records = record_entries<V>(y);
    std::pair<xt::xtensor_fixed<V, static_shape_t<E>>, std::tuple<typename L::container_type...>>
        out;
    write_entries(out.first.data(), records);
    leaf_blocks<V, L...> add;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
        ((std::get<J>(out.second).fill(V(0)), add.dst[J] = std::get<J>(out.second).data()), ...);
    }
    (std::index_sequence_for<L...>{});
    sweep_seeds(y, records, w, add);
    return out;
}

/// y's value into `value` (of y's shape) and w^T J, one gradient per leaf (sweep_vjp_into), for
/// `w` of y's shape (row-major, read in place).
template <class V, class E, class W, class... L>
std::array<xt::xarray<V>, sizeof...(L)> sweep_vjp(E const& y, W const& w, xt::xarray<V>& value,
                                                  L const&... l) {
    std::array<xt::xarray<V>, sizeof...(L)> g{xt::xarray<V>::from_shape(l.value().shape())...};
    sweep_vjp_into(
        g, y, [&](std::size_t k) { return w.data()[k]; }, value.data(), l...);
    return g;
}

} // namespace xtad::detail
