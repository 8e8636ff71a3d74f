// Defines reverse mode for a tree of numbers: a function written element by element (`x(0)`,
// `x(1)`, constants and elementwise ops, at its root one such expression or a stack of them), as
// a solver's residual or a loss written term by term is. Such a tree needs no loop and no
// adjoint expression: its values are recorded once, in a struct that mirrors the tree, and each
// seed is swept from the root to the leaves, each op's partials evaluated on the recorded values
// by the rules forward mode evaluates them with. jacrev, vjp and value_and_grad take this path
// where it applies (functional/jacobian.hpp), and the adjoint pass (reverse/) everywhere else.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/forward/dual.hpp"
#include "xtad/reverse/grad.hpp"

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

/// The values of a tree of numbers, each node computed once (as evaluation binds it in element
/// type T: the same rules on the same operands, so the same numbers).
template <class T, class E>
auto record_values(E const& e) {
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
        auto a = record_values<T>(e.arg);
        auto const v = scalar_fn<typename E::op_type>{e.op}(a.v);
        return unary_record<std::remove_const_t<decltype(v)>, decltype(a)>{v, a};
    } else if constexpr (requires { e.lhs; }) {
        using Op = typename E::op_type;
        using U = operand_type_t<T, Op, std::remove_cvref_t<decltype(e.lhs)>,
                                 std::remove_cvref_t<decltype(e.rhs)>>;
        auto a = record_values<U>(e.lhs);
        auto b = record_values<U>(e.rhs);
        auto const v = scalar_fn<Op>{e.op}(a.v, b.v);
        return binary_record<std::remove_const_t<decltype(v)>, decltype(a), decltype(b)>{v, a, b};
    } else {
        auto c = record_values<T>(e.cond);
        auto a = record_values<T>(e.then_);
        auto b = record_values<T>(e.else_);
        auto const v = select_fn{}(c.v, a.v, b.v);
        return select_record<std::remove_const_t<decltype(v)>, decltype(c), decltype(a),
                             decltype(b)>{v, c, a, b};
    }
}

/// A partial derivative's value, of type G: the op's rule on the recorded operands. Where the
/// rule is the op itself on the same operand (d/dx exp(x) = exp(x)), the recorded value `self`.
template <class G, class Op, class X, class P, class S>
G partial_value(P const& rule, S const& self) {
    if constexpr (std::is_empty_v<Op> && std::is_same_v<P, unary<Op, scalar<X>>>) {
        return static_cast<G>(self);
    } else {
        return rule_value<G>(rule);
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

/// The records of a root's entries: a stack's, one per expression, or the root's own.
template <class T, class E>
auto record_entries(E const& e) {
    if constexpr (is_stack_node<E>) {
        return std::apply([](auto const&... a) { return std::tuple{record_values<T>(a)...}; },
                          e.args);
    } else {
        return std::tuple{record_values<T>(e)};
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

/// y's value into `value` (of y's shape) and w^T J, one gradient per leaf l_j (of its shape),
/// for a root that sweeps<V, E> and `w` of y's shape (row-major, read in place).
template <class V, class E, class W, class... L>
std::array<xt::xarray<V>, sizeof...(L)> sweep_vjp(E const& y, W const& w, xt::xarray<V>& value,
                                                  L const&... l) {
    auto const records = record_entries<V>(y);
    write_entries(value.data(), records);
    std::array<xt::xarray<V>, sizeof...(L)> g{xt::xarray<V>::from_shape(l.value().shape())...};
    leaf_blocks<V, L...> add;
    for (std::size_t j = 0; j < sizeof...(L); ++j) {
        std::fill(g[j].begin(), g[j].end(), V(0));
        add.dst[j] = g[j].data();
    }
    for_each_entry(y, records, [&](std::size_t k, auto const& entry, auto const& r) {
        sweep<V>(entry, r, static_cast<V>(w.data()[k]), add);
    });
    return g;
}

} // namespace xtad::detail
