// Defines xtad::eval and the evaluator that turns a tree into one fused loop (a kernel per node).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/anomaly.hpp"
#include "xtad/core/index.hpp"
#include "xtad/core/node.hpp"
#include "xtad/ops/slice.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#if XTAD_DETECT_ANOMALY
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>
#endif

namespace xtad {

namespace detail {

/// Whether an element type is a dual number (forward/dual.hpp): real, but not a built-in float.
template <class T>
constexpr bool is_dual_element = is_real<T>::value && !std::is_floating_point_v<T>;

template <class Op>
constexpr bool is_mask_op = requires {
    requires Op::is_mask;
};

/// The scalar rule of an op, as the functor of an xtensor function: its value on numbers; on
/// dual numbers its forward rule (forward_apply, which forward/dual.hpp defines from the op's
/// value and derivative rules; found by argument-dependent lookup), so that both modes take the
/// same derivative at every point: ties, NaN and the ends of a domain included.
template <class Op>
struct scalar_fn {
    Op op;
    template <class... T>
    auto operator()(T const&... x) const {
        if constexpr (!is_mask_op<Op> && (is_dual_element<T> || ...)) {
            return forward_apply(op, x...);
        } else {
            return op.value(x...);
        }
    }
};

/// `cond ? a : b` elementwise; unlike xt::where, for any element type (duals included).
struct select_fn {
    template <class A, class B>
    auto operator()(bool cond, A const& a, B const& b) const {
        using R = std::common_type_t<A, B>;
        return cond ? R(a) : R(b);
    }
};

} // namespace detail

// Evaluation. `kernel<T>(e, out, ctx)` binds the tree `e` to a loop over a tensor of shape `out`
// (which e's shape broadcasts to), T being the element type of the whole tree: the result has
// `at(i)`, the value of element i in row-major order. Elementwise nodes become one nest of small
// kernels evaluated element by element, one fused loop with no temporaries; the nodes that must
// be materialised (reductions, the adjoint's fits, stacks, concatenations) are computed when the
// loop is bound, once per evaluation, and read like leaves. A tensor is read at the loop's index
// when it has as many elements as the loop, as a single value when it has one, at i % size or
// i / size when it is broadcast along leading or trailing axes, and through a broadcast copy
// otherwise. Scalar constants take T's number type (double for T = dual<double>):
// a constant has no tangent, and forward mode knows it at compile time.
//
// Compared with a nest of lazy xtensor functions, each node instantiates one small struct and
// one function, and the materialised nodes' work (reducers, sum_to) is instantiated once per
// element type, on xt::xarray, not once per argument expression.

namespace detail {

/// The product of shape[begin, end).
inline std::size_t extent(shape_t const& shape, std::size_t begin, std::size_t end) {
    std::size_t n = 1;
    for (std::size_t d = begin; d < end; ++d) {
        n *= shape[d];
    }
    return n;
}

/// Copies `src`, of the shape `own`, broadcast to the shape `out`, into `dst` (row-major).
template <class W>
void broadcast_copy(W const* src, shape_t const& own, shape_t const& out, W* dst) {
    std::size_t const n = size_of(out);
    if (n == 0) {
        return;
    }
    if (std::size_t const m = size_of(own); m == 1 || m == n) { // one value, or all of them
        m == 1 ? std::fill_n(dst, n, src[0]) : std::copy_n(src, n, dst);
        return;
    }
    shape_t const strides = broadcast_strides(own, out);
    shape_t index(out.size(), 0);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
        dst[i] = src[offset];
        for (std::size_t d = out.size(); d-- > 0;) {
            if (++index[d] < out[d]) {
                offset += strides[d];
                break;
            }
            offset -= strides[d] * (out[d] - 1);
            index[d] = 0;
        }
    }
}

/// A tensor operand of a loop. Element i of the loop reads data[i * step]: step 1 for a tensor of
/// the loop's size, 0 for a single value; or, for a tensor broadcast along leading axes (a (n,)
/// row of a (m, n) loop), data[i % size], and along trailing axes (a (m, 1) column), data[i /
/// size]. The first two, by far the most common, take one predictable branch and no division.
/// `keep` owns a copy the kernel reads from, when one had to be made (a broadcast along axes
/// both before and after the tensor's own).
template <class W>
struct read_kernel {
    W const* data = nullptr;
    std::size_t step = 0;
    std::size_t size = 1; // for a broadcast along leading or trailing axes
    bool strided = true;  // step is all there is to it
    bool leading = false; // else: broadcast along leading axes (else trailing)
    std::shared_ptr<void const> keep{};

    W const& at(std::size_t i) const {
        if (strided) [[likely]] {
            return data[i * step];
        }
        return data[leading ? i % size : i / size];
    }
};

/// The row-major data `data` of shape `own` as an operand of a loop over `out`, which `own`
/// broadcasts to.
template <class W>
read_kernel<W> read_data(W const* data, shape_t const& own, shape_t const& out,
                         std::shared_ptr<void const> keep = {}) {
    std::size_t const n = size_of(out);
    std::size_t const m = size_of(own);
    if (n == 0) {
        return {};
    }
    if (m == n || m == 1) {
        // As many elements as the loop: only axes of size 1 differ, the order is the same.
        return {data, m == n ? std::size_t(1) : std::size_t(0), 1, true, false, std::move(keep)};
    }
    // The axes `own` covers (its size along them, not 1), aligned to the loop's trailing axes.
    std::size_t const lead = out.size() - own.size();
    std::size_t first = out.size();
    std::size_t last = 0;
    for (std::size_t d = 0; d < own.size(); ++d) {
        if (own[d] != 1) {
            first = std::min(first, lead + d);
            last = lead + d + 1;
        }
    }
    if (extent(out, first, last) == m) { // one block of the loop's axes, with no 1 inside
        if (last == out.size()) {
            return {data, 0, m, false, true, std::move(keep)};
        }
        if (first == 0) {
            return {data, 0, extent(out, last, out.size()), false, false, std::move(keep)};
        }
    }
    auto copy = std::make_shared<xt::xarray<W>>(out);
    broadcast_copy(data, own, out, copy->data());
    return {copy->data(), 1, 1, true, false, std::move(copy)};
}

/// Whether a tensor's elements are contiguous in row-major order, so that it is read in place.
template <class C>
constexpr bool row_major_contiguous =
    std::is_base_of_v<xt::xcontainer<C>, C>&& C::static_layout == xt::layout_type::row_major;

/// A container or any xtensor expression (a view, a tensor held by xtad::ref) as an operand of
/// a loop over `out`; what is not contiguous in row-major order is copied first.
template <class C>
auto read(C const& c, shape_t const& out) {
    using W = std::remove_cv_t<typename C::value_type>;
    if constexpr (row_major_contiguous<C>) {
        return read_data<W>(c.data(), to_shape(c.shape()), out);
    } else {
        auto copy = std::make_shared<xt::xarray<W> const>(c);
        return read_data<W>(copy->data(), to_shape(copy->shape()), out, copy);
    }
}

/// A number: the same value at every element.
template <class S>
struct constant_kernel {
    S value;
    S const& at(std::size_t) const { return value; }
};

/// One element of a tensor (a leaf's `x(i)`), read when the loop is bound, before the loop
/// writes anything (its result may be that very tensor: a solver's update in place).
template <class W>
struct element_kernel {
    W value;
    W const& at(std::size_t) const { return value; }
};

/// Whether a kernel is a built-in number, the same at every element (a scalar constant).
template <class K>
constexpr bool is_number_kernel = false;
template <class S>
constexpr bool is_number_kernel<constant_kernel<S>> = std::is_arithmetic_v<S>;

template <class Op, class K>
struct unary_kernel {
    scalar_fn<Op> f;
    K arg;
    auto at(std::size_t i) const { return f(arg.at(i)); }
};

template <class Op, class KL, class KR>
struct binary_kernel {
    scalar_fn<Op> f;
    KL lhs;
    KR rhs;
    auto at(std::size_t i) const { return f(lhs.at(i), rhs.at(i)); }
};

template <class KC, class KA, class KB>
struct select_kernel {
    KC cond;
    KA then_;
    KB else_;
    auto at(std::size_t i) const { return select_fn{}(cond.at(i), then_.at(i), else_.at(i)); }
};

/// The element type a binary op's operands are bound in: a comparison's numbers take the type
/// of what they are compared with, not bool.
template <class T, class Op, class L, class R>
using operand_type_t = std::conditional_t<
    Op::is_mask
        && !std::is_void_v<
            typename common_value<typename L::value_type, typename R::value_type>::type>,
    typename common_value<typename L::value_type, typename R::value_type>::type, T>;

// Every value once per element. An elementwise subtree that occurs more than once in one loop's
// tree (`t` in `t*t*t*t`, `u` in a diamond, `sin(x)` in the gradient of a chain of sins, where
// each partial repeats what the value computed) is bound to a memo: its value for element i is
// computed by the first reader and reused by the others, in registers, with no temporary array.
// Which node types occur twice is decided at compile time from the loop's tree; that two such
// nodes are the same value (the same leaves, equal constants) is checked when the loop is bound.

/// An elementwise node of type N bound in element type T.
template <class T, class N>
struct bound {
    using element = T;
    using node = N;
};

/// The elementwise nodes of a loop (unary, binary and select; the others are read as leaves),
/// each with the element type it is bound in, in a list with repeats.
template <class T, class E>
struct region {
    using type = type_list<>;
};
template <class T, class Op, class A>
struct region<T, unary<Op, A>> {
    using type = concat_t<type_list<bound<T, unary<Op, A>>>, typename region<T, A>::type>;
};
template <class T, class Op, class L, class R>
struct region<T, binary<Op, L, R>> {
    using U = operand_type_t<T, Op, L, R>;
    using type = concat_t<type_list<bound<T, binary<Op, L, R>>>, typename region<U, L>::type,
                          typename region<U, R>::type>;
};
template <class T, class C, class A, class B>
struct region<T, select<C, A, B>> {
    using type = concat_t<type_list<bound<T, select<C, A, B>>>, typename region<T, C>::type,
                          typename region<T, A>::type, typename region<T, B>::type>;
};

template <class X, class List>
constexpr std::size_t occurrences = 0;
template <class X, class... Ls>
constexpr std::size_t occurrences<X, type_list<Ls...>> = (std::size_t(0) + ...
                                                          + std::size_t(std::is_same_v<X, Ls>));

/// The entries of a list seen once and seen at least twice so far, as a left fold over the list
/// carries them (repeated_entries, below); an entry is passed as a list_entry (not a std type,
/// whose namespace would bring std's operator<< into every step's overload resolution).
template <class Once, class Twice>
struct repeat_count {};
template <class X>
struct list_entry {};
template <class... O, class... T, class X>
auto operator<<(repeat_count<type_list<O...>, type_list<T...>>, list_entry<X>) {
    if constexpr ((std::is_same_v<X, T> || ...)) {
        return repeat_count<type_list<O...>, type_list<T...>>{};
    } else if constexpr ((std::is_same_v<X, O> || ...)) {
        return repeat_count<type_list<O...>, type_list<T..., X>>{};
    } else {
        return repeat_count<type_list<O..., X>, type_list<T...>>{};
    }
}
template <class Count>
struct twice_of;
template <class Once, class Twice>
struct twice_of<repeat_count<Once, Twice>> {
    using type = Twice;
};

/// The entries of `List` that occur at least twice, each once. One pass, each step comparing the
/// entry with the distinct entries seen so far: a recursion over the list's tails, counting each
/// entry in the whole list, cost the compiler the square of the list's length in time and
/// memory (a sum of 30 terms: 265 MB).
template <class List>
struct repeated_entries;
template <class... X>
struct repeated_entries<type_list<X...>> {
    using type = typename twice_of<decltype((repeat_count<type_list<>, type_list<>>{}
                                             << ... << list_entry<X>{}))>::type;
};

template <class N>
constexpr bool is_static_constant = false;
template <long long Num, long long Den>
constexpr bool is_static_constant<static_constant<Num, Den>> = true;

template <class Op>
bool same_op(Op const& a, Op const& b) {
    if constexpr (std::is_empty_v<Op>) {
        return true;
    } else if constexpr (requires { a == b; }) {
        return a == b;
    } else {
        return false; // an op with state that cannot be compared: not shared
    }
}

/// Whether two nodes of one type compute the same value: the same leaves and tensor constants,
/// equal numbers, the same materialised values. Conservative: false where it cannot tell.
template <class N>
bool same_node(N const& a, N const& b) {
    if constexpr (is_leaf<N>) {
        return &a == &b;
    } else if constexpr (is_leaf_ref<N>) {
        return &a.get() == &b.get();
    } else if constexpr (is_static_constant<N>) {
        return true;
    } else if constexpr (requires {
                             a.logical;
                             a.target;
                         }) {
        // a fit: a copy (the same materialised value), or one built again on the same argument
        // (the same seed, summed down, in the adjoints of two leaves)
        return a.cache.identity() == b.cache.identity()
               || (a.logical == b.logical && a.target == b.target && same_node(a.arg, b.arg));
    } else if constexpr (requires { a.kept; }) {
        return a.kept == b.kept && same_node(a.arg, b.arg); // expand: a view of its argument
    } else if constexpr (requires { a.cache.identity(); }) {
        return a.cache.identity() == b.cache.identity(); // copies share a materialised value
    } else if constexpr (requires { a.held; }) {
        return a.held == b.held;
    } else if constexpr (requires { a.shape_; }) {
        return a.shape_ == b.shape_;
    } else if constexpr (requires { a.value; }) {
        return a.value == b.value;
    } else if constexpr (requires { a.lhs; }) {
        return same_op(a.op, b.op) && same_node(a.lhs, b.lhs) && same_node(a.rhs, b.rhs);
    } else if constexpr (requires { a.cond; }) {
        return same_node(a.cond, b.cond) && same_node(a.then_, b.then_)
               && same_node(a.else_, b.else_);
    } else if constexpr (requires {
                             a.op;
                             a.arg;
                         }) {
        return same_op(a.op, b.op) && same_node(a.arg, b.arg);
    } else {
        return false;
    }
}

/// How many values of a shared node its memo holds: a block of the loop, a power of two of at
/// most 64 elements and about 512 bytes.
template <class R>
inline constexpr std::size_t memo_block = std::bit_floor(std::clamp<std::size_t>(512 / sizeof(R), 1,
                                                                                 64));

/// The values of a shared node at elements [base, base + count) of a loop of n elements. Left
/// uninitialised until computed: a loop binds many, and fills only those it reads.
template <class R>
struct memo_state {
    std::size_t base = 0;
    std::size_t count = 0;
    std::size_t n = 0;
    union {
        R values[memo_block<R>]; // each made by fill (placement new): R is trivially destructible
    };
    memo_state() {} // NOLINT(modernize-use-equals-default): values stay uninitialised
};

/// A shared node: its kernel runs once per element, whichever of its readers asks first. A loop
/// going forward from 0 gets the values a block at a time (aligned to the block size, up to the
/// next multiple of it), computed in a loop of their own: the readers then read a buffer in
/// cache, and several loops over the same block (the gradient's terms, grad.hpp) find them there.
/// A read out of that order (an element alone, a reduction along a leading axis) computes that
/// element alone.
template <class K, class R>
struct memo_kernel {
    K k;
    memo_state<R>* state;

    R const& at(std::size_t i) const {
        std::size_t const off = i - state->base; // wraps around for i < base
        if (off < state->count) [[likely]] {
            return state->values[off];
        }
        return fill(i);
    }

    R const& fill(std::size_t i) const {
        constexpr std::size_t B = memo_block<R>;
        memo_state<R>& s = *state;
        bool const forward = i == s.base + s.count; // the next element (or the first, at 0)
        std::size_t const len = forward ? std::min(B - i % B, s.n - i) : 1;
        for (std::size_t j = 0; j < len; ++j) {
            ::new (static_cast<void*>(&s.values[j])) R(k.at(i + j));
        }
        s.base = i;
        s.count = len;
        return s.values[0];
    }
};

/// Binds `k`, the kernel of the node `e` in a loop of n elements, through the loop's memo when
/// the plan shares `e`'s type.
template <class T, class N, class Ctx, class K>
auto memoise(N const& e, Ctx& ctx, K k, std::size_t n) {
    if constexpr (Ctx::template shared<T, N>) {
        using R = std::remove_cvref_t<decltype(k.at(0))>;
        return memo_kernel<K, R>{std::move(k), ctx.template state<T, R>(e, n)};
    } else {
        return k;
    }
}

template <class B, std::size_t Count>
struct memo_slots;
template <class List, class Shared>
struct memo_storage;

/// The elementwise nodes a loop evaluates when those of `Shared` read a memo: each of them at
/// every occurrence, but its subtree at its first only (the others read the memo). A node that
/// repeats only inside a shared one needs no memo of its own. Seen threads the shared nodes met.
template <class T, class E, class Shared, class Seen>
struct walk {
    using list = type_list<>;
    using seen = Seen;
};
template <class Shared, class Seen, class... C>
struct walk_all {
    using list = type_list<>;
    using seen = Seen;
};
template <class Shared, class Seen, class T, class C, class... Cs>
struct walk_all<Shared, Seen, bound<T, C>, Cs...> {
    using head = walk<T, C, Shared, Seen>;
    using tail = walk_all<Shared, typename head::seen, Cs...>;
    using list = concat_t<typename head::list, typename tail::list>;
    using seen = typename tail::seen;
};
template <class B, class Shared, class Seen, class... C>
struct walk_node;
template <class T, class N, class Shared, class... Seen, class... C>
struct walk_node<bound<T, N>, Shared, type_list<Seen...>, C...> {
    static constexpr bool memo = occurrences<bound<T, N>, Shared> != 0;
    static constexpr bool again = memo && occurrences<bound<T, N>, type_list<Seen...>> != 0;
    using below = std::conditional_t<
        again, walk_all<Shared, type_list<Seen...>>,
        walk_all<Shared,
                 std::conditional_t<memo, type_list<Seen..., bound<T, N>>, type_list<Seen...>>,
                 C...>>;
    using list = concat_t<type_list<bound<T, N>>, typename below::list>;
    using seen = typename below::seen;
};
template <class T, class Op, class A, class Shared, class Seen>
struct walk<T, unary<Op, A>, Shared, Seen>
    : walk_node<bound<T, unary<Op, A>>, Shared, Seen, bound<T, A>> {};
template <class T, class Op, class L, class R, class Shared, class Seen>
struct walk<T, binary<Op, L, R>, Shared, Seen>
    : walk_node<bound<T, binary<Op, L, R>>, Shared, Seen, bound<operand_type_t<T, Op, L, R>, L>,
                bound<operand_type_t<T, Op, L, R>, R>> {};
template <class T, class C, class A, class B, class Shared, class Seen>
struct walk<T, select<C, A, B>, Shared, Seen>
    : walk_node<bound<T, select<C, A, B>>, Shared, Seen, bound<T, C>, bound<T, A>, bound<T, B>> {};

template <class Roots>
struct memo_plan;
/// Which nodes of a loop over the trees `Roots` (bound<T, E>...) read a memo: those evaluated
/// more than once (a shared subtree, once; the nodes inside it, only if they also occur
/// elsewhere), and how many slots each takes: one per occurrence, at most.
template <class... B>
struct memo_plan<type_list<B...>> {
    using all =
        concat_t<type_list<>, typename region<typename B::element, typename B::node>::type...>;
    using repeated = typename repeated_entries<all>::type;
    // Most loops repeat nothing: then there is nothing to walk.
    using shared = typename std::conditional_t<
        std::is_same_v<repeated, type_list<>>, std::type_identity<type_list<>>,
        repeated_entries<typename walk_all<repeated, type_list<>, B...>::list>>::type;
};

/// The memos of one loop over the trees `Roots` (a list of bound<T, E>): a slot per occurrence
/// of each node type the plan shares. It lives on the stack of the loop's caller and allocates
/// nothing.
template <class Roots>
struct memo_context {
    using plan = memo_plan<Roots>;
    using shared_list = typename plan::shared;
    template <class T, class N>
    static constexpr bool shared = occurrences<bound<T, N>, shared_list> != 0;

    typename memo_storage<typename plan::all, shared_list>::type storage{};

    template <class T, class R, class N>
    memo_state<R>* state(N const& e, std::size_t n) {
        return std::get<memo_slots<bound<T, N>, occurrences<bound<T, N>, typename plan::all>>>(
                   storage)
            .claim(e, n);
    }
};

/// The memo context of a loop over the tree E in element type T.
template <class T, class E>
using loop_context = memo_context<type_list<bound<T, E>>>;

/// A context for a kernel bound outside a loop (a constant, a value type): no memos.
using no_memos = memo_context<type_list<>>;

/// A function inlined wherever it is called, where the compiler has a way to say so.
#if defined(__GNUC__) || defined(__clang__)
#define XTAD_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define XTAD_ALWAYS_INLINE inline
#endif

/// Writes element i of the kernel `k` to dst[i], for i in [b, e): the fused loop.
template <class V, class K>
void run_into(V* dst, K const& k, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
        dst[i] = static_cast<V>(k.at(i));
    }
}

template <class V, class K>
void run_into(V* dst, K const& k, std::size_t n) {
    run_into(dst, k, 0, n);
}

/// Adds element i of the kernel `k` to dst[i], for i in [b, e): the fused loop of an
/// accumulation.
template <class V, class K>
void run_add(V* dst, K const& k, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
        dst[i] += static_cast<V>(k.at(i));
    }
}

template <class V, class K>
void run_add(V* dst, K const& k, std::size_t n) {
    run_add(dst, k, 0, n);
}

/// `total` plus elements [b, e) of the kernel `k`, added in order.
template <class V, class K>
V run_sum(V total, K const& k, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
        total += static_cast<V>(k.at(i));
    }
    return total;
}

} // namespace detail

template <class T, fixed_string N, auto Tag, class Ctx>
auto kernel(leaf<N, Tag> const& e, shape_t const& out, Ctx&) {
    return detail::read(e.value(), out);
}

template <class T, class L, class Ctx>
auto kernel(leaf_ref<L> const& e, shape_t const& out, Ctx&) {
    return detail::read(e.get().value(), out);
}

template <class T, long long Num, long long Den, class Ctx>
auto kernel(static_constant<Num, Den> const&, shape_t const&, Ctx&) {
    return detail::constant_kernel<primal_t<T>>{
        static_constant<Num, Den>::template value<primal_t<T>>()};
}

template <class T, class S, class Ctx>
auto kernel(scalar<S> const& e, shape_t const&, Ctx&) {
    return detail::constant_kernel<primal_t<T>>{static_cast<primal_t<T>>(e.value)};
}

template <class T, class Ctx>
auto kernel(ones const&, shape_t const&, Ctx&) {
    return detail::constant_kernel<T>{T(1)};
}

template <class T, auto Tag, bool Owned, class Ctx>
auto kernel(tensor_constant<Tag, Owned> const& e, shape_t const& out, Ctx&) {
    return detail::read(e.get(), out);
}

template <class T, class Op, class E, class Ctx>
auto kernel(unary<Op, E> const& e, shape_t const& out, Ctx& ctx) {
    using K = decltype(kernel<T>(e.arg, out, ctx));
    return detail::memoise<T>(e, ctx,
                              detail::unary_kernel<Op, K>{{e.op}, kernel<T>(e.arg, out, ctx)},
                              detail::size_of(out));
}

template <class T, class Op, class L, class R, class Ctx>
auto kernel(binary<Op, L, R> const& e, shape_t const& out, Ctx& ctx) {
    using U = detail::operand_type_t<T, Op, L, R>;
    using KL = decltype(kernel<U>(e.lhs, out, ctx));
    using KR = decltype(kernel<U>(e.rhs, out, ctx));
    return detail::memoise<T>(e, ctx,
                              detail::binary_kernel<Op, KL, KR>{
                                  {e.op}, kernel<U>(e.lhs, out, ctx), kernel<U>(e.rhs, out, ctx)},
                              detail::size_of(out));
}

template <class T, class C, class A, class B, class Ctx>
auto kernel(select<C, A, B> const& e, shape_t const& out, Ctx& ctx) {
    using KC = decltype(kernel<T>(e.cond, out, ctx));
    using KA = decltype(kernel<T>(e.then_, out, ctx));
    using KB = decltype(kernel<T>(e.else_, out, ctx));
    return detail::memoise<T>(e, ctx,
                              detail::select_kernel<KC, KA, KB>{kernel<T>(e.cond, out, ctx),
                                                                kernel<T>(e.then_, out, ctx),
                                                                kernel<T>(e.else_, out, ctx)},
                              detail::size_of(out));
}

/// An element of a leaf (`x(i)`) read in place: nothing is materialised or cached.
template <class T, std::size_t K, LeafLike E, class Ctx>
requires detail::row_major_contiguous<typename std::remove_cvref_t<decltype(detail::leaf_of(
    std::declval<E const&>()))>::container_type>
auto kernel(reduce<index_op<K>, E> const& e, shape_t const&, Ctx&) {
    auto const& c = detail::leaf_of(e.arg).value();
    using W = std::remove_cv_t<typename std::remove_cvref_t<decltype(c)>::value_type>;
    return detail::element_kernel<W>{c.data()[e.op.element_at(c.shape())]};
}

/// A materialised node (its value computed once per evaluation, into its cache slot) read as an
/// operand of a loop.
template <class T, class E, class Ctx>
requires requires(E const& e) {
    e.cache;
}
auto kernel(E const& e, shape_t const& out, Ctx&) {
    auto const& value = cached<T>(e);
    return detail::read_data(value.data(), detail::to_shape(value.shape()), out);
}

namespace detail {

/// A tensor op whose result is a view of its one operand's elements (a transpose, a slice, a
/// diagonal): its `layout` rule says where they are, given where the operand's are.
template <class Op>
constexpr bool is_view_op = requires(Op const& op, strided_layout const& l) {
    { op.layout(l) } -> std::same_as<std::optional<strided_layout>>;
};

template <class E>
constexpr bool is_tensor_constant = false;
template <auto Tag, bool Owned>
constexpr bool is_tensor_constant<tensor_constant<Tag, Owned>> = true;

/// Whether a loop finds the elements of E where they already are, with nothing computed for it:
/// a leaf or a tensor constant held in row-major order, a materialised node (computed once per
/// evaluation, whoever reads it), a view op of one of these.
template <class E>
constexpr bool in_place = requires(E const& e) {
    e.cache;
};
template <LeafLike E>
constexpr bool in_place<E> = row_major_contiguous<
    typename std::remove_cvref_t<decltype(leaf_of(std::declval<E const&>()))>::container_type>;
template <auto Tag, bool Owned>
constexpr bool in_place<tensor_constant<Tag, Owned>> = row_major_contiguous<
    std::remove_cvref_t<decltype(std::declval<tensor_constant<Tag, Owned> const&>().get())>>;

/// Elements of type W at `data`, laid out as `layout` says, of the shape `shape`.
template <class W>
struct strided_source {
    W const* data;
    strided_layout layout;
    shape_t shape;
};

/// Where the elements of `e`, in a tree of element type T, are found: in place for a leaf or a
/// constant, in the cache of a materialised node, and for a view op over one of these, where the
/// operand's are (layouts compose: a transpose of a slice of a leaf reads the leaf).
template <class T, class E>
auto source_of(E const& e) {
    if constexpr (LeafLike<E> || is_tensor_constant<E>) {
        auto const& c = [&]() -> auto const& {
            if constexpr (LeafLike<E>) {
                return leaf_of(e).value();
            } else {
                return e.get();
            }
        }
        ();
        using W = std::remove_cv_t<typename std::remove_cvref_t<decltype(c)>::value_type>;
        shape_t const s = to_shape(c.shape());
        return strided_source<W>{c.data(), strided_layout::row_major(s), s};
    } else {
        auto const& value = cached<T>(e); // what the generic kernel reads
        using W = typename std::remove_cvref_t<decltype(value)>::value_type;
        shape_t const s = to_shape(value.shape());
        return strided_source<W>{value.data(), strided_layout::row_major(s), s};
    }
}

template <class T, class Op, class A>
requires is_view_op<Op> && in_place<A>
auto source_of(tensor_node<Op, A> const& e) {
    using V = typename decltype(e.cache)::value_type;
    using S = decltype(source_of<T>(std::get<0>(e.operands)));
    if constexpr (std::is_same_v<S, strided_source<V>>) {
        S s = source_of<T>(std::get<0>(e.operands));
        shape_t own = e.shape(); // the op's checks, as its value would make them
        if (auto l = e.op.layout(s.layout)) {
            return S{s.data, std::move(*l), std::move(own)};
        }
    }
    auto const& value = cached<T>(e);
    shape_t const s = to_shape(value.shape());
    return strided_source<V>{value.data(), strided_layout::row_major(s), s};
}

/// Elements read through strides (a transposed or sliced tensor, in place) by a loop over a
/// shape they broadcast to. The loop goes forward, so the position of the next element is kept
/// and stepped (an odometer, no division; the last axis in plain members, the others only when
/// it wraps); a read out of order finds its position anew. Where the elements are in row-major
/// order after all (a slice of whole rows), they are read as a tensor.
template <class W>
struct strided_kernel {
    read_kernel<W> plain{};
    bool stepped = false;
    W const* data = nullptr;
    std::ptrdiff_t start = 0;
    shape_t extent;                        // the loop's axes, those of size 1 dropped, merged
    xt::svector<std::ptrdiff_t, 4> stride; // along each of them
    std::size_t last_extent = 1;           // the last axis's
    std::ptrdiff_t last_stride = 0;
    mutable shape_t index; // along the axes before the last
    mutable std::size_t last = 0;
    mutable std::ptrdiff_t offset = 0;
    mutable std::size_t next = 0;

    W const& at(std::size_t i) const {
        if (!stepped) {
            return plain.at(i);
        }
        if (i != next) [[unlikely]] {
            seek(i);
        }
        W const& v = data[offset];
        ++next;
        if (++last < last_extent) [[likely]] {
            offset += last_stride;
        } else {
            wrap();
        }
        return v;
    }

    void wrap() const {
        last = 0;
        offset -= last_stride * static_cast<std::ptrdiff_t>(last_extent - 1);
        for (std::size_t d = index.size(); d-- > 0;) {
            if (++index[d] < extent[d]) {
                offset += stride[d];
                return;
            }
            offset -= stride[d] * static_cast<std::ptrdiff_t>(extent[d] - 1);
            index[d] = 0;
        }
    }

    void seek(std::size_t i) const {
        next = i;
        last = i % last_extent;
        i /= last_extent;
        offset = start + static_cast<std::ptrdiff_t>(last) * last_stride;
        for (std::size_t d = index.size(); d-- > 0;) {
            index[d] = i % extent[d];
            i /= extent[d];
            offset += static_cast<std::ptrdiff_t>(index[d]) * stride[d];
        }
    }
};

/// The source `s` as an operand of a loop over `out`, which its shape broadcasts to.
template <class W>
strided_kernel<W> read_strided(strided_source<W> const& s, shape_t const& out) {
    strided_kernel<W> k;
    if (size_of(out) == 0) {
        return k;
    }
    if (s.layout.strides == strided_layout::row_major(s.shape).strides) {
        k.plain = read_data(s.data + s.layout.offset, s.shape, out);
        return k;
    }
    std::size_t const lead = out.size() - s.shape.size();
    for (std::size_t d = 0; d < out.size(); ++d) {
        if (out[d] == 1) {
            continue;
        }
        std::ptrdiff_t const step =
            d < lead || s.shape[d - lead] == 1 ? 0 : s.layout.strides[d - lead];
        if (!k.extent.empty() && k.stride.back() == step * static_cast<std::ptrdiff_t>(out[d])) {
            k.extent.back() *= out[d]; // continues the axis before it: one axis
            k.stride.back() = step;
        } else {
            k.extent.push_back(out[d]);
            k.stride.push_back(step);
        }
    }
    if (k.extent.empty()) { // one element, broadcast
        k.extent.push_back(1);
        k.stride.push_back(0);
    }
    k.stepped = true;
    k.data = s.data;
    k.start = s.layout.offset;
    k.offset = k.start;
    k.last_extent = k.extent.back();
    k.last_stride = k.stride.back();
    k.extent.pop_back();
    k.stride.pop_back();
    k.index.assign(k.extent.size(), 0);
    return k;
}

} // namespace detail

/// A view op (a transpose, a slice, a diagonal) read by a loop where its operand's elements are:
/// no copy. Its operand must be in place (a leaf, a constant, a materialised node); one that is
/// an elementwise expression, which each loop would compute again, leaves the view materialised
/// once per evaluation, as other tensor ops are.
template <class T, class Op, class E, class Ctx>
requires detail::is_view_op<Op> && detail::in_place<E>
auto kernel(tensor_node<Op, E> const& e, shape_t const& out, Ctx&) {
    return detail::read_strided(detail::source_of<T>(e), out);
}

/// A fit that sums nothing (its argument has the target's shape already, as the adjoint that a
/// tensor op gives an operand of its own shape) over an argument whose elements are somewhere
/// already: read there, not copied into a tensor of the fit's own.
template <class T, class E, class V, class Ctx>
requires detail::in_place<E>
auto kernel(fit<E, V> const& e, shape_t const& out, Ctx&) {
    using S = decltype(detail::source_of<T>(e.arg));
    if constexpr (std::is_same_v<S, detail::strided_source<V>>) {
        if (e.logical == e.target) {
            S s = detail::source_of<T>(e.arg);
            if (s.shape == e.target) {
                return detail::read_strided(s, out);
            }
        }
    }
    auto const& value = cached<T>(e);
    shape_t const s = detail::to_shape(value.shape());
    return detail::read_strided(
        detail::strided_source<V>{value.data(), strided_layout::row_major(s), s}, out);
}

namespace detail {

/// The element type of e's kernel: what evaluating e in a tree of element type T gives.
template <class T, class E>
using kernel_value_t =
    std::remove_cvref_t<decltype(kernel<T>(std::declval<E const&>(), shape_t{},
                                           std::declval<memo_context<type_list<>>&>())
                                     .at(0))>;

/// The memo slots of one shared node type: one per occurrence, at most.
template <class B, std::size_t Count>
struct memo_slots;
template <class T, class N, std::size_t Count>
struct memo_slots<bound<T, N>, Count> {
    using R = kernel_value_t<T, N>;
    static_assert(std::is_trivially_destructible_v<R>);
    std::array<N const*, Count> nodes{};
    std::array<memo_state<R>, Count> states;
    memo_slots() {} // NOLINT(modernize-use-equals-default): no zeroing of the states' values

    memo_state<R>* claim(N const& e, std::size_t n) {
        std::size_t k = 0;
        while (nodes[k] != nullptr && !same_node(*nodes[k], e)) {
            ++k; // a slot per occurrence: one is free or the same
        }
        if (nodes[k] == nullptr) {
            nodes[k] = &e;
            states[k].n = n;
        }
        return &states[k];
    }
};

template <class List, class Shared>
struct memo_storage;
template <class List, class... B>
struct memo_storage<List, type_list<B...>> {
    using type = std::tuple<memo_slots<B, occurrences<B, List>>...>;
};

/// The value of `e` as a new tensor of V, on e's own shape.
template <class V, class T, class E>
xt::xarray<V> materialise(E const& e) {
    shape_t const s = e.shape();
    xt::xarray<V> out(s);
    loop_context<T, E> ctx;
    run_into(out.data(), kernel<T>(e, s, ctx), out.size());
    return out;
}

/// The value of `e` held for a loop: a materialised node's own value, or a new tensor.
template <class T, class E>
auto held(E const& e) {
    using R = kernel_value_t<T, E>;
    if constexpr (requires { e.cache; }) {
        return std::pair<xt::xarray<R> const*, std::shared_ptr<void const>>{&cached<T>(e), {}};
    } else {
        auto own = std::make_shared<xt::xarray<R> const>(materialise<R, T>(e));
        return std::pair<xt::xarray<R> const*, std::shared_ptr<void const>>{own.get(), own};
    }
}

/// Row-major `outer` runs of `run` contiguous elements: copies run r of `src` to `dst + r *
/// stride` (placing a block into a larger tensor, or, with the roles swapped, reading it out).
template <class V>
void copy_runs(V const* src, std::size_t src_stride, V* dst, std::size_t dst_stride,
               std::size_t outer, std::size_t run) {
    for (std::size_t o = 0; o < outer; ++o) {
        std::copy_n(src + o * src_stride, run, dst + o * dst_stride);
    }
}

/// The sum of every element of `e` broadcast to `logical`, added as its loop makes them (in
/// row-major order, as xt::sum adds them): the adjoint of a number broadcast against a tensor (a
/// scale, a bias), with no tensor of the terms.
template <class V, class T, class E>
V sum_over(E const& e, shape_t const& logical) {
    loop_context<T, E> ctx;
    return run_sum(V(0), kernel<T>(e, logical, ctx), 0, size_of(logical));
}

/// Sums `x`, a value on the broadcast shape `logical`, down to `target`, the shape it was
/// broadcast from: the adjoint of broadcasting. Taking a materialised tensor keeps this one
/// instantiation per element type, however many expressions need it.
template <class V>
xt::xarray<V> sum_to(xt::xarray<V> const& x, shape_t const& logical, shape_t const& target) {
    if (x.size() == 0) {
        // Nothing to sum: zeros (a (0, 3) x times a (3,) y gives y the gradient 0, as torch).
        // xtensor 0.24's reducer would step a null pointer here (UBSan: pointer overflow).
        return xt::zeros<V>(target);
    }
    std::vector<std::size_t> axes;
    std::size_t const lead = logical.size() - target.size();
    for (std::size_t i = 0; i < logical.size(); ++i) {
        if (i < lead || (target[i - lead] == 1 && logical[i] != 1)) {
            axes.push_back(i);
        }
    }
    xt::xarray<V> out;
    if (axes.empty()) {
        out.resize(logical); // a broadcast only, nothing summed
        broadcast_copy(x.data(), to_shape(x.shape()), logical, out.data());
    } else {
        out = xt::sum(xt::broadcast(x, logical), axes);
    }
    out.reshape(target);
    return out;
}

} // namespace detail

template <class T, class Op, class E>
auto const& cached(reduce<Op, E> const& e) {
    return e.cache.get_or([&] {
        auto const in = e.arg.shape();
        if (!e.axes.all) {
            for (auto a : e.axes.list) {
                if (a >= in.size()) {
                    throw error("xtad::" + std::string(Op::name) + ": axis " + std::to_string(a)
                                + " is out of range for a tensor of shape "
                                + detail::shape_str(in));
                }
            }
        }
        using V = value_t<E>;
        if constexpr (requires { e.op.element_at(in); }) {
            // An op that reads one element (x(i)): that element alone is computed.
            std::size_t const at = e.op.element_at(in);
            detail::loop_context<T, E> ctx;
            return xt::xarray<V>(static_cast<V>(kernel<T>(e.arg, in, ctx).at(at)));
        } else if constexpr (requires {
                                 e.op.template compute_elements<V>([](std::size_t) { return V(); },
                                                                   in, e.axes);
                             }) {
            // A sum or a mean takes the elements from the kernel: no materialised argument.
            detail::loop_context<T, E> ctx;
            auto const k = kernel<T>(e.arg, in, ctx);
            return e.op.template compute_elements<V>([&](std::size_t i) { return k.at(i); }, in,
                                                     e.axes);
        } else {
            using R = detail::kernel_value_t<T, E>;
            return e.op.template compute<V>(detail::materialise<R, T>(e.arg), e.axes);
        }
    });
}

template <class T, class E, class V>
auto const& cached(fit<E, V> const& e) {
    return e.cache.get_or([&] {
        if (detail::size_of(e.target) == 1 && e.logical != e.target) {
            xt::xarray<V> one(e.target);
            one.flat(0) = detail::sum_over<V, T>(e.arg, e.logical);
            return one;
        }
        xt::xarray<V> x = detail::materialise<V, T>(e.arg);
        bool const as_is =
            e.logical == e.target
            && std::equal(x.shape().begin(), x.shape().end(), e.target.begin(), e.target.end());
        if (as_is) {
            return x; // nothing broadcast: the argument's value, not copied again
        }
        return detail::sum_to(x, e.logical, e.target);
    });
}

template <class T, class E, class Ctx>
auto kernel(expand<E> const& e, shape_t const& out, Ctx&) {
    auto const [value, keep] = detail::held<T>(e.arg);
    return detail::read_data(value->data(), e.kept, out, keep); // the same elements, reshaped
}

namespace detail {

/// Writes the stack `e`, of shape `shape` (its own), to dst: each part's loop runs straight into
/// its block, with no tensor of its own.
template <class T, class V, class... Es>
void write_stack(V* dst, stack_node<Es...> const& e, shape_t const& shape) {
    shape_t const part(shape.begin() + 1, shape.end());
    std::size_t const each = size_of(part);
    std::size_t k = 0;
    std::apply(
        [&](auto const&... a) {
            (
                [&](auto const& one) {
                    loop_context<T, std::remove_cvref_t<decltype(one)>> ctx;
                    run_into(dst + each * k++, kernel<T>(one, part, ctx), each);
                }(a),
                ...);
        },
        e.args);
}

} // namespace detail

template <class T, class... Es>
auto const& cached(stack_node<Es...> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        shape_t const shape = e.shape();
        xt::xarray<V> out(shape);
        detail::write_stack<T>(out.data(), e, shape);
        return out;
    });
}

template <class T, class E, class Ctx>
auto kernel(take<E> const& e, shape_t const& out, Ctx&) {
    auto const [value, keep] = detail::held<T>(e.arg);
    shape_t const own = e.shape();
    return detail::read_data(value->data() + e.k * detail::size_of(own), own, out, keep);
}

template <class T, class... Es>
auto const& cached(concat_node<Es...> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        shape_t const full = e.shape();
        xt::xarray<V> out(full);
        std::size_t const outer = detail::extent(full, 0, e.axis);
        std::size_t const inner = detail::extent(full, e.axis + 1, full.size());
        std::size_t begin = 0;
        std::apply(
            [&](auto const&... a) {
                (
                    [&](xt::xarray<V> const& part) {
                        std::size_t const run = part.shape()[e.axis] * inner;
                        detail::copy_runs(part.data(), run, out.data() + begin * inner,
                                          full[e.axis] * inner, outer, run);
                        begin += part.shape()[e.axis];
                    }(detail::materialise<V, T>(a)),
                    ...);
            },
            e.parts);
        return out;
    });
}

template <class T, class E, class Ctx>
auto kernel(slice_along<E> const& e, shape_t const& out, Ctx&) {
    auto const [value, keep] = detail::held<T>(e.arg);
    using R = typename std::remove_cvref_t<decltype(*value)>::value_type;
    shape_t const full = detail::to_shape(value->shape());
    shape_t const own = e.shape();
    std::size_t const outer = detail::extent(full, 0, e.axis);
    std::size_t const inner = detail::extent(full, e.axis + 1, full.size());
    auto part = std::make_shared<xt::xarray<R>>(own);
    std::size_t const run = (e.end - e.begin) * inner;
    detail::copy_runs(value->data() + e.begin * inner, full[e.axis] * inner, part->data(), run,
                      outer, run);
    return detail::read_data<R>(part->data(), own, out, part);
}

template <class T, class E, bool Squeezed>
auto const& cached(embed<E, Squeezed> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        xt::xarray<V> const part = detail::materialise<V, T>(e.arg);
        xt::xarray<V> out = xt::zeros<V>(e.full);
        shape_t sub = e.full;
        if constexpr (Squeezed) {
            sub.erase(sub.begin());
        } else {
            sub[e.axis] = e.end - e.begin;
        }
        xt::xarray<V> src(sub);
        detail::broadcast_copy(part.data(), detail::to_shape(part.shape()), sub, src.data());
        // Row-major: the slice is `outer` runs of `run` contiguous elements each.
        std::size_t const outer = detail::extent(e.full, 0, e.axis);
        std::size_t const inner = detail::extent(e.full, e.axis + 1, e.full.size());
        std::size_t const run = (e.end - e.begin) * inner;
        detail::copy_runs(src.data(), run, out.data() + e.begin * inner, e.full[e.axis] * inner,
                          outer, run);
        return out;
    });
}

namespace detail {

/// An operand of a tensor op as an `xt::xarray<V>`: the tensor it already is (a leaf, a tensor
/// constant, a materialised node of that element type), read in place, or its value in a new
/// one.
template <class V, class T, class E>
auto operand_value(E const& e) {
    using P = std::shared_ptr<xt::xarray<V> const>;
    auto const in_place = [](xt::xarray<V> const& x) { return P(P{}, &x); };
    if constexpr (is_leaf<E> && requires {
                      { e.value() } -> std::same_as<xt::xarray<V> const&>;
                  }) {
        return in_place(e.value());
    } else if constexpr (is_leaf_ref<E> && requires {
                             { e.get().value() } -> std::same_as<xt::xarray<V> const&>;
                         }) {
        return in_place(e.get().value());
    } else if constexpr (requires {
                             e.held;
                             { e.get() } -> std::same_as<xt::xarray<V> const&>;
                         }) {
        return in_place(e.get());
    } else if constexpr (requires { e.cache; } && std::is_same_v<kernel_value_t<T, E>, V>) {
        return in_place(cached<T>(e));
    } else {
        return P(std::make_shared<xt::xarray<V> const>(materialise<V, T>(e)));
    }
}

/// A tensor op's value on materialised operands: its value rule on numbers; on dual numbers its
/// forward rule (forward_tensor_apply, which forward/dual.hpp defines from the op's value and
/// jvp rules; found by argument-dependent lookup), which splits values from tangents. An op
/// that declares `on_duals` (a loop) is given the dual numbers themselves.
template <class V, class Op, class... A>
xt::xarray<V> tensor_value(Op const& op, A const&... a) {
    if constexpr (is_dual_element<V> && !requires { requires Op::on_duals; }) {
        return forward_tensor_apply(op, a...);
    } else {
        return op.value(a...);
    }
}

} // namespace detail

template <class T, class Op, class... Es>
auto const& cached(tensor_node<Op, Es...> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        shape_t const s = e.shape();
        xt::xarray<V> out = std::apply(
            [&](auto const&... a) {
                return detail::tensor_value<V>(e.op, *detail::operand_value<V, T>(a)...);
            },
            e.operands);
        if (!std::equal(out.shape().begin(), out.shape().end(), s.begin(), s.end())) {
            throw error("xtad::" + std::string(Op::name)
                        + ": the value rule gave a tensor of shape "
                        + detail::shape_str(detail::to_shape(out.shape()))
                        + " where the shape rule says " + detail::shape_str(s));
        }
        return out;
    });
}

namespace detail {

template <class E>
constexpr bool is_fit_node = false;
template <class E, class V>
constexpr bool is_fit_node<fit<E, V>> = true;

template <class E>
constexpr bool is_stack_node = false;
template <class... Es>
constexpr bool is_stack_node<stack_node<Es...>> = true;

/// Writes the value of `e` (element type T, of its own shape `shape`) to dst: one fused loop, or
/// for a stack at the root (a residual function's `stack(r0, r1, ...)`) one per part, straight
/// into the result.
template <class T, class V, class E>
void write(V* dst, E const& e, shape_t const& shape) {
    if constexpr (is_stack_node<E>) {
        write_stack<T>(dst, e, shape);
    } else {
        loop_context<T, E> ctx;
        run_into(dst, kernel<T>(e, shape, ctx), size_of(shape));
    }
}

/// Resizes `out` to `shape`; a fixed-size tensor of another shape (whose resize cannot change it)
/// is an error, not a write past its end. `op` names the public function, `what` the result.
template <class C>
void resize_to(C& out, shape_t const& shape, char const* op = "eval_into",
               char const* what = "the value") {
    out.resize(shape);
    if (!std::equal(out.shape().begin(), out.shape().end(), shape.begin(), shape.end())) {
        throw error(std::string("xtad::") + op + ": " + what + " has shape " + shape_str(shape)
                    + ", which a fixed-size tensor of shape " + shape_str(to_shape(out.shape()))
                    + " cannot hold");
    }
}

/// The memory a container holds, as bytes [lo, hi): what an overlap test compares.
struct byte_range {
    char const* lo = nullptr;
    char const* hi = nullptr;
};
template <class C>
byte_range bytes_of(C const& c) {
    return {reinterpret_cast<char const*>(c.data()),
            reinterpret_cast<char const*>(c.data() + c.size())};
}

/// Whether evaluating `e` reads any of the memory in `outs`: one of them is (or shares storage
/// with) one of its leaves or tensor constants. One walk of `e` for all of them; none when
/// every range is empty (a container about to be allocated).
template <class E, std::size_t K>
bool reads_any(E const& e, std::array<byte_range, K> const& outs) {
    if (std::all_of(outs.begin(), outs.end(), [](byte_range r) { return r.lo == r.hi; })) {
        return false;
    }
    bool hit = false;
    auto overlaps = [&](auto const& c) {
        if constexpr (std::is_base_of_v<xt::xcontainer<std::remove_cvref_t<decltype(c)>>,
                                        std::remove_cvref_t<decltype(c)>>) {
            byte_range const in = bytes_of(c);
            for (byte_range const out : outs) {
                hit = hit || (in.lo < out.hi && out.lo < in.hi);
            }
        } else {
            hit = true; // a view (held by xtad::ref) may reach anywhere in its tensor
        }
    };
    for_each_node(e, [&](auto const& n) {
        using N = std::remove_cvref_t<decltype(n)>;
        if constexpr (is_leaf<N> || is_leaf_ref<N>) {
            overlaps(leaf_of(n).value());
        } else if constexpr (requires { n.held; }) {
            overlaps(n.get());
        }
    });
    return hit;
}

/// Whether a loop over `e` reads a tensor at other elements than the one it writes: through a
/// view read in place (a transpose, a slice).
template <class E>
bool reads_elsewhere(E const& e) {
    bool found = false;
    for_each_node(e, [&](auto const& n) {
        using N = std::remove_cvref_t<decltype(n)>;
        if constexpr (requires { typename N::op_type; }) {
            found = found || is_view_op<typename N::op_type>;
        }
    });
    return found;
}

/// Whether evaluating `e` reads the memory of `out`.
template <class E, class C>
bool reads_from(E const& e, C const& out) {
    return reads_any(e, std::array<byte_range, 1>{bytes_of(out)});
}

/// Evaluates `e` (element type T) into `out`, resized to `shape`, `e`'s shape or one it
/// broadcasts to: in place for a row-major container, else through a new tensor. With
/// `Accumulate`, adds to out instead (out already has the shape).
template <class T, bool Accumulate = false, class C, class E>
void assign(C& out, E const& e, shape_t const& shape, char const* op = "eval_into",
            char const* what = "the value") {
    using V = typename C::value_type;
    if constexpr (is_fit_node<E> && row_major_contiguous<C>) {
        if (e.logical == e.target && e.target == shape && !reads_from(e.arg, out)) {
            // Nothing to sum down (a leaf's adjoint on the leaf's own shape): the argument's
            // loop writes to out directly, with no tensor of its own (unless out is memory the
            // argument reads, which is read whole first).
            assign<T, Accumulate>(out, e.arg, shape, op, what);
            return;
        }
    }
    if constexpr (row_major_contiguous<C>) {
        loop_context<T, E> ctx;
        auto const k = kernel<T>(e, shape, ctx);
        if constexpr (Accumulate) {
            run_add(out.data(), k, out.size());
        } else {
            resize_to(out, shape, op, what);
            run_into(out.data(), k, out.size());
        }
    } else {
        xt::xarray<V> value(shape);
        loop_context<T, E> ctx;
        run_into(value.data(), kernel<T>(e, shape, ctx), value.size());
        if constexpr (Accumulate) {
            out += value;
        } else {
            xt::noalias(out) = value;
        }
    }
}

} // namespace detail

#if XTAD_DETECT_ANOMALY
namespace detail {

// Anomaly mode (core/anomaly.hpp), forward half: where a NaN of a value came from. The tree is
// walked from the root down along one NaN element, each node's value materialised on its own
// (slow, and only when the switch is on and the result has a NaN), to the node that made it
// from inputs that are not NaN there.

/// The strided-view slices that pick [begin, end) along `axis` of a rank-`rank` tensor.
inline xt::xstrided_slice_vector along(std::size_t rank, std::size_t axis, std::size_t begin,
                                       std::size_t end) {
    xt::xstrided_slice_vector sv(rank, xt::all());
    sv[axis] = xt::range(begin, end);
    return sv;
}

/// The first NaN of `x`, as a flat index, or x.size() if there is none.
template <class X>
std::size_t first_nan(X const& x) {
    std::size_t i = 0;
    for (auto const& v : x) {
        if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(v)>>) {
            if (std::isnan(v)) {
                return i;
            }
        }
        ++i;
    }
    return i;
}

/// The multi-index of element `flat` of a row-major tensor of shape `s`.
inline shape_t unravel(std::size_t flat, shape_t const& s) {
    shape_t idx(s.size());
    for (std::size_t d = s.size(); d-- > 0;) {
        idx[d] = s[d] == 0 ? 0 : flat % s[d];
        flat = s[d] == 0 ? 0 : flat / s[d];
    }
    return idx;
}

/// The flat index, in a tensor of shape `s` broadcast to idx's rank, of the element that
/// broadcasting puts at `idx`.
inline std::size_t ravel_broadcast(shape_t const& idx, shape_t const& s) {
    std::size_t flat = 0;
    std::size_t const lead = idx.size() - s.size();
    for (std::size_t d = 0; d < s.size(); ++d) {
        flat = flat * s[d] + (s[d] == 1 ? 0 : idx[lead + d]);
    }
    return flat;
}

/// The last s.size() entries of `idx`: the index in an operand of shape `s` broadcast to idx.
inline shape_t tail_index(shape_t const& idx, shape_t const& s) {
    return shape_t(idx.end() - static_cast<std::ptrdiff_t>(s.size()), idx.end());
}

/// "leaf \"x\"" or "leaves \"x\", \"y\"": the leaves `E` depends on, for a message.
template <class E>
std::string leaf_names() {
    std::vector<std::string_view> names;
    [&]<class... L>(type_list<L...>) {
        ((std::find(names.begin(), names.end(), L::name.view()) == names.end()
              ? names.push_back(L::name.view())
              : void()),
         ...);
    }(leaves_t<E>{});
    if (names.empty()) {
        return "no leaf";
    }
    std::string out = names.size() == 1 ? "leaf " : "leaves ";
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += (i ? ", \"" : "\"") + std::string(names[i]) + "\"";
    }
    return out;
}

template <class V>
std::string number_str(V const& v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

/// unary and binary: an op applied element by element.
template <class E>
constexpr bool is_elementwise_node = requires(E const& e) {
    e.op;
    e.lhs;
}
|| (
    requires(E const& e) {
        e.op;
        e.arg;
    }
    && !requires(E const& e) { e.axes; });

/// The value of `e` for anomaly mode's walk, computed from its children's values (a tensor, or
/// a number for a scalar constant): an elementwise node as its op on materialised operands, so
/// that the code instantiated depends on the op, not on the subtree below it (instantiating a
/// fused loop per subtree would double the compile time of every eval and grad). Materialised
/// nodes give their cached value, which the evaluation being checked has just filled.
template <class T, class E>
auto value_of(E const& e) {
    using V = value_t<E>;
    if constexpr (is_elementwise_node<E>) {
        if constexpr (requires { e.lhs; }) {
            using operands = typename common_value<typename decltype(e.lhs)::value_type,
                                                   typename decltype(e.rhs)::value_type>::type;
            using U =
                std::conditional_t<E::op_type::is_mask && !std::is_void_v<operands>, operands, T>;
            return xt::xarray<V>(xt::make_lambda_xfunction(scalar_fn<typename E::op_type>{e.op},
                                                           value_of<U>(e.lhs), value_of<U>(e.rhs)));
        } else {
            return xt::xarray<V>(xt::make_lambda_xfunction(scalar_fn<typename E::op_type>{e.op},
                                                           value_of<T>(e.arg)));
        }
    } else if constexpr (requires { e.cond; }) {
        return xt::xarray<V>(xt::make_lambda_xfunction(select_fn{}, value_of<T>(e.cond),
                                                       value_of<T>(e.then_), value_of<T>(e.else_)));
    } else if constexpr (requires { e.k; }) {
        return xt::xarray<V>(xt::view(value_of<T>(e.arg), e.k));
    } else if constexpr (
        requires { e.begin; } && !requires { e.full; }) {
        return xt::xarray<V>(xt::strided_view(value_of<T>(e.arg),
                                              along(e.arg.shape().size(), e.axis, e.begin, e.end)));
    } else if constexpr (requires { e.kept; }) {
        xt::xarray<V> v = value_of<T>(e.arg);
        v.reshape(e.kept);
        return v;
    } else if constexpr (is_number_kernel<decltype(kernel<T>(e, std::declval<shape_t const&>(),
                                                             std::declval<no_memos&>()))>) {
        no_memos none;
        return kernel<T>(e, shape_t{}, none).value; // a scalar constant
    } else {
        // leaves, tensor constants, and the nodes materialised once per evaluation
        return materialise<V, T>(e);
    }
}

/// Whether `v` (a tensor, or a number) is NaN at the element that broadcasting puts at `idx`.
template <class X>
bool nan_at(X const& v, shape_t const& idx) {
    if constexpr (std::is_arithmetic_v<X>) {
        return std::isnan(static_cast<double>(v));
    } else {
        shape_t const s = to_shape(v.shape());
        return std::isnan(v.flat(ravel_broadcast(tail_index(idx, s), s)));
    }
}

template <class X>
std::string value_at(X const& v, shape_t const& idx) {
    if constexpr (std::is_arithmetic_v<X>) {
        return number_str(v);
    } else {
        shape_t const s = to_shape(v.shape());
        return number_str(v.flat(ravel_broadcast(tail_index(idx, s), s)));
    }
}

/// Follows the NaN at `idx` of `e`'s value down the tree and throws xtad::error naming the node
/// that made it: an op whose inputs are not NaN there, or a leaf or constant that holds it.
template <class T, class E>
[[noreturn]] void trace_nan(E const& e, shape_t const& idx) {
    std::size_t const at = ravel_broadcast(idx, e.shape());
    std::string const where = " at element " + std::to_string(at);
    // Child `c` of an elementwise node, at the element of `idx`: traced into if NaN there.
    auto const follow = [&](auto const& c, std::string& args) {
        using C = std::remove_cvref_t<decltype(c)>;
        if constexpr (std::is_floating_point_v<value_t<C>>) {
            auto const v = value_of<T>(c);
            args += (args.empty() ? "" : ", ") + value_at(v, idx);
            if (nan_at(v, idx)) {
                if constexpr (std::is_arithmetic_v<decltype(v)>) {
                    trace_nan<T>(c, shape_t{});
                } else {
                    trace_nan<T>(c, tail_index(idx, to_shape(v.shape())));
                }
            }
        }
    };
    // Child `c` of a node that is not elementwise: traced into at its first NaN, if any.
    auto const follow_any = [&](auto const& c) {
        using C = std::remove_cvref_t<decltype(c)>;
        if constexpr (std::is_floating_point_v<value_t<C>>) {
            auto const v = value_of<T>(c);
            if constexpr (std::is_arithmetic_v<decltype(v)>) {
                if (std::isnan(v)) {
                    trace_nan<T>(c, shape_t{});
                }
            } else {
                std::size_t const i = first_nan(v);
                if (i < v.size()) {
                    trace_nan<T>(c, unravel(i, to_shape(v.shape())));
                }
            }
        }
    };
    if constexpr (is_leaf<E> || is_leaf_ref<E>) {
        throw error("xtad: anomaly: leaf \"" + std::string(E::name.view()) + "\" holds NaN" + where
                    + " (an input, not made by an op)");
    } else if constexpr (requires { e.cond; }) {
        auto const c = value_of<T>(e.cond);
        std::string unused;
        if (c.flat(ravel_broadcast(tail_index(idx, to_shape(c.shape())), to_shape(c.shape())))) {
            follow(e.then_, unused);
        } else {
            follow(e.else_, unused);
        }
        throw error("xtad: anomaly: where made NaN" + where); // not reached: the branch has it
    } else if constexpr (requires { e.axes; }) {
        follow_any(e.arg);
        throw error("xtad: anomaly: the value of " + std::string(E::op_type::name) + " became NaN"
                    + where + ", from inputs that are not NaN (" + leaf_names<E>() + ")");
    } else if constexpr (is_elementwise_node<E>) {
        std::string args;
        if constexpr (requires { e.lhs; }) {
            follow(e.lhs, args);
            follow(e.rhs, args);
        } else {
            follow(e.arg, args);
        }
        throw error("xtad: anomaly: the value of " + std::string(E::op_type::name) + " became NaN"
                    + where + ", from inputs that are not NaN (" + args + "; " + leaf_names<E>()
                    + ")");
    } else if constexpr (requires { e.arg; }) {
        follow_any(e.arg);
        throw error("xtad: anomaly: NaN" + where + " of a view of " + leaf_names<E>());
    } else if constexpr (requires { e.args; }) {
        std::apply([&](auto const&... a) { (follow_any(a), ...); }, e.args);
        throw error("xtad: anomaly: NaN" + where + " of a stack of " + leaf_names<E>());
    } else if constexpr (requires { e.parts; }) {
        std::apply([&](auto const&... a) { (follow_any(a), ...); }, e.parts);
        throw error("xtad: anomaly: NaN" + where + " of a concatenation of " + leaf_names<E>());
    } else if constexpr (requires { e.operands; }) {
        std::apply([&](auto const&... a) { (follow_any(a), ...); }, e.operands);
        throw error("xtad: anomaly: the value of " + std::string(E::op_type::name) + " became NaN"
                    + where + ", from inputs that are not NaN (" + leaf_names<E>() + ")");
    } else {
        throw error("xtad: anomaly: a constant of the expression holds NaN" + where);
    }
}

/// Anomaly mode's check of `value`, the value of `e` just built (its caches still filled):
/// the first NaN in it is traced to where it was made.
template <class T, class E, class X>
void check_value(E const& e, X const& value) {
    if constexpr (std::is_floating_point_v<value_t<E>>) {
        std::size_t const i = first_nan(value);
        if (i < value.size()) {
            try {
                trace_nan<T>(e, unravel(i, to_shape(value.shape())));
            } catch (...) {
                clear_caches(e);
                throw;
            }
        }
    }
}

/// The value of `e`, checked as eval does in anomaly mode (for grad's entry points).
template <class E>
void check_forward(E const& e) {
    if constexpr (std::is_floating_point_v<value_t<E>>) { // dual values are not checked
        clear_caches(e);
        xt::xarray<value_t<E>> const value = materialise<value_t<E>, value_t<E>>(e);
        check_value<value_t<E>>(e, value);
        clear_caches(e);
    }
}

/// Clears e's caches at the end of a scope if `on`, thrown or not: anomaly mode throws from the
/// middle of a pass.
template <class E>
struct clear_caches_at_exit {
    E const& e;
    bool on;
    ~clear_caches_at_exit() {
        if (on) {
            clear_caches(e);
        }
    }
};

} // namespace detail

// eval and eval_into differ with XTAD_DETECT_ANOMALY: an inline namespace gives that setting
// functions of their own, as core/leaf.hpp does for lifetimes.
inline namespace anomaly_checked {
#endif

/// Evaluates `e` into a new tensor: one fused loop over the elementwise part of the tree,
/// after the materialised parts (reductions) have been computed once each. Where
/// XTAD_DETECT_ANOMALY is 1, in anomaly mode (detect_anomaly) a NaN in the result throws
/// xtad::error naming the op that made it.
template <Expression E>
xt::xarray<value_t<E>> eval(E const& e) {
    shape_t const shape = e.shape(); // checks every shape, naming the op at fault
    clear_caches(e);
    xt::xarray<value_t<E>> out(shape);
    detail::write<value_t<E>>(out.data(), e, shape);
#if XTAD_DETECT_ANOMALY
    if (anomaly_mode()) [[unlikely]] {
        detail::check_value<value_t<E>>(e, out);
    }
#endif
    clear_caches(e);
    return out;
}

/// Evaluates `e` into `out` (resized as needed) without allocating a new tensor; checked in
/// anomaly mode as eval.
template <Expression E, class C>
void eval_into(C& out, E const& e) {
    shape_t const shape = e.shape();
    clear_caches(e);
    if constexpr (detail::row_major_contiguous<C>) {
        if (detail::reads_from(e, out)) {
            if (detail::reads_elsewhere(e)
                || !std::equal(out.shape().begin(), out.shape().end(), shape.begin(),
                               shape.end())) {
                // The loop would read out's memory where it has already written (a transpose
                // or a slice of out read in place), or after resizing it: the value is made
                // whole first.
                xt::xarray<value_t<E>> value(shape);
                detail::write<value_t<E>>(value.data(), e, shape);
                detail::resize_to(out, shape);
                std::copy(value.begin(), value.end(), out.data());
            } else {
                // In place (`x = f(x)`): each element is read where it is written, before.
                detail::assign<value_t<E>>(out, e, shape);
            }
        } else {
            detail::resize_to(out, shape);
            detail::write<value_t<E>>(out.data(), e, shape);
        }
    } else {
        detail::assign<value_t<E>>(out, e, shape);
    }
#if XTAD_DETECT_ANOMALY
    if (anomaly_mode()) [[unlikely]] {
        detail::check_value<value_t<E>>(e, out);
    }
#endif
    clear_caches(e);
}

#if XTAD_DETECT_ANOMALY
} // inline namespace anomaly_checked
#endif

/// The elements of `e` where `mask` is true, as a vector in row-major order (torch's e[mask],
/// the notebook's A[A > 3]). The mask is an xtad mask (a comparison of expressions, `&`, `|`)
/// or a boolean tensor of e's shape; it has no gradient. The result's size is the number of
/// elements the mask selects when filter is called: an evaluation where it selects another
/// number throws xtad::error (build the expression again). It evaluates the mask, so it lives
/// with the evaluator (ops/slice.hpp has the op).
template <Expression E, class M>
requires Operand<M>
auto filter(E&& e, M&& mask) {
    auto a = detail::as_node(std::forward<E>(e));
    auto m = detail::as_node(std::forward<M>(mask));
    static_assert(std::is_same_v<typename decltype(m)::value_type, bool>,
                  "xtad::filter: the mask must be a comparison or a boolean tensor");
    // The mask's value now: how many elements the result has (make_tensor checks the shapes).
    xt::xarray<bool> const selected = eval(m);
    filter_op op;
    op.count = static_cast<std::size_t>(std::count(selected.begin(), selected.end(), true));
    return detail::make_tensor(std::move(op), std::move(a), std::move(m));
}

} // namespace xtad
