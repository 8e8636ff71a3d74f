// Defines the reductions sum, mean, prod and norm, over all elements or over axes.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/power.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace xtad {

namespace detail {

// xtensor 0.24's immediate reductions over a runtime list of axes compute a wrong result shape;
// its lazy reducers, assigned once, are right and visit each element once as well. On an empty
// input they step a null pointer backwards (undefined behaviour, which UBSan reports), so that
// case is answered here: the reduction of no elements is the reducer's identity.
template <class V, class X, class F>
xt::xarray<V> reduce_with(X&& x, axes_t const& axes, F&& reducer, V identity) {
    if (x.size() == 0) {
        return xt::xarray<V>(reduced_shape(to_shape(x.shape()), axes), identity);
    }
    if (axes.all) {
        return reducer(std::forward<X>(x));
    }
    return reducer(std::forward<X>(x), axes.list);
}

/// The forward rule of a reduction whose reverse rule is the seed times an elementwise partial
/// p (Op::partial, on x's shape): the value from x's values, and each tangent the sum over the
/// reduced axes of p times that tangent, an element without that tangent contributing nothing
/// (detail::has_tangent). The same p serves both modes, so they agree at every point (zeros,
/// NaN and infinities).
template <class Op, class V, class X>
xt::xarray<V> forward_reduce(X&& x, axes_t const& axes) {
    using W = typename V::value_type;
    xt::xarray<V> const v = std::forward<X>(x);
    xt::xarray<W> const vals = xt::make_lambda_xfunction([](V const& a) { return a.val; }, v);
    xt::xarray<W> const value = Op::template compute<W>(vals, axes);
    xt::xarray<W> const p = Op::template partial<W>(vals, value, axes);
    xt::xarray<V> out(value.shape());
    for (std::size_t i = 0; i < value.size(); ++i) {
        out.flat(i).val = value.flat(i);
    }
    auto const sum = [](auto&&... a) { return xt::sum(a...); };
    for (std::size_t k = 0; k < V::size; ++k) {
        auto const term = [k](V const& a, W const& pi) {
            return has_tangent(a, k) ? W(pi * a.eps[k]) : W{};
        };
        auto const has = [k](V const& a) -> std::size_t { return has_tangent(a, k); };
        xt::xarray<W> const t =
            reduce_with<W>(xt::make_lambda_xfunction(term, v, p), axes, sum, W(0));
        xt::xarray<std::size_t> const n =
            reduce_with<std::size_t>(xt::make_lambda_xfunction(has, v), axes, sum, 0);
        for (std::size_t i = 0; i < t.size(); ++i) {
            out.flat(i).eps[k] = t.flat(i);
            out.flat(i).live[k] = n.flat(i) > 0;
        }
    }
    return out;
}

/// The sum over `axes` of a tensor of shape `in` whose element i is `element(i)` (row-major),
/// without materialising the tensor: each element is added, in order, into its slice's sum.
/// For each sum the elements come in the order xtensor's reducer takes them, from a zero, so
/// the result is the same to the last bit.
template <class V, class F>
xt::xarray<V> sum_elements(F const& element, shape_t const& in, axes_t const& axes) {
    xt::xarray<V> out = xt::zeros<V>(reduced_shape(in, axes));
    std::size_t const n = size_of(in);
    if (n == 0) {
        return out;
    }
    V* const dst = out.data();
    if (axes.all) {
        for (std::size_t i = 0; i < n; ++i) {
            dst[0] += static_cast<V>(element(i));
        }
        return out;
    }
    shape_t const strides = broadcast_strides(kept_shape(in, axes), in);
    shape_t index(in.size(), 0);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
        dst[offset] += static_cast<V>(element(i));
        for (std::size_t d = in.size(); d-- > 0;) {
            if (++index[d] < in[d]) {
                offset += strides[d];
                break;
            }
            offset -= strides[d] * (in[d] - 1);
            index[d] = 0;
        }
    }
    return out;
}

} // namespace detail

/// The sum over all elements or over axes (torch.sum).
struct sum_op {
    static constexpr std::string_view name = "sum";
    static constexpr std::string_view grad_fn_all = "SumBackward0";
    static constexpr std::string_view grad_fn_axes = "SumBackward1";
    static shape_t result_shape(shape_t const& in, axes_t const& axes) {
        return detail::reduced_shape(in, axes);
    }
    // Forward rule: sum is linear, so its value on dual numbers, the sum of the tangents, is its
    // forward rule (no partial is formed, so no 0 * inf either).
    template <class V, class X>
    static xt::xarray<V> compute(X&& x, axes_t const& axes) {
        return detail::reduce_with<V>(
            std::forward<X>(x), axes, [](auto&&... a) { return xt::sum(a...); }, V(0));
    }
    // The same from element(i), the argument's elements, without materialising the argument.
    template <class V, class F>
    static xt::xarray<V> compute_elements(F const& element, shape_t const& in, axes_t const& axes) {
        return detail::sum_elements<V>(element, in, axes);
    }
    // d/dx_i sum(x) = 1: the seed, spread over the reduced axes
    template <class G, class Node>
    static auto vjp(G const& g, Node const&) {
        return g;
    }
};

/// The mean over all elements or over axes (torch.mean); NaN for an empty tensor, as torch.
struct mean_op {
    static constexpr std::string_view name = "mean";
    static constexpr std::string_view grad_fn_all = "MeanBackward0";
    static constexpr std::string_view grad_fn_axes = "MeanBackward1";
    static shape_t result_shape(shape_t const& in, axes_t const& axes) {
        return detail::reduced_shape(in, axes);
    }
    // Forward rule: linear too, the sum of the tangents over n; n is a number, not a dual, so a
    // NaN value does not reach the tangents.
    template <class V, class X>
    static xt::xarray<V> compute(X&& x, axes_t const& axes) {
        auto const n =
            static_cast<primal_t<V>>(detail::reduced_count(detail::to_shape(x.shape()), axes));
        xt::xarray<V> s = sum_op::compute<V>(std::forward<X>(x), axes);
        s /= n;
        return s;
    }
    template <class V, class F>
    static xt::xarray<V> compute_elements(F const& element, shape_t const& in, axes_t const& axes) {
        xt::xarray<V> s = detail::sum_elements<V>(element, in, axes);
        s /= static_cast<primal_t<V>>(detail::reduced_count(in, axes));
        return s;
    }
    // d/dx_i mean(x) = 1 / n
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node) {
        auto const n = detail::reduced_count(node.arg.shape(), node.axes);
        return detail::div(g, scalar<double>{static_cast<double>(n)});
    }
};

namespace detail {

/// Per reduced slice of x (on the kept shape): the product of its nonzero elements and its
/// number of zeros. prod's derivatives of every order are written with these, never by dividing
/// by an element that may be 0.
template <class V>
struct zero_split {
    xt::xarray<V> nonzero_prod;
    xt::xarray<std::size_t> zeros;
};

template <class V>
zero_split<V> split_zeros(xt::xarray<V> const& x, axes_t const& axes) {
    shape_t const kept = kept_shape(to_shape(x.shape()), axes);
    // Lambdas rather than xt::where, which selects only arithmetic types (not duals).
    zero_split<V> r{
        reduce_with<V>(
            xt::make_lambda_xfunction([](V const& a) { return a == V(0) ? V(1) : a; }, x), axes,
            [](auto&&... a) { return xt::prod(a...); }, V(1)),
        reduce_with<std::size_t>(
            xt::make_lambda_xfunction([](V const& a) -> std::size_t { return a == V(0); }, x), axes,
            [](auto&&... a) { return xt::sum(a...); }, 0)};
    r.nonzero_prod.reshape(kept);
    r.zeros.reshape(kept);
    return r;
}

/// prod_others of a tensor of numbers (see prod_others_op).
template <class V>
xt::xarray<V> prod_others_of(xt::xarray<V> const& v, axes_t const& axes) {
    auto const [nz_prod, zeros] = split_zeros(v, axes);
    // NaN and the infinities, the elements for which a - a is not 0 (this works for duals).
    auto const nonfinite = [](V const& a) -> std::size_t { return a - a != a - a; };
    xt::xarray<std::size_t> nonfinites = reduce_with<std::size_t>(
        xt::make_lambda_xfunction(nonfinite, v), axes, [](auto&&... a) { return xt::sum(a...); },
        0);
    nonfinites.reshape(zeros.shape());
    // No zero in the slice: prod / x_i (the product divided by the element, as torch, so that
    // an infinite element gets inf/inf = NaN). One zero: the product of the others at the zero;
    // elsewhere 0 times a product of the others, so NaN if one of them is NaN or infinite,
    // as torch. More zeros: 0 everywhere, as torch.
    return xt::make_lambda_xfunction(
        [nonfinite](std::size_t z, std::size_t nf, V const& a, V const& p) {
            if (z == 0) {
                return V(p / a);
            }
            if (z > 1) {
                return V(0);
            }
            if (a == V(0)) {
                return p;
            }
            return nf > nonfinite(a) ? V(std::numeric_limits<double>::quiet_NaN()) : V(0);
        },
        zeros, nonfinites, v, nz_prod);
}

/// The adjoint of prod_others at x for the seed g (see prod_others_vjp_op), given x's
/// split_zeros. `present` (forward mode's tangents of prod's gradient) is 1 where g_i is a
/// tangent that element has and 0 where it has none (detail::has_tangent): a sum of g over
/// elements none of which has one is no term, even beside a NaN product; without it every g_i
/// counts (an adjoint).
template <class V>
xt::xarray<V> prod_others_vjp_of(xt::xarray<V> const& x, xt::xarray<V> const& g, axes_t const& axes,
                                 zero_split<V> const& split,
                                 xt::xarray<std::size_t> const* present = nullptr) {
    auto const zero = [](V const& a) { return a == V(0); };
    auto const slice_sum = [&](auto&& e, auto init) {
        using R = decltype(init);
        xt::xarray<R> r = reduce_with<R>(
            std::forward<decltype(e)>(e), axes, [](auto&&... a) { return xt::sum(a...); }, init);
        r.reshape(split.zeros.shape());
        return r;
    };
    xt::xarray<std::size_t> const all =
        present ? xt::xarray<std::size_t>()
                : xt::xarray<std::size_t>(xt::ones<std::size_t>(x.shape()));
    xt::xarray<std::size_t> const& has = present ? *present : all;
    // Per slice: how many of its nonzero elements, and of its zeros, have a g.
    xt::xarray<std::size_t> const pn = slice_sum(
        xt::make_lambda_xfunction(
            [&](V const& a, std::size_t h) -> std::size_t { return zero(a) ? 0 : h; }, x, has),
        std::size_t(0));
    xt::xarray<std::size_t> const pz = slice_sum(
        xt::make_lambda_xfunction(
            [&](V const& a, std::size_t h) -> std::size_t { return zero(a) ? h : 0; }, x, has),
        std::size_t(0));
    // Per slice, besides q (the product of its nonzero elements) and its number of zeros: S the
    // sum of g_i / x_i over its nonzero elements, gz the sum of g over its zeros.
    xt::xarray<V> const S =
        slice_sum(xt::make_lambda_xfunction(
                      [&](V const& a, V const& gi) { return zero(a) ? V(0) : V(gi / a); }, x, g),
                  V(0));
    xt::xarray<V> const gz =
        slice_sum(xt::make_lambda_xfunction(
                      [&](V const& a, V const& gi) { return zero(a) ? gi : V(0); }, x, g),
                  V(0));
    // No zero: (q / x_j) (S - g_j / x_j). One zero: at it, q S; elsewhere g_zero q / x_j.
    // Two zeros: at each, the other's g times q; elsewhere 0. More: 0. A sum of no g is no term.
    return xt::make_lambda_xfunction(
        [&](std::size_t nz, V const& a, V const& gi, std::size_t hi, V const& qs, V const& Ss,
            V const& gzs, std::size_t pns, std::size_t pzs) {
            switch (nz) {
            case 0:
                return pns > 0 ? V(qs / a * (Ss - gi / a)) : V(0);
            case 1:
                if (zero(a)) {
                    return pns > 0 ? V(qs * Ss) : V(0);
                }
                return pzs > 0 ? V(gzs * qs / a) : V(0);
            case 2:
                return zero(a) && pzs > hi ? V((gzs - gi) * qs) : V(0);
            default:
                return V(0);
            }
        },
        split.zeros, x, g, has, split.nonzero_prod, S, gz, pn, pz);
}

} // namespace detail

/// For each element, the product of the other elements of its reduced slice: the derivative of
/// prod, computed without dividing by the element, so that zeros are exact.
struct prod_others_op {
    static constexpr std::string_view name = "prod_others";
    static constexpr std::string_view grad_fn_all = "";
    static constexpr std::string_view grad_fn_axes = "";
    static shape_t result_shape(shape_t const& in, axes_t const&) { return in; }
    template <class V, class X>
    static xt::xarray<V> compute(X&& x, axes_t const& axes) {
        xt::xarray<V> const v = std::forward<X>(x);
        if constexpr (detail::dual_like<V>) {
            // The tangents are the adjoint of prod_others along them: a zero whose tangent is not
            // zero is not a zero of the tangents, which the comparisons on values above miss.
            // (Exact at zeros for one level of duals: forward over reverse.)
            using W = typename V::value_type;
            xt::xarray<W> const vals =
                xt::make_lambda_xfunction([](V const& a) { return a.val; }, v);
            xt::xarray<W> const p = compute<W>(vals, axes);
            xt::xarray<V> out(v.shape());
            for (std::size_t i = 0; i < p.size(); ++i) {
                out.flat(i).val = p.flat(i);
            }
            auto const split = detail::split_zeros(vals, axes);
            for (std::size_t k = 0; k < V::size; ++k) {
                xt::xarray<W> const t =
                    xt::make_lambda_xfunction([k](V const& a) { return a.eps[k]; }, v);
                xt::xarray<std::size_t> const has = xt::make_lambda_xfunction(
                    [k](V const& a) -> std::size_t { return detail::has_tangent(a, k); }, v);
                xt::xarray<W> const dk = detail::prod_others_vjp_of<W>(vals, t, axes, split, &has);
                bool const any =
                    std::any_of(has.begin(), has.end(), [](std::size_t h) { return h > 0; });
                for (std::size_t i = 0; i < dk.size(); ++i) {
                    out.flat(i).eps[k] = dk.flat(i);
                    out.flat(i).live[k] = any;
                }
            }
            return out;
        } else {
            return detail::prod_others_of<V>(v, axes);
        }
    }
    // Its result has its argument's shape, so the adjoint pass hands vjp the seed as it is
    // (not expanded as a reduction's).
    static constexpr bool keeps_shape = true;
    // v_j = sum_i g_i d(prod_others_i)/dx_j = sum_{i != j} g_i prod_{k != i, j} x_k: the adjoint
    // of g and x stacked, computed by prod_others_vjp_op.
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node);
};

/// The adjoint of prod_others: given x and g stacked along a new first axis, for each element j
/// of x, the sum over the other elements i of its slice of g_i times the product of the elements
/// other than i and j. Exact at zeros (one, two or more in a slice) without dividing by one. Its
/// own derivative (a third derivative of prod by reverse mode alone) is not implemented.
struct prod_others_vjp_op {
    static constexpr std::string_view name = "prod_others_vjp";
    static constexpr std::string_view grad_fn_all = "";
    static constexpr std::string_view grad_fn_axes = "";
    static shape_t result_shape(shape_t const& in, axes_t const&) {
        return shape_t(in.begin() + 1, in.end());
    }
    template <class V, class X>
    static xt::xarray<V> compute(X&& stacked, axes_t const& axes) {
        xt::xarray<V> const s = std::forward<X>(stacked);
        xt::xarray<V> const x = xt::view(s, 0);
        return detail::prod_others_vjp_of<V>(x, xt::view(s, 1), axes, detail::split_zeros(x, axes));
    }
    template <class G, class Node>
    static auto vjp(G const&, Node const&) {
        static_assert(detail::always_false<G>,
                      "xtad::derivative: a third derivative of prod by reverse mode alone is not "
                      "implemented; take the last derivative with xtad::hessian, xtad::hvp or "
                      "dual numbers (forward mode)");
        return zero_t{};
    }
};

template <class G, class Node>
auto prod_others_op::vjp(G const& g, Node const& node) {
    using X = decltype(node.arg);
    return reduce<prod_others_vjp_op, stack_node<X, G>>{stack_node<X, G>{{node.arg, g}}, node.axes};
}

/// The product over all elements or over axes (torch.prod); its gradient is exact at zeros.
struct prod_op {
    static constexpr std::string_view name = "prod";
    static constexpr std::string_view grad_fn_all = "ProdBackward0";
    static constexpr std::string_view grad_fn_axes = "ProdBackward1";
    static shape_t result_shape(shape_t const& in, axes_t const& axes) {
        return detail::reduced_shape(in, axes);
    }
    template <class V, class X>
    static xt::xarray<V> compute(X&& x, axes_t const& axes) {
        if constexpr (detail::dual_like<V>) {
            return detail::forward_reduce<prod_op, V>(std::forward<X>(x), axes);
        } else {
            return detail::reduce_with<V>(
                std::forward<X>(x), axes, [](auto&&... a) { return xt::prod(a...); }, V(1));
        }
    }
    // d/dx_i prod(x) = prod_{j != i} x_j, computed without dividing (exact at zeros)
    template <class W>
    static xt::xarray<W> partial(xt::xarray<W> const& x, xt::xarray<W> const&, axes_t const& axes) {
        return prod_others_op::compute<W>(x, axes);
    }
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node) {
        return detail::mul(g, reduce<prod_others_op, decltype(node.arg)>{node.arg, node.axes});
    }
};

/// The Euclidean norm of all elements (torch.linalg.vector_norm); its gradient at the zero
/// tensor is 0, as torch defines it.
struct norm_op {
    static constexpr std::string_view name = "norm";
    static constexpr std::string_view grad_fn_all = "LinalgVectorNormBackward0";
    static constexpr std::string_view grad_fn_axes = "LinalgVectorNormBackward0";
    static shape_t result_shape(shape_t const& in, axes_t const& axes) {
        return detail::reduced_shape(in, axes);
    }
    template <class V, class X>
    static xt::xarray<V> compute(X&& x, axes_t const& axes) {
        if constexpr (detail::dual_like<V>) {
            return detail::forward_reduce<norm_op, V>(std::forward<X>(x), axes);
        } else {
            return xt::sqrt(detail::reduce_with<V>(
                xt::square(std::forward<X>(x)), axes, [](auto&&... a) { return xt::sum(a...); },
                V(0)));
        }
    }
    // d/dx_i |x| = x_i / |x|, and 0 at x = 0
    template <class W>
    static xt::xarray<W> partial(xt::xarray<W> const& x, xt::xarray<W> const& n,
                                 axes_t const& axes) {
        auto const kept = detail::kept_shape(detail::to_shape(x.shape()), axes);
        auto const nk = xt::reshape_view(n, kept);
        return xt::make_lambda_xfunction(
            [](W const& xi, W const& ni) { return ni == W(0) ? W(0) : W(xi / ni); }, x,
            xt::broadcast(nk, x.shape()));
    }
    template <class G, class Node>
    static auto vjp(G const& g, Node const& node) {
        expand<Node> const n{node, detail::kept_shape(node.arg.shape(), node.axes)};
        return where(eq(n, 0), zero_t{}, detail::div(detail::mul(g, node.arg), n));
    }
};

namespace detail {

template <class Op, class X>
auto make_reduce(X&& x, std::vector<std::ptrdiff_t> const* axes) {
    using E = node_t<X>;
    E arg = as_node(std::forward<X>(x));
    axes_t a = axes ? normalise_axes(*axes, arg.shape(), Op::name) : axes_t{};
    return reduce<Op, E>{std::move(arg), std::move(a)};
}

} // namespace detail

/// The sum of all elements (a 0-d result), or over the given axes (torch's dim; negative axes
/// count from the end).
template <Expression X>
auto sum(X&& x) {
    return detail::make_reduce<sum_op>(std::forward<X>(x), nullptr);
}
template <Expression X>
auto sum(X&& x, std::vector<std::ptrdiff_t> const& axes) {
    return detail::make_reduce<sum_op>(std::forward<X>(x), &axes);
}
template <Expression X>
auto mean(X&& x) {
    return detail::make_reduce<mean_op>(std::forward<X>(x), nullptr);
}
template <Expression X>
auto mean(X&& x, std::vector<std::ptrdiff_t> const& axes) {
    return detail::make_reduce<mean_op>(std::forward<X>(x), &axes);
}
template <Expression X>
auto prod(X&& x) {
    return detail::make_reduce<prod_op>(std::forward<X>(x), nullptr);
}
template <Expression X>
auto prod(X&& x, std::vector<std::ptrdiff_t> const& axes) {
    return detail::make_reduce<prod_op>(std::forward<X>(x), &axes);
}
/// The Euclidean norm of all elements, or along the given axes.
template <Expression X>
auto norm(X&& x) {
    return detail::make_reduce<norm_op>(std::forward<X>(x), nullptr);
}
template <Expression X>
auto norm(X&& x, std::vector<std::ptrdiff_t> const& axes) {
    return detail::make_reduce<norm_op>(std::forward<X>(x), &axes);
}

} // namespace xtad
