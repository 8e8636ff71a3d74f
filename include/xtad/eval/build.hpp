// Defines xtad::eval and the evaluator that turns a tree into one lazy xtensor expression.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/anomaly.hpp"
#include "xtad/core/node.hpp"

#include <algorithm>
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

/// The value of `x` (a built expression, or a number where the node is a constant) as a new
/// tensor of V.
template <class V, class X>
xt::xarray<V> materialise(X&& x) {
    if constexpr (std::is_arithmetic_v<std::remove_cvref_t<X>>) {
        return xt::xarray<V>(V(x));
    } else {
        return xt::xarray<V>(std::forward<X>(x));
    }
}

} // namespace detail

// `build<T>(e)` gives the xtensor expression that computes `e`, T being the element type of the
// whole tree; scalar constants take T's number type (double for T = dual<double>): a constant has
// no tangent, and forward mode knows it at compile time. Elementwise nodes become one nest of
// lazy xtensor functions; leaves and materialised values enter it by reference.

template <class T, fixed_string N, auto Tag>
auto const& build(leaf<N, Tag> const& e) {
    return e.value();
}

template <class T, class L>
auto const& build(leaf_ref<L> const& e) {
    return e.get().value();
}

template <class T, long long Num, long long Den>
primal_t<T> build(static_constant<Num, Den> const&) {
    return static_constant<Num, Den>::template value<primal_t<T>>();
}

template <class T, class S>
primal_t<T> build(scalar<S> const& e) {
    return static_cast<primal_t<T>>(e.value);
}

template <class T>
auto build(ones const& e) {
    return xt::broadcast(T(1), e.shape_);
}

template <class T, auto Tag, bool Owned>
auto const& build(tensor_constant<Tag, Owned> const& e) {
    return e.get();
}

template <class T, class Op, class E>
auto build(unary<Op, E> const& e) {
    return xt::make_lambda_xfunction(detail::scalar_fn<Op>{e.op}, build<T>(e.arg));
}

template <class T, class Op, class L, class R>
auto build(binary<Op, L, R> const& e) {
    // A comparison's numbers take the type of what they are compared with, not bool.
    using operands =
        typename detail::common_value<typename L::value_type, typename R::value_type>::type;
    using U = std::conditional_t<Op::is_mask && !std::is_void_v<operands>, operands, T>;
    return xt::make_lambda_xfunction(detail::scalar_fn<Op>{e.op}, build<U>(e.lhs), build<U>(e.rhs));
}

template <class T, class C, class A, class B>
auto build(select<C, A, B> const& e) {
    return xt::make_lambda_xfunction(detail::select_fn{}, build<T>(e.cond), build<T>(e.then_),
                                     build<T>(e.else_));
}

template <class T, class Op, class E>
auto const& build(reduce<Op, E> const& e) {
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
        return e.op.template compute<value_t<E>>(build<T>(e.arg), e.axes);
    });
}

namespace detail {

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
        out = xt::broadcast(x, logical);
    } else {
        out = xt::sum(xt::broadcast(x, logical), axes);
    }
    out.reshape(target);
    return out;
}

} // namespace detail

template <class T, class E, class V>
auto const& build(fit<E, V> const& e) {
    return e.cache.get_or([&] {
        xt::xarray<V> x = detail::materialise<V>(build<T>(e.arg));
        bool const as_is =
            e.logical == e.target
            && std::equal(x.shape().begin(), x.shape().end(), e.target.begin(), e.target.end());
        if (as_is) {
            return x; // nothing broadcast: the argument's value, not copied again
        }
        return detail::sum_to(x, e.logical, e.target);
    });
}

template <class T, class E>
auto build(expand<E> const& e) {
    return xt::reshape_view(build<T>(e.arg), e.kept);
}

template <class T, class... Es>
auto const& build(stack_node<Es...> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        xt::xarray<V> out(e.shape());
        std::size_t k = 0;
        std::apply([&](auto const&... a) { ((xt::view(out, k++) = build<T>(a)), ...); }, e.args);
        return out;
    });
}

template <class T, class E>
auto build(take<E> const& e) {
    return xt::view(build<T>(e.arg), e.k);
}

namespace detail {

/// The strided-view slices that pick [begin, end) along `axis` of a rank-`rank` tensor.
inline xt::xstrided_slice_vector along(std::size_t rank, std::size_t axis, std::size_t begin,
                                       std::size_t end) {
    xt::xstrided_slice_vector sv(rank, xt::all());
    sv[axis] = xt::range(begin, end);
    return sv;
}

} // namespace detail

template <class T, class... Es>
auto const& build(concat_node<Es...> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        // Each part is materialised first: assigning to a strided view of an xarray makes
        // xtensor 0.24 build a temporary of the wrong rank.
        return std::apply(
            [&](auto const&... a) {
                return xt::xarray<V>(
                    xt::concatenate(xt::xtuple(detail::materialise<V>(build<T>(a))...), e.axis));
            },
            e.parts);
    });
}

template <class T, class E>
auto build(slice_along<E> const& e) {
    auto const rank = e.arg.shape().size();
    return xt::strided_view(build<T>(e.arg), detail::along(rank, e.axis, e.begin, e.end));
}

template <class T, class E, bool Squeezed>
auto const& build(embed<E, Squeezed> const& e) {
    return e.cache.get_or([&] {
        using V = typename decltype(e.cache)::value_type;
        xt::xarray<V> const part = detail::materialise<V>(build<T>(e.arg));
        xt::xarray<V> out = xt::zeros<V>(e.full);
        shape_t sub = e.full;
        if constexpr (Squeezed) {
            sub.erase(sub.begin());
        } else {
            sub[e.axis] = e.end - e.begin;
        }
        xt::xarray<V> const src = xt::broadcast(part, sub);
        // Row-major: the slice is `outer` runs of `run` contiguous elements each.
        std::size_t outer = 1;
        std::size_t inner = 1;
        for (std::size_t d = 0; d < e.axis; ++d) {
            outer *= e.full[d];
        }
        for (std::size_t d = e.axis + 1; d < e.full.size(); ++d) {
            inner *= e.full[d];
        }
        std::size_t const run = (e.end - e.begin) * inner;
        for (std::size_t o = 0; o < outer; ++o) {
            std::copy_n(src.data() + o * run, run,
                        out.data() + (o * e.full[e.axis] + e.begin) * inner);
        }
        return out;
    });
}

#if XTAD_DETECT_ANOMALY
namespace detail {

// Anomaly mode (core/anomaly.hpp), forward half: where a NaN of a value came from. The tree is
// walked from the root down along one NaN element, each node's value materialised on its own
// (slow, and only when the switch is on and the result has a NaN), to the node that made it
// from inputs that are not NaN there.

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
    } else if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(build<T>(e))>>) {
        return build<T>(e); // a scalar constant
    } else {
        // leaves, tensor constants, and the nodes materialised once per evaluation
        return materialise<V>(build<T>(e));
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
        xt::xarray<value_t<E>> const value = build<value_t<E>>(e);
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
    (void)e.shape(); // checks every shape, naming the op at fault
    clear_caches(e);
    xt::xarray<value_t<E>> out = build<value_t<E>>(e);
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
    (void)e.shape();
    clear_caches(e);
    xt::noalias(out) = build<value_t<E>>(e);
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

} // namespace xtad
