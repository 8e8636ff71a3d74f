// Defines xtad::hessian and xtad::hvp: second derivatives by nesting the modes.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/functional/jacobian.hpp"
#include "xtad/reverse/derivative.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

namespace xtad {

/// How a second derivative is computed.
enum class route {
    /// The adjoint pass run on dual numbers: each pass gives N columns (H·v for N vectors v).
    forward_over_reverse,
    /// The tree evaluated on dual<dual<T>>: each pass gives N entries of one row.
    forward_over_forward,
    /// The gradient as an expression (xtad::derivative), differentiated again in reverse mode:
    /// one pass per row.
    reverse_over_reverse,
};

namespace detail {

/// f(x) for the leaf `x`, checked to be one element (a Hessian is of a scalar function).
template <class F, class L>
auto scalar_call(F const& f, L const& x, char const* op) {
    auto y = call_checked(f, x);
    shape_t const s = y.shape();
    if (size_of(s) != 1) {
        throw error(std::string("xtad::") + op + ": the function returns shape " + shape_str(s)
                    + "; a Hessian needs a one-element result (reduce it, e.g. with sum)");
    }
    return y;
}

/// Tangent width of the nested passes: 8 directions per pass.
inline constexpr std::size_t hessian_width = 8;

/// The values of the leaf that route R hands f.
template <route R, class F, class V>
using hessian_value_t =
    std::conditional_t<R == route::forward_over_reverse, tangent_t<F, V, hessian_width>,
                       std::conditional_t<R == route::forward_over_forward,
                                          tangent_t<F, tangent_t<F, V, hessian_width>, 1>, V>>;

template <std::size_t N, class V, class F, class X>
xt::xarray<V> hessian_fwd_rev(F const& f, X const& x0) {
    using D = dual<V, N, call_tag<F, V>>;
    auto x = var<"x0">(xt::xarray<D>(xt::cast<D>(x0)));
    auto const y = scalar_call(f, x, "hessian");
    std::size_t const n = x0.size();
    xt::xarray<V> h(jacobian_shape(x.shape(), x.shape()));
    xt::xarray<D> g;
    ones const seed{y.shape()};
    for (std::size_t j0 = 0; j0 < n; j0 += N) {
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(1);
        }
        grad_into_impl(std::tie(g), y, wrt(x), seed);
        // g = grad f(x + sum_k t_k e_{j0+k}): its tangent k is column j0 + k of H.
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
                h.flat(i * n + j0 + k) = g.flat(i).eps[k];
            }
        }
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(0);
        }
    }
    return h;
}

template <std::size_t N, class V, class F, class X>
xt::xarray<V> hessian_fwd_fwd(F const& f, X const& x0) {
    using D1 = dual<V, N, call_tag<F, V>>;
    using D = dual<D1, 1, call_tag<F, D1>>;
    auto x = var<"x0">(xt::xarray<D>(xt::cast<D>(x0)));
    auto const y = scalar_call(f, x, "hessian");
    std::size_t const n = x0.size();
    xt::xarray<V> h(jacobian_shape(x.shape(), x.shape()));
    xt::xarray<D> out;
    // H is symmetric: the rows are computed for the upper triangle and mirrored.
    for (std::size_t i = 0; i < n; ++i) {
        x.value().flat(i).eps[0].val = V(1);
        for (std::size_t j0 = i - i % N; j0 < n; j0 += N) {
            for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
                x.value().flat(j0 + k).val.eps[k] = V(1);
            }
            eval_into(out, y);
            for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
                if (j0 + k >= i) {
                    V const hij = out.flat(0).eps[0].eps[k];
                    h.flat(i * n + j0 + k) = hij;
                    h.flat((j0 + k) * n + i) = hij;
                }
                x.value().flat(j0 + k).val.eps[k] = V(0);
            }
        }
        x.value().flat(i).eps[0].val = V(0);
    }
    return h;
}

template <class V, class F, class X>
xt::xarray<V> hessian_rev_rev(F const& f, X const& x0) {
    auto const x = var<"x0">(xt::xarray<V>(x0));
    auto const y = scalar_call(f, x, "hessian");
    auto const g = derivative(y, wrt(x));
    std::size_t const n = x0.size();
    xt::xarray<V> h(jacobian_shape(x.shape(), x.shape()));
    xt::xarray<V> row;
    xt::xarray<V> seed = xt::zeros<V>(x.shape());
    for (std::size_t i = 0; i < n; ++i) {
        seed.flat(i) = V(1);
        grad_into_impl(std::tie(row), g, wrt(x), seed);
        std::copy(row.begin(), row.end(), h.begin() + static_cast<std::ptrdiff_t>(i * n));
        seed.flat(i) = V(0);
    }
    return h;
}

} // namespace detail

/// The Hessian of f at x: f takes one xtad expression and returns a one-element expression;
/// the result has shape x.shape + x.shape (torch.autograd.functional.hessian). By default
/// forward over reverse (ceil(n/8) adjoint passes on dual numbers); `hessian<route::...>`
/// picks another route, all three give the same numbers.
template <route R = route::forward_over_reverse, class F, class X>
requires detail::ExpressionFunction<F, detail::hessian_value_t<R, F, detail::point_value_t<X>>, X>
auto hessian(F const& f, at_t<X> const& p) {
    using V = detail::point_value_t<X>;
    auto const& x0 = std::get<0>(p.points);
    constexpr std::size_t N = detail::hessian_width;
    if constexpr (R == route::forward_over_reverse) {
        return detail::hessian_fwd_rev<N, V>(f, x0);
    } else if constexpr (R == route::forward_over_forward) {
        return detail::hessian_fwd_fwd<N, V>(f, x0);
    } else {
        return detail::hessian_rev_rev<V>(f, x0);
    }
}

/// hessian of a function that does not return an expression: a compile error that says so.
template <route R = route::forward_over_reverse, class F, class X>
auto hessian(F const&, at_t<X> const&) {
    using V = detail::point_value_t<X>;
    return detail::reject_function<xt::xarray<V>, F, detail::hessian_value_t<R, F, V>>(
        std::index_sequence<0>{});
}

/// The value of f at x and the Hessian-vector product H·v, in one adjoint pass on dual numbers
/// (torch.autograd.functional.hvp). f returns a one-element expression; v has x's shape.
template <class F, class X, class T>
requires detail::ExpressionFunction < F, detail::tangent_t < F, detail::point_value_t<X>,
1 >, X > auto hvp(F const& f, at_t<X> const& p, T const& v) {
    using V = detail::point_value_t<X>;
    using D = dual<V, 1, call_tag<F, V>>;
    auto const& x0 = std::get<0>(p.points);
    if (!std::equal(x0.shape().begin(), x0.shape().end(), v.shape().begin(), v.shape().end())) {
        throw error("xtad::hvp: the vector has shape " + detail::shape_str(v.shape())
                    + " but the input has shape " + detail::shape_str(x0.shape()));
    }
    xt::xarray<D> xd = xt::cast<D>(x0);
    for (std::size_t i = 0; i < xd.size(); ++i) {
        xd.flat(i).eps[0] = static_cast<V>(v.flat(i));
    }
    auto const x = var<"x0">(std::move(xd));
    auto const y = detail::scalar_call(f, x, "hvp");
    xt::xarray<D> const value_d = eval(y);
    auto [g] = grad(y, wrt(x), ones_like(y));
    xt::xarray<V> value(value_d.shape()), hv(g.shape());
    for (std::size_t i = 0; i < value_d.size(); ++i) {
        value.flat(i) = value_d.flat(i).val;
    }
    for (std::size_t i = 0; i < g.size(); ++i) {
        hv.flat(i) = g.flat(i).eps[0];
    }
    return std::make_tuple(std::move(value), std::move(hv));
}

/// hvp of a function that does not return an expression: a compile error that says so.
template <class F, class X, class T>
auto hvp(F const&, at_t<X> const&, T const&) {
    using V = detail::point_value_t<X>;
    return detail::reject_function<std::tuple<xt::xarray<V>, xt::xarray<V>>, F,
                                   detail::tangent_t<F, V, 1>>(std::index_sequence<0>{});
}

} // namespace xtad
