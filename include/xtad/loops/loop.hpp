// Defines xtad::fori_loop, while_loop, scan and cond: loops whose trip count or exit is known
// only at run time, and a branch chosen at run time, as nodes of the tree, differentiable in both
// modes, with checkpointing.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/eval/build.hpp"
#include "xtad/io/print.hpp"
#include "xtad/ops/tensor.hpp"
#include "xtad/reverse/grad.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

/// Which carries a loop keeps for its reverse pass. The reverse pass needs every carry, from the
/// last to the first; those not kept are computed again from the nearest kept one before it.
/// Only an evaluation for a gradient keeps them (one that an adjoint of the loop exists for):
/// `eval` and forward mode keep none.
struct checkpoint {
    /// Keep the carry of every k-th step (k = 0: k = ⌈√n⌉ for a loop of n steps).
    std::size_t every_k = 1;

    /// Every carry (the default): each step's body is evaluated once forward and once in the
    /// reverse pass; memory n carries.
    static constexpr checkpoint all() { return {1}; }
    /// The carry of every k-th step: memory n/k + k carries, one more evaluation of each step's
    /// body in the reverse pass (k ≥ 1).
    static constexpr checkpoint every(std::size_t k) { return {k == 0 ? 1 : k}; }
    /// k = ⌈√n⌉: memory 2√n carries, for a loop of n steps. (while_loop, whose n is not known
    /// in advance, thins what it keeps as it goes: every other kept carry goes when they
    /// outnumber 2k, and k doubles; about 3√n.)
    static constexpr checkpoint sqrt() { return {0}; }
};

/// The options of while_loop: a limit on its trip count (exceeding it is an xtad::error) and
/// which carries it keeps.
struct while_options {
    std::size_t max_steps = 1000000;
    checkpoint keep = checkpoint::all();
};

namespace detail {

// The carry of a loop is a leaf the loop owns, named "%c1" for a loop that no other encloses,
// "%c2" for one inside the body of a "%c1" loop, and so on ('%' is reserved, so no leaf of the
// user's has such a name). The name only has to differ from the carries of the enclosing loops
// that the body reads: those are the only other carries in the body's tree.

template <std::size_t D>
constexpr auto make_carry_name() {
    constexpr std::size_t n = decimal_digits(D);
    char s[n + 3]{};
    s[0] = reserved_name_prefix;
    s[1] = 'c';
    std::size_t d = D;
    for (std::size_t k = n + 1; k > 1; --k, d /= 10) {
        s[k] = static_cast<char>('0' + d % 10);
    }
    return fixed_string<n + 3>(s);
}

template <std::size_t D>
inline constexpr fixed_string<decimal_digits(D) + 3> carry_name = make_carry_name<D>();

/// The depth D of a carry leaf's name "%cD", 0 for any other name.
constexpr std::size_t carry_depth(std::string_view name) {
    if (name.size() < 3 || name[0] != reserved_name_prefix || name[1] != 'c') {
        return 0;
    }
    std::size_t d = 0;
    for (char c : name.substr(2)) {
        if (c < '0' || c > '9') {
            return 0;
        }
        d = 10 * d + static_cast<std::size_t>(c - '0');
    }
    return d;
}

template <class List>
constexpr std::size_t max_carry_depth = 0;
template <class... L>
constexpr std::size_t max_carry_depth<type_list<L...>> = std::max({std::size_t(0),
                                                                   carry_depth(L::name.view())...});

template <std::size_t D, class V>
using carry_leaf_t = leaf<carry_name<D>, type_tag<xt::xarray<V>>{}>;

/// What a body is given for its carry: a reference to the loop's carry leaf, so that a body
/// taking it by value (`auto x`) holds the same leaf.
template <std::size_t D, class V>
using carry_ref_t = leaf_ref<carry_leaf_t<D, V>>;

/// body(carry, i), or body(carry) for a body that takes no step index.
template <class Body, class C>
decltype(auto) call_body(Body const& body, C const& carry, std::size_t i) {
    if constexpr (std::is_invocable_v<Body const&, C const&, std::size_t>) {
        return body(carry, i);
    } else {
        return body(carry);
    }
}

template <class Body, class C>
constexpr bool valid_body =
    std::is_invocable_v<Body const&, C const&,
                        std::size_t> || std::is_invocable_v<Body const&, C const&>;

/// The next carry of a body's result, and scan's output of the step: a body returns the next
/// carry, or for scan a pair (next carry, output).
template <class R>
constexpr bool is_pair_result = false;
template <class A, class B>
constexpr bool is_pair_result<std::pair<A, B>> = true;
template <class A, class B>
constexpr bool is_pair_result<std::tuple<A, B>> = true;

template <class R>
auto const& next_of(R const& r) {
    if constexpr (is_pair_result<R>) {
        return std::get<0>(r);
    } else {
        return r;
    }
}

/// Calls f on the expressions of a body's result.
template <class R, class F>
void for_each_part(R const& r, F&& f) {
    if constexpr (is_pair_result<R>) {
        f(std::get<0>(r));
        f(std::get<1>(r));
    } else {
        f(r);
    }
}

template <class R>
struct result_leaves {
    using type = leaves_t<R>;
};
template <class R>
requires is_pair_result<R>
struct result_leaves<R> {
    using type =
        concat_t<leaves_t<std::tuple_element_t<0, R>>, leaves_t<std::tuple_element_t<1, R>>>;
};

template <class Body, class C>
using body_result_t = std::remove_cvref_t<decltype(call_body(
    std::declval<Body const&>(), std::declval<C const&>(), std::size_t{}))>;

/// The leaves of a body's tree other than its own carry, each once.
template <class List, fixed_string Carry>
struct without;
template <fixed_string Carry>
struct without<type_list<>, Carry> {
    using type = type_list<>;
};
template <class L, class... Ls, fixed_string Carry>
struct without<type_list<L, Ls...>, Carry> {
    using rest = typename without<type_list<Ls...>, Carry>::type;
    using type = std::conditional_t<L::name == Carry, rest, concat_t<type_list<L>, rest>>;
};

/// Whether two values are the same bit for bit (numbers and dual numbers; anything else never).
template <class T>
bool same_bits(T const& a, T const& b) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::memcmp(&a, &b, sizeof(T)) == 0;
    } else if constexpr (dual_like<T>) {
        if (!same_bits(a.val, b.val)) {
            return false;
        }
        for (std::size_t k = 0; k < a.eps.size(); ++k) {
            if (!same_bits(a.eps[k], b.eps[k]) || a.live[k] != b.live[k]) {
                return false;
            }
        }
        return true;
    } else {
        return false;
    }
}

template <class V>
bool same_tensor(xt::xarray<V> const& a, xt::xarray<V> const& b) {
    return std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(), b.shape().end())
           && std::equal(a.begin(), a.end(), b.begin(),
                         [](V const& x, V const& y) { return same_bits(x, y); });
}

/// The captured leaves L... in the expressions of a body's result `r` (C is the carry's leaf):
/// each a leaf of the user's, held by reference; a leaf the expression owns is an error.
template <fixed_string Name, class C, class R, class... L, class... Bodies>
std::tuple<L const*...> captured_in(R const& r, type_list<L...>, Bodies const&... bodies) {
    std::tuple<L const*...> found{};
    for_each_part(r, [&](auto const& part) {
        for_each_node(part, [](auto const& n) {
            using N = std::remove_cvref_t<decltype(n)>;
            if constexpr (is_leaf<N>) {
                if constexpr (!(N::name == C::name)) {
                    throw error("xtad::" + std::string(Name.view()) + ": the body's expression "
                                + "owns the leaf '" + std::string(N::name.view())
                                + "' (a leaf made in the body, or moved into it): capture leaves "
                                + "by reference, and use constants for values made per step");
                }
            }
        });
        ((std::get<L const*>(found) =
              std::get<L const*>(found) ? std::get<L const*>(found) : find_leaf<L>(part)),
         ...);
    });
    // A leaf captured by value is a copy inside the body, which gradients would not reach.
    auto const inside = [&](void const* p) {
        auto const* at = static_cast<char const*>(p);
        auto const in = [at](auto const& body) {
            auto const* begin = reinterpret_cast<char const*>(&body);
            return !std::less<char const*>{}(at, begin)
                   && std::less<char const*>{}(at, begin + sizeof(body));
        };
        return (in(bodies) || ...);
    };
    auto const check = [&]<class Leaf>(Leaf const* p) {
        if (inside(p)) {
            throw error("xtad::" + std::string(Name.view()) + ": the body captures the leaf '"
                        + std::string(Leaf::name.view())
                        + "' by value, a copy that gradients do not reach: capture leaves by "
                          "reference ([&] or [&"
                        + std::string(Leaf::name.view()) + "])");
        }
    };
    (check(std::get<L const*>(found)), ...);
    (void)check; // a body that captures no leaf
    return found;
}

/// Adds the gradients of `b` (seeded by `g` on b's shape `bs`) with respect to the carry's leaf
/// to `dcarry`, and with respect to each captured leaf to elements 1, 2, ... of `out`.
template <class V, class B, class G, class C, class... L, class Results>
void add_gradients(B const& b, G const& g, shape_t const& bs, C const& carry,
                   std::tuple<L const*...> const& captured, xt::xarray<V>& dcarry, Results& out) {
    xt::xarray<V> part;
    gradient_into(part, b, g, bs, &carry);
    dcarry += part;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
        ((gradient_into(part, b, g, bs, std::get<J>(captured)), std::get<J + 1>(out) += part), ...);
    }
    (std::index_sequence_for<L...>{});
}

/// Zeros of the shapes of the carry and of each captured leaf: a reverse pass's start.
template <class Results, class... L>
Results zero_results(shape_t const& carry, std::tuple<L const*...> const& captured) {
    Results out;
    using V = typename std::tuple_element_t<0, Results>::value_type;
    std::get<0>(out) = xt::zeros<V>(carry);
    [&]<std::size_t... J>(std::index_sequence<J...>) {
        ((std::get<J + 1>(out) = xt::zeros<V>(std::get<J>(captured)->shape())), ...);
    }
    (std::index_sequence_for<L...>{});
    return out;
}

/// The number under a (possibly nested) dual number.
template <class D>
auto primal_of(D const& d) {
    if constexpr (dual_like<D>) {
        return primal_of(d.val);
    } else {
        return d;
    }
}

/// A tensor's numbers without their tangents: what a loop's condition is given.
template <class V>
decltype(auto) primal_values(xt::xarray<V> const& x) {
    if constexpr (std::is_floating_point_v<V>) {
        return (x);
    } else {
        xt::xarray<primal_t<V>> p(x.shape());
        std::transform(x.begin(), x.end(), p.begin(), [](V const& d) { return primal_of(d); });
        return p;
    }
}

/// How many reverse passes (seeds) a loop keeps its results for, in one evaluation.
inline constexpr std::size_t kept_passes = 4;

/// A step bound given as a signed number (so that an int that went below 0 is not taken for a
/// huge size_t), checked: `what` of op `op`.
inline std::size_t step_count(char const* op, char const* what, std::ptrdiff_t v) {
    if (v < 0) {
        throw error(std::string("xtad::") + op + ": " + what + " is " + std::to_string(v)
                    + "; step indices are from 0 (a std::size_t)");
    }
    return static_cast<std::size_t>(v);
}

/// A for loop's exit: after hi − lo steps.
struct count_steps {};

/// Which seed a loop's reverse pass starts from: the adjoint of its last carry, or (scan) that of
/// its stacked outputs.
enum class loop_seed { carry, outputs };

/// What a loop keeps between its evaluation and its reverse pass, shared by every copy of the
/// loop's node and by the nodes of its adjoint. `Carry` is the carry's leaf, `Captured` the
/// leaves the body reads besides it; `Exit` is count_steps or while_loop's condition; a scan's
/// body (`Scan`) returns the next carry and an output, which are stacked.
template <fixed_string Name, class V, class Body, class Exit, class Carry, class Captured,
          bool Scan>
struct loop_state;

template <fixed_string Name, class V, class Body, class Exit, class Carry, class... L, bool Scan>
struct loop_state<Name, V, Body, Exit, Carry, type_list<L...>, Scan> {
    using results = std::tuple<xt::xarray<V>, std::conditional_t<true, xt::xarray<V>, L>...>;
    static constexpr bool counted = std::is_same_v<Exit, count_steps>;

    Body body;
    Exit exit;
    std::size_t lo = 0;
    std::size_t hi = 0;
    std::size_t max_steps = 0;
    checkpoint keep;
    Carry carry;
    // What the body is given: a reference to the carry, itself in the state, so that a body
    // may take it by value (a copy of the reference) or capture it by reference in a loop of
    // its own, which outlives the call.
    leaf_ref<Carry> const carry_ref;
    std::tuple<L const*...> captured;
    std::string grad_fn;
    shape_t out_shape;                // scan: the shape of one output
    std::function<void()> clear_body; // clears the caches of what the body captures
    // Alive while an adjoint of the loop exists: only then does an evaluation keep carries.
    std::weak_ptr<int> wanted;

    // Filled by each evaluation of the loop: the trip count, the kept carries (that of step
    // lo + j·every at j), scan's outputs, and the last reverse passes (their seeds and results).
    std::size_t steps = 0;
    std::size_t every = 1;
    std::vector<xt::xarray<V>> kept;
    xt::xarray<V> outputs;
    std::vector<std::tuple<loop_seed, xt::xarray<V>, results>> passes;

    loop_state(Body b, Exit e, Carry c)
        : body(std::move(b))
        , exit(std::move(e))
        , carry(std::move(c))
        , carry_ref(carry) {}

    auto step_body(std::size_t i) const { return call_body(body, carry_ref, i); }

    /// Frees what an evaluation kept for its reverse pass, and clears the caches of what the
    /// body captures; called where the tree's caches are cleared.
    void clear() {
        kept = {};
        outputs = {};
        passes = {};
        if (clear_body) {
            clear_body();
        }
    }

    /// A token that an adjoint of the loop holds: while one exists, evaluations keep carries.
    std::shared_ptr<int> want_reverse() {
        std::shared_ptr<int> token = wanted.lock();
        if (!token) {
            token = std::make_shared<int>(0);
            wanted = token;
        }
        return token;
    }

    void check_shape(shape_t const& s, shape_t const& want, char const* what, std::size_t i) const {
        if (s != want) {
            throw error("xtad::" + std::string(Name.view()) + ": at step " + std::to_string(i)
                        + " the body returned " + what + " of shape " + shape_str(s)
                        + " where the first step's is " + shape_str(want)
                        + "; a loop's carry (and a scan's output) keeps its shape");
        }
    }

    /// Step i from the carry before it (in carry.value()): the next carry, and for a scan its
    /// output, written to row `row` of `outputs` when that is not null.
    xt::xarray<V> advance(std::size_t i, V* row) {
        auto const r = step_body(i);
        auto const& b = next_of(r);
        check_shape(b.shape(), carry.shape(), "a carry", i);
        xt::xarray<V> next = materialise<V, V>(b);
        if constexpr (Scan) {
            if (row) {
                auto const& o = std::get<1>(r);
                check_shape(o.shape(), out_shape, "an output", i);
                xt::xarray<V> const y = materialise<V, V>(o);
                std::copy(y.begin(), y.end(), row);
            }
        }
        return next;
    }

    bool go_on() {
        if constexpr (counted) {
            return steps < hi - lo;
        } else {
            if (!exit(primal_values(carry.value()))) {
                return false;
            }
            if (steps == max_steps) {
                throw error("xtad::while_loop: the condition still holds after max_steps = "
                            + std::to_string(max_steps)
                            + " steps; raise while_options::max_steps if the loop converges");
            }
            return true;
        }
    }

    /// The loop's last carry from its initial carry, keeping the carries the reverse pass will
    /// need (and a scan's outputs).
    xt::xarray<V> run(xt::xarray<V> const& init) {
        // On a throw (a carry of another shape, while_loop's max_steps), nothing stays kept.
        struct release {
            loop_state& s;
            int const pending = std::uncaught_exceptions();
            ~release() {
                if (std::uncaught_exceptions() > pending) {
                    s.kept = {};
                    s.outputs = {};
                }
            }
        } const on_throw{*this};
        passes.clear();
        kept.clear();
        steps = 0;
        // Without an adjoint to read them, only the first carry is kept (a reverse pass would
        // compute the others again). checkpoint::sqrt() is ⌈√n⌉ for a known trip count; for
        // while_loop's, the kept carries are thinned as they come: when they are more than
        // 2 every, every other one goes and every doubles, so that about 2√n are kept.
        bool const thin = !wanted.expired() && keep.every_k == 0 && !counted;
        if (wanted.expired()) {
            every = std::numeric_limits<std::size_t>::max();
        } else if (keep.every_k != 0) {
            every = keep.every_k;
        } else if (counted) {
            every = std::max<std::size_t>(
                1, static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(hi - lo)))));
        } else {
            every = 1;
        }
        std::size_t const out_size = size_of(out_shape);
        if constexpr (Scan) {
            shape_t s{hi - lo};
            s.insert(s.end(), out_shape.begin(), out_shape.end());
            outputs = xt::xarray<V>(s);
        }
        carry.value() = init;
        while (go_on()) {
            xt::xarray<V> next =
                advance(lo + steps, Scan ? outputs.data() + steps * out_size : nullptr);
            if (steps % every == 0) {
                kept.push_back(std::move(carry.value()));
                if (thin && kept.size() > 2 * every) {
                    for (std::size_t j = 1; 2 * j < kept.size(); ++j) {
                        kept[j] = std::move(kept[2 * j]);
                    }
                    kept.resize((kept.size() + 1) / 2);
                    every *= 2;
                }
            }
            carry.value() = std::move(next);
            ++steps;
        }
        return carry.value();
    }

    /// The reverse pass from `g`, the adjoint of the last carry or of the stacked outputs: the
    /// adjoint of the initial carry, then that of each captured leaf. The last few passes are
    /// kept, for the adjoints of the other operands and of the other leaves asked for, which
    /// come with the same seeds (one per path by which the loop reaches the loss).
    results const& reverse(loop_seed from, xt::xarray<V> const& g) {
        for (auto const& p : passes) {
            if (std::get<0>(p) == from && same_tensor(std::get<1>(p), g)) {
                return std::get<2>(p);
            }
        }
        results out = zero_results<results>(carry.shape(), captured);
        if (from == loop_seed::carry) {
            std::get<0>(out) = g;
        }
        std::size_t const out_size = size_of(out_shape);
        std::vector<xt::xarray<V>> segment;
        std::size_t const segments = steps == 0 ? 0 : (steps - 1) / every + 1;
        for (std::size_t s = segments; s-- > 0;) {
            std::size_t const first = s * every;
            std::size_t const len = std::min(every, steps - first);
            // The carries before steps first, ..., first + len − 1, from the one kept.
            segment.resize(len);
            segment[0] = kept[s];
            for (std::size_t t = 1; t < len; ++t) {
                carry.value() = segment[t - 1];
                segment[t] = advance(lo + first + t - 1, nullptr);
            }
            for (std::size_t t = len; t-- > 0;) {
                carry.value() = std::move(segment[t]);
                V const* row = nullptr;
                if (from == loop_seed::outputs) {
                    row = g.data() + (first + t) * out_size;
                }
                step_back(lo + first + t, row, out);
            }
        }
        if (passes.size() == kept_passes) {
            passes.erase(passes.begin());
        }
        passes.emplace_back(from, g, std::move(out));
        return std::get<2>(passes.back());
    }

    /// Adds the adjoints of the body at step i (the carry before it in carry.value()) to `out`,
    /// seeded by the adjoint of the next carry (std::get<0>(out), which becomes that of the carry
    /// before) and, for a scan, by `row`, the adjoint of the step's output.
    void step_back(std::size_t i, V const* row, results& out) {
        auto const r = step_body(i);
        shape_t const s = carry.shape();
        xt::xarray<V> before = xt::zeros<V>(s);
        add_gradients(next_of(r), xtad::ref(std::get<0>(out)), s, carry, captured, before, out);
        if constexpr (Scan) {
            if (row) {
                xt::xarray<V> const gy =
                    xt::adapt(row, size_of(out_shape), xt::no_ownership(), out_shape);
                add_gradients(std::get<1>(r), xtad::ref(gy), out_shape, carry, captured, before,
                              out);
            }
        }
        std::get<0>(out) = std::move(before);
    }
};

/// The loop as a tensor op: its operands are the initial carry and the leaves the body reads
/// (so that their gradients reach them), its value the last carry. It is evaluated on its own
/// element type, dual numbers included: forward mode runs the loop on dual numbers, as a loop
/// written by hand on them would.
template <fixed_string Name, class State>
struct loop_op : tensor_op<Name, "?"> {
    std::shared_ptr<State> state;
    void clear() const { state->clear(); }
    static constexpr bool on_duals = true;
    static constexpr std::size_t shown = 1;

    template <class... S>
    shape_t shape(shape_t const& init, S const&...) const {
        return init;
    }

    template <class T, class... U>
    xt::xarray<T> value(xt::xarray<T> const& init, U const&...) const {
        return state->run(init);
    }

    template <class G, class Y, class... A>
    auto vjp(G const& g, Y const& y, A const&... a) const;

    std::string_view grad_fn_name() const { return state->grad_fn; }
};

/// A scan's stacked outputs, read from the state its loop (operand 0) filled; the other operands
/// are the loop's, for their adjoints.
template <fixed_string Name, class State>
struct scan_outputs_op : tensor_op<Name, "StackBackward0"> {
    std::shared_ptr<State> state;
    void clear() const { state->clear(); }
    static constexpr bool on_duals = true;
    static constexpr std::size_t shown = 2;

    template <class... S>
    shape_t shape(shape_t const&, S const&...) const {
        shape_t s{state->hi - state->lo};
        s.insert(s.end(), state->out_shape.begin(), state->out_shape.end());
        return s;
    }

    template <class T, class... U>
    xt::xarray<T> value(xt::xarray<T> const&, U const&...) const {
        return state->outputs;
    }

    template <class G, class Y, class C, class... A>
    auto vjp(G const& g, Y const& y, C const&, A const&... a) const;
};

/// The adjoint of operand J of a loop (0: the initial carry, then the captured leaves), from the
/// adjoint of the loop's last carry or of its outputs (`From`): one reverse pass over the loop,
/// shared by the loop's operands. Its operands are that adjoint, the loop and operand J (for its
/// shape).
template <fixed_string Name, class State, std::size_t J, loop_seed From>
struct loop_adjoint_op : tensor_op<Name, "?"> {
    std::shared_ptr<State> state;
    std::shared_ptr<int> wants_carries = state->want_reverse();
    void clear() const { state->clear(); }
    static constexpr bool on_duals = true;
    static constexpr std::size_t shown = 1;

    shape_t shape(shape_t const&, shape_t const&, shape_t const& a) const { return a; }

    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& g, xt::xarray<T> const&, xt::xarray<T> const&) const {
        return std::get<J>(state->reverse(From, g));
    }

    template <class G, class Y, class... A>
    auto vjp(G const&, Y const&, A const&...) const {
        static_assert(always_false<G>,
                      "xtad: reverse mode over the reverse pass of a loop is not supported; take "
                      "second derivatives through loops by forward over reverse (hessian's "
                      "default route, hvp, jacfwd of grad)");
        return std::tuple<zero_t, zero_t, zero_t>{};
    }
};

/// The adjoints of the operands a... of a loop (or cond) node y, from g: one node each, which
/// all read one reverse pass.
template <loop_seed From, class State, class G, class Y, class... A>
auto loop_adjoints(std::shared_ptr<State> const& state, G const& g, Y const& y, A const&... a) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
        return std::tuple{
            make_tensor(loop_adjoint_op<"loop_vjp", State, J, From>{{}, state}, g, y, a)...};
    }
    (std::index_sequence_for<A...>{});
}

template <fixed_string Name, class State>
template <class G, class Y, class... A>
auto loop_op<Name, State>::vjp(G const& g, Y const& y, A const&... a) const {
    return loop_adjoints<loop_seed::carry>(state, g, y, a...);
}

template <fixed_string Name, class State>
template <class G, class Y, class C, class... A>
auto scan_outputs_op<Name, State>::vjp(G const& g, Y const& y, C const&, A const&... a) const {
    return std::tuple_cat(std::tuple<zero_t>{},
                          loop_adjoints<loop_seed::outputs>(state, g, y, a...));
}

template <fixed_string Name, bool Scan, class R0, class Exit, class Body, class I, class Make>
auto build_loop(Body body, Exit exit, I x0, std::size_t lo, std::size_t hi, std::size_t max_steps,
                checkpoint keep, Make const& make);

/// Builds the state of a loop of `body` from `init`, with the carry's leaf and the captured
/// leaves picked from the body's tree, and calls `make(state, x0, captured leaf_refs...)`.
template <fixed_string Name, bool Scan, class Exit, class Body, class Init, class Make>
auto make_loop(Body body, Exit exit, Init&& init, std::size_t lo, std::size_t hi,
               std::size_t max_steps, checkpoint keep, Make const& make) {
    auto x0 = as_node(std::forward<Init>(init));
    using C0 = carry_ref_t<0, value_t<decltype(x0)>>;
    // After a slip, one error and an expression of the same kind, so that no cascade follows.
    auto const failed = [&] {
        if constexpr (Scan) {
            return std::pair{x0, x0};
        } else {
            return x0;
        }
    };
    if constexpr (!valid_body<Body, C0>) {
        static_assert(always_false<Body>,
                      "xtad: a loop's body is called as body(carry, i) or body(carry), with the "
                      "carry an xtad expression and i a std::size_t");
        return failed();
    } else {
        using R0 = body_result_t<Body, C0>;
        using B0 = std::remove_cvref_t<decltype(next_of(std::declval<R0 const&>()))>;
        if constexpr (Scan && !is_pair_result<R0>) {
            static_assert(always_false<Body>, "xtad::scan: the body must return a pair (next "
                                              "carry, output) of xtad expressions");
            return failed();
        } else if constexpr (!Scan && is_pair_result<R0>) {
            static_assert(always_false<Body>, "xtad: a loop's body returns the next carry; a "
                                              "body that also returns an output per step is "
                                              "scan's");
            return failed();
        } else if constexpr (!Expression<B0>) {
            static_assert(always_false<Body>, "xtad: a loop's body must return an xtad "
                                              "expression of the carry (the next carry)");
            return failed();
        } else if constexpr (!list_has_leaf<typename result_leaves<R0>::type, carry_name<0>>) {
            static_assert(always_false<Body>,
                          "xtad: a loop's body does not read its carry; it is called as "
                          "body(carry, i), the carry first (JAX's fori_loop body is (i, carry))");
            return failed();
        } else {
            return build_loop<Name, Scan, R0>(std::move(body), std::move(exit), std::move(x0), lo,
                                              hi, max_steps, keep, make);
        }
    }
}

/// make_loop once the body is known to be well formed; R0 is its result on a carry of the
/// initial carry's element type.
template <fixed_string Name, bool Scan, class R0, class Exit, class Body, class I, class Make>
auto build_loop(Body body, Exit exit, I x0, std::size_t lo, std::size_t hi, std::size_t max_steps,
                checkpoint keep, Make const& make) {
    using B0 = std::remove_cvref_t<decltype(next_of(std::declval<R0 const&>()))>;
    // A body that reads a leaf of dual numbers makes the carry dual after one step: the carry
    // is of the body's element type.
    using V = value_t<B0>;
    constexpr std::size_t depth = max_carry_depth<typename result_leaves<R0>::type> + 1;
    using C = carry_leaf_t<depth, V>;
    using R = body_result_t<Body, leaf_ref<C>>;
    static_assert(
        std::is_same_v<value_t<std::remove_cvref_t<decltype(next_of(std::declval<R const&>()))>>,
                       V>,
        "xtad: a loop's body must return the carry's element type");
    using Captured = typename without<typename unique_names<typename result_leaves<R>::type>::type,
                                      C::name>::type;
    using State = loop_state<Name, V, Body, Exit, C, Captured, Scan>;

    shape_t const s = x0.shape();
    auto state = std::make_shared<State>(std::move(body), std::move(exit),
                                         C(xt::xarray<V>(xt::zeros<V>(s))));
    state->lo = lo;
    state->hi = hi;
    state->max_steps = max_steps;
    state->keep = keep;
    auto const r = state->step_body(lo);
    if (next_of(r).shape() != s) {
        throw error("xtad::" + std::string(Name.view()) + ": the body returns a carry of shape "
                    + shape_str(next_of(r).shape()) + " for a carry of shape " + shape_str(s)
                    + "; the carry must keep its shape");
    }
    if constexpr (Scan) {
        state->out_shape = std::get<1>(r).shape();
    }
    state->grad_fn = grad_fn_name(next_of(r));
    state->captured = captured_in<Name, C>(r, Captured{}, state->body);
    // What the body captures besides leaves (a sum, a product, another loop) is cleared with
    // the loop, so that it is computed again from the leaves' values of each evaluation.
    state->clear_body = [r] { for_each_part(r, [](auto const& part) { clear_caches(part); }); };
    return [&]<class... L>(type_list<L...>) {
        return make(state, std::move(x0), leaf_ref<L>(*std::get<L const*>(state->captured))...);
    }(Captured{});
}

/// A branch of cond, callable on its operand X, and returning an expression.
template <class F, class X>
constexpr bool is_branch = std::is_invocable_v<F const&, X const&>;
template <class F, class X>
constexpr bool branch_gives_expression = Expression<std::invoke_result_t<F const&, X const&>>;

/// What cond keeps: its branches, its operand as a leaf of its own (as a loop's carry), the leaves
/// the branches capture, and which branch the last evaluation took.
template <class V, class F, class G, class Pred, class Carry, class Captured>
struct cond_state;

template <class V, class F, class G, class Pred, class Carry, class... L>
struct cond_state<V, F, G, Pred, Carry, type_list<L...>> {
    using results = std::tuple<xt::xarray<V>, std::conditional_t<true, xt::xarray<V>, L>...>;

    F f;
    G g;
    Pred pred;
    Carry carry;
    leaf_ref<Carry> const carry_ref; // what the branches are given, as a loop's body
    std::tuple<L const*...> captured;
    shape_t out_shape;
    std::string grad_fn;
    bool taken = true;
    std::optional<std::pair<xt::xarray<V>, results>> last;

    std::function<void()> clear_body; // clears the caches of what the branches capture

    void clear() {
        last.reset();
        if (clear_body) {
            clear_body();
        }
    }

    /// cond keeps nothing for its reverse pass (its operand's value is its leaf's).
    std::shared_ptr<int> want_reverse() { return {}; }

    cond_state(F f_, G g_, Pred p, Carry c)
        : f(std::move(f_))
        , g(std::move(g_))
        , pred(std::move(p))
        , carry(std::move(c))
        , carry_ref(carry) {}

    template <class Branch>
    xt::xarray<V> value_of(Branch const& branch) const {
        auto const b = branch(carry_ref);
        if (b.shape() != out_shape) {
            throw error("xtad::cond: the branch taken returned shape " + shape_str(b.shape())
                        + " where it returned " + shape_str(out_shape) + " when cond was called");
        }
        return materialise<V, V>(b);
    }

    xt::xarray<V> run(xt::xarray<V> const& x) {
        last.reset();
        carry.value() = x;
        if constexpr (std::is_same_v<Pred, bool>) {
            taken = pred;
        } else {
            taken = pred(primal_values(carry.value()));
        }
        return taken ? value_of(f) : value_of(g);
    }

    results const& reverse(loop_seed, xt::xarray<V> const& seed) {
        if (last && same_tensor(last->first, seed)) {
            return last->second;
        }
        results out = zero_results<results>(carry.shape(), captured);
        auto const through = [&](auto const& branch) {
            add_gradients(branch(carry_ref), xtad::ref(seed), out_shape, carry, captured,
                          std::get<0>(out), out);
        };
        if (taken) {
            through(f);
        } else {
            through(g);
        }
        last.emplace(seed, std::move(out));
        return last->second;
    }
};

/// cond as a tensor op: its operands are its operand x and the leaves the branches capture, its
/// value that of the branch taken; like a loop, it is evaluated on its own element type.
template <class State>
struct cond_op : tensor_op<"cond", "?"> {
    std::shared_ptr<State> state;
    void clear() const { state->clear(); }
    static constexpr bool on_duals = true;
    static constexpr std::size_t shown = 1;

    template <class... S>
    shape_t shape(shape_t const&, S const&...) const {
        return state->out_shape;
    }

    template <class T, class... U>
    xt::xarray<T> value(xt::xarray<T> const& x, U const&...) const {
        return state->run(x);
    }

    template <class G, class Y, class... A>
    auto vjp(G const& g, Y const& y, A const&... a) const {
        return loop_adjoints<loop_seed::carry>(state, g, y, a...);
    }

    std::string_view grad_fn_name() const { return state->grad_fn; }
};

} // namespace detail

/// The carry after steps lo, lo + 1, ..., hi − 1 of `init ↦ body(carry, i)` (jax.lax.fori_loop,
/// with the carry first): `body` returns the next carry as an xtad expression of the carry and of
/// any leaves it captures, of the carry's shape. The result is an expression, usable anywhere;
/// gradients reach `init` and the captured leaves (reverse mode runs back over the steps),
/// forward mode carries tangents through them, and second derivatives are taken by forward over
/// reverse. The body may also take the carry alone. `keep` says which carries the reverse pass
/// keeps (checkpoint::all() by default).
///
/// The body is called again at every evaluation's every step, after fori_loop has returned:
/// capture leaves by reference and anything else (a local expression, a number) by value, or
/// make sure it outlives the loop. The body should only build an expression: calling eval,
/// grad or filter in it (which evaluate at once) is not supported.
template <class Body, class Init>
requires Operand<Init>
auto fori_loop(std::ptrdiff_t lo, std::ptrdiff_t hi, Body body, Init&& init,
               checkpoint keep = checkpoint::all()) {
    std::size_t const from = detail::step_count("fori_loop", "lo", lo);
    std::size_t const to = std::max(from, detail::step_count("fori_loop", "hi", hi));
    return detail::make_loop<"fori_loop", false>(
        std::move(body), detail::count_steps{}, std::forward<Init>(init), from, to, 0, keep,
        [](auto const& state, auto&& x0, auto&&... leaves) {
            using State = typename std::remove_cvref_t<decltype(state)>::element_type;
            return detail::make_tensor(detail::loop_op<"fori_loop", State>{{}, state},
                                       std::move(x0), std::move(leaves)...);
        });
}

/// The carry once `cond` fails, from `init` by steps `carry ↦ body(carry, i)` (i = 0, 1, ...):
/// `cond` receives the carry's value (a tensor of numbers, without tangents) before each step
/// and returns whether to take it. The trip count is that of the last evaluation; the reverse
/// pass runs back over those steps. More than `opts.max_steps` steps is an xtad::error.
template <class Cond, class Body, class Init>
requires Operand<Init>
auto while_loop(Cond cond, Body body, Init&& init, while_options opts = {}) {
    return detail::make_loop<"while_loop", false>(
        std::move(body), std::move(cond), std::forward<Init>(init), 0, 0, opts.max_steps, opts.keep,
        [](auto const& state, auto&& x0, auto&&... leaves) {
            using State = typename std::remove_cvref_t<decltype(state)>::element_type;
            return detail::make_tensor(detail::loop_op<"while_loop", State>{{}, state},
                                       std::move(x0), std::move(leaves)...);
        });
}

/// jax.lax.scan: n steps of `(carry, i) ↦ body(carry, i)`, where `body` returns a pair (next
/// carry, output) of xtad expressions; the result is a pair of expressions, the last carry and
/// the outputs stacked along a new first axis (shape (n, ...)), both differentiable as
/// fori_loop's.
template <class Body, class Init>
requires Operand<Init>
auto scan(Body body, Init&& init, std::ptrdiff_t n, checkpoint keep = checkpoint::all()) {
    return detail::make_loop<"scan", true>(
        std::move(body), detail::count_steps{}, std::forward<Init>(init), 0,
        detail::step_count("scan", "n", n), 0, keep,
        [](auto const& state, auto&& x0, auto&&... leaves) {
            using State = typename std::remove_cvref_t<decltype(state)>::element_type;
            auto last = detail::make_tensor(detail::loop_op<"scan", State>{{}, state},
                                            std::move(x0), std::move(leaves)...);
            auto outputs = std::apply(
                [&](auto const&... operands) {
                    return detail::make_tensor(
                        detail::scan_outputs_op<"scan_outputs", State>{{}, state}, last,
                        operands...);
                },
                last.operands);
            return std::pair{std::move(last), std::move(outputs)};
        });
}

/// The value of `f(x)` or of `g(x)` as `pred` says (jax.lax.cond): `pred` is a bool, or a
/// function of x's value (a tensor of numbers, without tangents) returning one, asked at each
/// evaluation. Both branches are xtad expressions of x (and of leaves they capture) of one shape;
/// only the branch taken is evaluated and differentiated.
template <class Pred, class F, class G, class X>
requires Operand<X>
auto cond(Pred pred, F f, G g, X&& x) {
    auto x0 = detail::as_node(std::forward<X>(x));
    using C0 = detail::carry_ref_t<0, value_t<decltype(x0)>>;
    if constexpr (!detail::is_branch<F, C0> || !detail::is_branch<G, C0>) {
        static_assert(detail::always_false<F>,
                      "xtad::cond: each branch is called as branch(x), with x an xtad expression");
        return x0;
    } else if constexpr (!detail::branch_gives_expression<
                             F, C0> || !detail::branch_gives_expression<G, C0>) {
        static_assert(detail::always_false<F>,
                      "xtad::cond: each branch must return an xtad expression built from x");
        return x0;
    } else {
        using F0 = std::invoke_result_t<F const&, C0 const&>;
        using G0 = std::invoke_result_t<G const&, C0 const&>;
        using V = std::common_type_t<value_t<F0>, value_t<G0>>;
        constexpr std::size_t depth =
            std::max(detail::max_carry_depth<leaves_t<F0>>, detail::max_carry_depth<leaves_t<G0>>)
            + 1;
        using C = detail::carry_leaf_t<depth, V>;
        using FR = std::invoke_result_t<F const&, leaf_ref<C> const&>;
        using GR = std::invoke_result_t<G const&, leaf_ref<C> const&>;
        using Captured = typename detail::without<
            typename detail::unique_names<detail::concat_t<leaves_t<FR>, leaves_t<GR>>>::type,
            C::name>::type;
        using State = detail::cond_state<V, F, G, Pred, C, Captured>;
        shape_t const s = x0.shape();
        auto state = std::make_shared<State>(std::move(f), std::move(g), std::move(pred),
                                             C(xt::xarray<V>(xt::zeros<V>(s))));
        auto const fr = state->f(state->carry_ref);
        auto const gr = state->g(state->carry_ref);
        if (fr.shape() != gr.shape()) {
            throw error("xtad::cond: the branches return shapes " + shape_str(fr.shape()) + " and "
                        + shape_str(gr.shape()) + "; both must return one shape");
        }
        state->out_shape = fr.shape();
        if constexpr (std::is_same_v<Pred, bool>) {
            state->grad_fn = state->pred ? detail::grad_fn_name(fr) : detail::grad_fn_name(gr);
        } else {
            state->grad_fn = detail::grad_fn_name(fr);
        }
        state->captured =
            detail::captured_in<"cond", C>(std::pair{fr, gr}, Captured{}, state->f, state->g);
        state->clear_body = [fr, gr] {
            clear_caches(fr);
            clear_caches(gr);
        };
        return [&]<class... L>(detail::type_list<L...>) {
            return detail::make_tensor(detail::cond_op<State>{{}, state}, std::move(x0),
                                       leaf_ref<L>(*std::get<L const*>(state->captured))...);
        }(Captured{});
    }
}

} // namespace xtad
