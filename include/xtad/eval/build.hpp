// Defines xtad::eval and the evaluator that turns a tree into one lazy xtensor expression.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

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

/// Evaluates `e` into a new tensor: one fused loop over the elementwise part of the tree,
/// after the materialised parts (reductions) have been computed once each.
template <Expression E>
xt::xarray<value_t<E>> eval(E const& e) {
    (void)e.shape(); // checks every shape, naming the op at fault
    clear_caches(e);
    xt::xarray<value_t<E>> out = build<value_t<E>>(e);
    clear_caches(e);
    return out;
}

/// Evaluates `e` into `out` (resized as needed) without allocating a new tensor.
template <Expression E, class C>
void eval_into(C& out, E const& e) {
    (void)e.shape();
    clear_caches(e);
    xt::noalias(out) = build<value_t<E>>(e);
    clear_caches(e);
}

} // namespace xtad
