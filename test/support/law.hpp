// The shared law checker: xtad's reverse-mode gradient equals central finite differences, for
// one op at random points of its domain, in double and in float, on plain and broadcast shapes.
#pragma once

#include <xtad/eval/build.hpp>
#include <xtad/forward/dual.hpp>
#include <xtad/reverse/grad.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace law {

/// Where an argument is drawn from: uniformly in [lo, hi], kept `margin` inside both ends so
/// that the finite-difference stencil stays in the domain; the first and last elements sit at
/// that distance from the ends (the edges of the domain).
struct domain {
    double lo = -2;
    double hi = 2;
    double margin = 1e-3;
};

inline xt::xarray<double> draw(xtad::shape_t const& shape, domain d, std::mt19937& rng) {
    xt::xarray<double> x(shape);
    std::uniform_real_distribution<double> u(d.lo + d.margin, d.hi - d.margin);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x.flat(i) = u(rng);
    }
    if (x.size() >= 3) {
        x.flat(0) = d.lo + 2 * d.margin;
        x.flat(x.size() - 1) = d.hi - 2 * d.margin;
    }
    return x;
}

/// Relative tolerance against finite differences (those are computed in double either way).
template <class T>
constexpr double rel_tol = std::is_same_v<T, float> ? 2e-3 : 1e-6;

inline bool close(double got, double want, double tol) {
    if (std::isnan(want) || std::isnan(got)) {
        return std::isnan(want) && std::isnan(got);
    }
    return std::abs(got - want) <= tol * (1 + std::abs(want));
}

inline constexpr xtad::fixed_string<2> arg_name[] = {"x", "y", "z"};

/// Leaves named x, y, z holding the given values, converted to T.
template <class T, class... X, std::size_t... I>
auto make_leaves(std::index_sequence<I...>, X const&... x) {
    return std::make_tuple(xtad::var<arg_name[I]>(xt::xarray<T>(xt::cast<T>(x)))...);
}

/// The double inside a (possibly nested) dual's outermost tangent k.
template <class D>
double tangent(D const& d, std::size_t k) {
    if constexpr (std::is_same_v<typename D::value_type, double>) {
        return d.eps[k];
    } else {
        return d.eps[k].val;
    }
}

template <class D>
void set_tangent(D& d, std::size_t k, double v) {
    if constexpr (std::is_same_v<typename D::value_type, double>) {
        d.eps[k] = v;
    } else {
        d.eps[k] = typename D::value_type(v);
    }
}

/// Forward mode agrees with reverse mode: f evaluated on dual numbers D, with random tangents
/// v on every argument, gives seed . (J v) = sum over arguments of (reverse gradient) . v, for
/// each of D's tangents.
template <class D, class F, class G, class... X0>
void check_forward(std::string const& what, F const& f, xt::xarray<double> const& seed,
                   G const& grads, X0 const&... x0) {
    constexpr auto idx = std::index_sequence_for<X0...>{};
    std::mt19937 rng(13);
    std::normal_distribution<double> n01;
    std::vector<xt::xarray<D>> pts{xt::xarray<D>(xt::cast<D>(xt::xarray<double>(x0)))...};
    std::vector<double> expected(D::size, 0.0);
    std::size_t arg = 0;
    auto direction = [&](auto const& g) {
        for (std::size_t i = 0; i < pts[arg].size(); ++i) {
            for (std::size_t k = 0; k < D::size; ++k) {
                double const v = n01(rng);
                set_tangent(pts[arg].flat(i), k, v);
                expected[k] += static_cast<double>(g.flat(i)) * v;
            }
        }
        ++arg;
    };
    std::apply([&](auto const&... g) { (direction(g), ...); }, grads);
    auto const leaves = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::make_tuple(xtad::var<arg_name[I]>(pts[I])...);
    }
    (idx);
    xt::xarray<D> const y =
        std::apply([&](auto const&... l) { return xtad::eval(f(l...)); }, leaves);
    REQUIRE(y.size() == seed.size());
    for (std::size_t k = 0; k < D::size; ++k) {
        double got = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
            got += seed.flat(i) * tangent(y.flat(i), k);
        }
        INFO(what << ": tangent " << k);
        CHECK_MESSAGE(close(got, expected[k], 1e-9),
                      "forward " << got << ", reverse " << expected[k]);
    }
}

/// Checks the gradient of `f` with respect to each of its arguments at the points `x0...`:
/// xtad's grad in T, with a random seed, against central differences of sum(seed * f) in double.
template <class T, class F, class... X0>
void check_at(std::string const& what, F const& f, X0 const&... x0) {
    constexpr auto idx = std::index_sequence_for<X0...>{};
    std::mt19937 rng(11);
    std::normal_distribution<double> n01;
    auto const leaves = make_leaves<T>(idx, x0...);
    auto const e = std::apply([&](auto const&... l) { return f(l...); }, leaves);
    xt::xarray<double> seed(xtad::detail::to_shape(e.shape()));
    for (auto& s : seed) {
        s = n01(rng);
    }
    xt::xarray<T> const seed_t = xt::cast<T>(seed);
    auto const grads = std::apply(
        [&](auto const&... l) { return xtad::grad(e, xtad::wrt(l...), seed_t); }, leaves);

    std::vector<xt::xarray<double>> pts{xt::xarray<double>(x0)...};
    std::size_t arg = 0;
    auto check_arg = [&](auto const& g) {
        REQUIRE(g.size() == pts[arg].size());
        for (std::size_t i = 0; i < pts[arg].size(); ++i) {
            double const xi = pts[arg].flat(i);
            double const step = 1e-6 * std::max(1.0, std::abs(xi));
            auto value_at = [&](double v) {
                pts[arg].flat(i) = v;
                auto const dl = [&]<std::size_t... I>(std::index_sequence<I...>) {
                    return make_leaves<double>(idx, pts[I]...);
                }
                (idx);
                auto const y =
                    std::apply([&](auto const&... l) { return xtad::eval(f(l...)); }, dl);
                return xt::sum(seed * y)();
            };
            double const fd = (value_at(xi + step) - value_at(xi - step)) / (2 * step);
            pts[arg].flat(i) = xi;
            double const got = static_cast<double>(g.flat(i));
            INFO(what << ": argument " << arg << ", element " << i << " at " << xi);
            CHECK_MESSAGE(close(got, fd, rel_tol<T>),
                          "grad " << got << ", finite differences " << fd);
        }
        ++arg;
    };
    std::apply([&](auto const&... g) { (check_arg(g), ...); }, grads);
    if constexpr (std::is_same_v<T, double>) {
        check_forward<xtad::dual<double, 1>>(what + " forward dual<double, 1>", f, seed, grads,
                                             x0...);
        check_forward<xtad::dual<double, 4>>(what + " forward dual<double, 4>", f, seed, grads,
                                             x0...);
        check_forward<xtad::dual<xtad::dual<double, 1>, 1>>(what + " forward dual<dual<double>>", f,
                                                            seed, grads, x0...);
    }
}

/// One op's law: random points of its domain on plain shapes, in double and float.
inline std::vector<xtad::shape_t> const all_shapes{{7}, {2, 3}, {}};
inline std::vector<xtad::shape_t> const with_axes{{7}, {2, 3}, {3, 1, 2}};

template <class F>
void unary(std::string const& name, F const& f, domain d = {},
           std::vector<xtad::shape_t> const& shapes = all_shapes) {
    std::mt19937 rng(2024);
    for (auto const& shape : shapes) {
        auto const x = draw(shape, d, rng);
        check_at<double>(name + " (double)", f, x);
        check_at<float>(name + " (float)", f, x);
    }
}

/// A binary op's law, on equal and broadcast shapes, in double and float.
template <class F>
void binary(std::string const& name, F const& f, domain dx = {}, domain dy = {}) {
    std::mt19937 rng(2025);
    using S = xtad::shape_t;
    std::pair<S, S> const shapes[] = {{S{5}, S{5}},   {S{2, 3}, S{3}},    {S{2, 3}, S{1, 3}},
                                      {S{2, 3}, S{}}, {S{4, 1}, S{1, 3}}, {S{}, S{2, 2}}};
    for (auto const& [sx, sy] : shapes) {
        auto const x = draw(sx, dx, rng);
        auto const y = draw(sy, dy, rng);
        check_at<double>(name + " (double)", f, x, y);
        check_at<float>(name + " (float)", f, x, y);
    }
}

} // namespace law
