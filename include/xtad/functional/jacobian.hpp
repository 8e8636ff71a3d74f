// Defines the functional transforms jacfwd, jacrev, jacobian, jvp and vjp, and at(...).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/forward/dual.hpp"
#include "xtad/reverse/grad.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad {

/// The point a transform is taken at: `jacobian(f, at(x))`, `jacfwd(f, at(x, y))`. Holds the
/// tensors by reference; they are copied into the leaves the transform makes.
template <class... X>
struct at_t {
    std::tuple<X const&...> points;
};

template <class... X>
requires(xt::is_xexpression<X>::value&&...) at_t<X...> at(X const&... x) {
    return {{x...}};
}

namespace detail {

inline constexpr fixed_string<3> input_name[] = {"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"};

template <class X>
using point_value_t = typename X::value_type;

/// The expression f returns for the leaves `l...`, checked to be one.
template <class F, class... L>
auto call_checked(F const& f, L const&... l) {
    if constexpr (!std::is_invocable_v<F const&, L const&...>) {
        static_assert(std::is_invocable_v<F const&, L const&...>,
                      "xtad: the function given to jacfwd/jacrev/jacobian/jvp/vjp must take one "
                      "argument per tensor in at(...); it cannot be called with that many");
        return zero_t{};
    } else {
        using R = decltype(f(l...));
        static_assert(Expression<R>,
                      "xtad: the function given to jacfwd/jacrev/jacobian/jvp/vjp must return an "
                      "xtad expression of its arguments (it returned something else, e.g. a "
                      "plain tensor or a number)");
        return f(l...);
    }
}

/// The Jacobian's shape: out.shape + in.shape, as torch.autograd.functional.jacobian.
inline shape_t jacobian_shape(shape_t const& out, shape_t const& in) {
    shape_t s = out;
    s.insert(s.end(), in.begin(), in.end());
    return s;
}

// The return type is spelt out (see var): it differs with XTAD_CHECK_LIFETIMES.
template <class V, class... X, std::size_t... I>
std::tuple<var_t<input_name[I], xt::xarray<V>>...>
make_input_leaves(std::tuple<X const&...> const& pts, std::index_sequence<I...>) {
    return std::make_tuple(var<input_name[I]>(xt::xarray<V>(std::get<I>(pts)))...);
}

template <class... X>
using common_point_t = std::common_type_t<point_value_t<X>...>;

} // namespace detail

/// The Jacobian of f at the point by reverse mode: one adjoint pass per output element (rows).
/// f takes one xtad expression per tensor in at(...) and returns an expression. Returns the
/// Jacobian (shape out.shape + in.shape) for one input, a tuple of them for several.
template <class F, class... X>
auto jacrev(F const& f, at_t<X...> const& p) {
    static_assert(sizeof...(X) <= 8, "xtad::jacrev takes at most 8 inputs");
    using V = detail::common_point_t<X...>;
    constexpr auto idx = std::index_sequence_for<X...>{};
    auto const leaves = detail::make_input_leaves<V>(p.points, idx);
    auto const y =
        std::apply([&](auto const&... l) { return detail::call_checked(f, l...); }, leaves);
    shape_t const ys = y.shape();
    std::size_t const m = detail::size_of(ys);
    auto jac = std::apply(
        [&](auto const&... l) {
            return std::make_tuple(xt::xarray<V>(detail::jacobian_shape(ys, l.shape()))...);
        },
        leaves);
    auto rows = std::apply(
        [](auto const&... l) { return std::make_tuple(xt::xarray<V>(l.shape())...); }, leaves);
    xt::xarray<V> seed = xt::zeros<V>(ys);
    for (std::size_t i = 0; i < m; ++i) {
        seed.flat(i) = V(1);
        std::apply(
            [&](auto&... r) {
                // An input f ignores has a zero Jacobian block, as in torch (strict=False).
                std::apply(
                    [&](auto const&... l) {
                        detail::grad_into_impl(std::tie(r...), y, wrt(l...), seed);
                    },
                    leaves);
            },
            rows);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((std::copy(std::get<I>(rows).begin(), std::get<I>(rows).end(),
                        std::get<I>(jac).begin()
                            + static_cast<std::ptrdiff_t>(i * std::get<I>(rows).size()))),
             ...);
        }
        (idx);
        seed.flat(i) = V(0);
    }
    if constexpr (sizeof...(X) == 1) {
        return std::get<0>(std::move(jac));
    } else {
        return jac;
    }
}

namespace detail {

/// Block width of jacfwd when not given: the number of inputs if that is small (the seed
/// example's 2), else 8 tangents per pass.
inline constexpr std::size_t default_width = 8;

template <std::size_t N, std::size_t Active, class F, class V, class... X, std::size_t... I>
xt::xarray<V> jacfwd_block(F const& f, std::tuple<X const&...> const& pts,
                           std::index_sequence<I...>) {
    // Tagged with the call, so that these tangents cannot be confused with another call's.
    using D = dual<V, N, call_tag<F, V>>;
    // The active input's leaf carries N tangents; the others are constants of the same type.
    auto leaves =
        std::make_tuple(var<input_name[I]>(xt::xarray<D>(xt::cast<D>(std::get<I>(pts))))...);
    auto& x = std::get<Active>(leaves);
    auto const y = std::apply([&](auto const&... l) { return call_checked(f, l...); }, leaves);
    shape_t const ys = y.shape();
    std::size_t const m = size_of(ys);
    std::size_t const n = x.value().size();
    xt::xarray<V> jac(jacobian_shape(ys, x.shape()));
    xt::xarray<D> out;
    for (std::size_t j0 = 0; j0 < n; j0 += N) {
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(1);
        }
        eval_into(out, y);
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
                jac.flat(i * n + j0 + k) = out.flat(i).eps[k];
            }
        }
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(0);
        }
    }
    return jac;
}

} // namespace detail

/// The Jacobian of f at the point by forward mode: dual numbers with N tangents give N
/// columns per pass, input by input (N = 2 for an input of at most 2 elements, else 8, unless
/// given: `jacfwd<4>(f, at(x))`). Same arguments and result as jacrev.
template <std::size_t N = 0, class F, class... X>
auto jacfwd(F const& f, at_t<X...> const& p) {
    static_assert(sizeof...(X) <= 8, "xtad::jacfwd takes at most 8 inputs");
    using V = detail::common_point_t<X...>;
    constexpr auto idx = std::index_sequence_for<X...>{};
    auto one_input = [&]<std::size_t Active>() {
        if constexpr (N != 0) {
            return detail::jacfwd_block<N, Active, F, V>(f, p.points, idx);
        } else {
            if (std::get<Active>(p.points).size() <= 2) {
                return detail::jacfwd_block<2, Active, F, V>(f, p.points, idx);
            }
            return detail::jacfwd_block<detail::default_width, Active, F, V>(f, p.points, idx);
        }
    };
    auto jac = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::make_tuple(one_input.template operator()<I>()...);
    }
    (idx);
    if constexpr (sizeof...(X) == 1) {
        return std::get<0>(std::move(jac));
    } else {
        return jac;
    }
}

namespace detail {

/// Whether forward mode is expected to be faster than reverse mode for n inputs and m outputs.
/// A cost model fitted to bench/fwd_vs_rev.cpp (docs/performance.md): jacfwd costs a fixed
/// ~2 us plus ceil(n/8) passes of ~0.5 us + 93 ns per element, jacrev ~1 us plus m passes of
/// ~2.5 us + 49 ns per element, with n*m elements a pass (every output depending on every
/// input; where the Jacobian is sparse, the mode matters less).
inline bool forward_is_cheaper(std::size_t n, std::size_t m) {
    double const w = static_cast<double>(n) * static_cast<double>(m);
    double const passes_fwd = static_cast<double>((n + default_width - 1) / default_width);
    double const fwd = 2.0 + passes_fwd * (0.5 + 0.093 * w);
    double const rev = 1.0 + static_cast<double>(m) * (2.5 + 0.049 * w);
    return fwd <= rev;
}

} // namespace detail

/// The Jacobian of f at the point, by the mode expected to be faster for its shapes (see
/// detail::forward_is_cheaper): forward mode for few inputs and many outputs, reverse mode for
/// many inputs and few outputs. Same arguments and result as jacfwd and jacrev.
template <class F, class... X>
auto jacobian(F const& f, at_t<X...> const& p) {
    std::size_t n = 0;
    std::apply([&](auto const&... x) { ((n += x.size()), ...); }, p.points);
    using V = detail::common_point_t<X...>;
    auto const leaves = detail::make_input_leaves<V>(p.points, std::index_sequence_for<X...>{});
    std::size_t const m = detail::size_of(
        std::apply([&](auto const&... l) { return detail::call_checked(f, l...); }, leaves)
            .shape());
    if (detail::forward_is_cheaper(n, m)) {
        return jacfwd(f, p);
    }
    return jacrev(f, p);
}

/// The value of f at x and the Jacobian-vector product J v, in one forward pass (one input).
template <class F, class X, class T>
auto jvp(F const& f, at_t<X> const& p, T const& v) {
    using V = detail::point_value_t<X>;
    using D = dual<V, 1, call_tag<F, V>>;
    auto const& x0 = std::get<0>(p.points);
    if (!std::equal(x0.shape().begin(), x0.shape().end(), v.shape().begin(), v.shape().end())) {
        throw error("xtad::jvp: the tangent has shape " + detail::shape_str(v.shape())
                    + " but the input has shape " + detail::shape_str(x0.shape()));
    }
    xt::xarray<D> xd = xt::cast<D>(x0);
    for (std::size_t i = 0; i < xd.size(); ++i) {
        xd.flat(i).eps[0] = static_cast<V>(v.flat(i));
    }
    auto const x = var<"x0">(std::move(xd));
    xt::xarray<D> const out = eval(detail::call_checked(f, x));
    xt::xarray<V> value(out.shape()), tangent(out.shape());
    for (std::size_t i = 0; i < out.size(); ++i) {
        value.flat(i) = out.flat(i).val;
        tangent.flat(i) = out.flat(i).eps[0];
    }
    return std::make_tuple(std::move(value), std::move(tangent));
}

/// The value of f at x and the vector-Jacobian product w^T J, in one reverse pass (one input).
template <class F, class X, class W>
auto vjp(F const& f, at_t<X> const& p, W const& w) {
    using V = detail::point_value_t<X>;
    auto const x = var<"x0">(xt::xarray<V>(std::get<0>(p.points)));
    auto const y = detail::call_checked(f, x);
    shape_t const ys = y.shape();
    shape_t const ws = detail::to_shape(w.shape());
    if (ws != ys) {
        throw error("xtad::vjp: the cotangent has shape " + detail::shape_str(ws)
                    + " but the function's output has shape " + detail::shape_str(ys));
    }
    xt::xarray<V> value = eval(y);
    auto [g] = grad(y, wrt(x), w);
    return std::make_tuple(std::move(value), std::move(g));
}

} // namespace xtad
