// The shared law checker: xtad's reverse-mode gradient equals central finite differences, for
// one op at random points of its domain, in double and in float, on plain and broadcast shapes;
// forward mode agrees with it; and, in double, the second derivatives by forward over forward,
// forward over reverse and reverse over reverse agree with each other and with finite
// differences of the gradient.
#pragma once

#include <xtad/eval/build.hpp>
#include <xtad/forward/dual.hpp>
#include <xtad/functional/gradcheck.hpp>
#include <xtad/reverse/derivative.hpp>
#include <xtad/reverse/grad.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <sstream>
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

/// Leaves holding the given values, converted to T. They are the leaves gradcheck and the
/// Jacobian transforms make for their inputs (xtad::detail::input_leaf), so that the trees built
/// here and there are the same types, compiled once.
template <class T, class... X, std::size_t... I>
auto make_leaves(std::index_sequence<I...>, X const&... x) {
    return std::make_tuple(xtad::detail::input_leaf<I>(xt::xarray<T>(xt::cast<T>(x)))...);
}

/// Sets the outermost tangent k of a (possibly nested) dual to v.
template <class D>
void set_tangent(D& d, std::size_t k, double v) {
    if constexpr (std::is_same_v<typename D::value_type, double>) {
        d.eps[k] = v;
    } else {
        d.eps[k] = typename D::value_type(v);
    }
}

/// Random numbers of the shape of x.
inline xt::xarray<double> normal_like(xt::xarray<double> const& x, std::mt19937& rng) {
    std::normal_distribution<double> n01;
    xt::xarray<double> r(x.shape());
    for (auto& v : r) {
        v = n01(rng);
    }
    return r;
}

/// Leaves of dual numbers D at the points x0, with the direction `dir` as the (outermost)
/// tangent.
template <class D, class... X0, std::size_t... I>
auto directed_leaves(std::index_sequence<I...>, std::vector<xt::xarray<double>> const& dir,
                     X0 const&... x0) {
    std::vector<xt::xarray<D>> pts{xt::xarray<D>(xt::cast<D>(xt::xarray<double>(x0)))...};
    for (std::size_t a = 0; a < pts.size(); ++a) {
        for (std::size_t i = 0; i < pts[a].size(); ++i) {
            set_tangent(pts[a].flat(i), 0, dir[a].flat(i));
        }
    }
    return std::make_tuple(xtad::detail::input_leaf<I>(std::move(pts[I]))...);
}

/// Forward mode and second derivatives in double: with w the seed, u and v random directions, J
/// the Jacobian of f and H the Hessian of sum(w * f) in all arguments together, w.J.u and w.J.v by
/// forward mode on dual<dual<double>> (outer and inner level) equal the reverse gradient `grads`
/// dotted with u and v; and u.H.v by
///   forward over forward (f on dual<dual<double>>, v the inner tangents, u the outer ones),
///   forward over reverse (the gradient on dual<double> leaves with tangents v: H.v),
///   reverse over reverse (xtad::derivative, then grad of it seeded by u: u.H),
/// agree with each other to rounding, and with central differences of the gradient along v;
/// and gradgradcheck compares every second derivative by forward over reverse with finite
/// differences.
template <class F, class G, class... X0>
void check_second(std::string const& what, F const& f, xt::xarray<double> const& seed,
                  G const& grads, X0 const&... x0) {
    constexpr auto idx = std::index_sequence_for<X0...>{};
    INFO(what << ": second derivatives");
    xtad::gradcheck_options o;
    o.atol = o.rtol = 1e-6;
    o.raise_exception = false;
    o.grad_outputs = seed;
    auto const gg = xtad::gradgradcheck(f, xtad::at(x0...), o);
    CHECK_MESSAGE(gg.ok, gg.message);

    std::mt19937 rng(17);
    std::vector<xt::xarray<double>> const u{normal_like(x0, rng)...};
    std::vector<xt::xarray<double>> const v{normal_like(x0, rng)...};
    auto dot = [](std::vector<xt::xarray<double>> const& a, auto const& ts, auto part) {
        double r = 0;
        std::size_t arg = 0;
        std::apply(
            [&](auto const&... g) {
                auto one = [&](auto const& gi) {
                    for (std::size_t i = 0; i < gi.size(); ++i) {
                        r += a[arg].flat(i) * part(gi.flat(i));
                    }
                    ++arg;
                };
                (one(g), ...);
            },
            ts);
        return r;
    };
    auto plain = [](double x) { return x; };

    // Forward over forward.
    using DD = xtad::dual<xtad::dual<double, 1>, 1>;
    auto fof_leaves = directed_leaves<DD>(idx, u, x0...);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        std::size_t arg = 0;
        auto inner = [&](auto& leaf) {
            for (std::size_t i = 0; i < leaf.value().size(); ++i) {
                leaf.value().flat(i).val.eps[0] = v[arg].flat(i);
            }
            ++arg;
        };
        (inner(std::get<I>(fof_leaves)), ...);
    }
    (idx);
    xt::xarray<DD> const y2 =
        std::apply([&](auto const&... l) { return xtad::eval(f(l...)); }, fof_leaves);
    double fof = 0;
    double along_u = 0;
    double along_v = 0;
    for (std::size_t i = 0; i < y2.size(); ++i) {
        fof += seed.flat(i) * y2.flat(i).eps[0].eps[0];
        along_u += seed.flat(i) * y2.flat(i).eps[0].val;
        along_v += seed.flat(i) * y2.flat(i).val.eps[0];
    }
    // Both levels at first order: seed.(J u) and seed.(J v) are the reverse gradient dotted with
    // u and v. (This is the first-order forward check on dual<double> numbers too: the inner
    // level is one.)
    CHECK_MESSAGE(close(along_u, dot(u, grads, plain), 1e-9),
                  "forward (outer level) " << along_u << ", reverse " << dot(u, grads, plain));
    CHECK_MESSAGE(close(along_v, dot(v, grads, plain), 1e-9),
                  "forward (inner level) " << along_v << ", reverse " << dot(v, grads, plain));

    // Forward over reverse, on the duals gradgradcheck uses (the same tree types).
    using D = xtad::dual<double, 1, xtad::call_tag<F, double>>;
    auto const for_leaves = directed_leaves<D>(idx, v, x0...);
    xt::xarray<D> const seed_d = xt::cast<D>(seed);
    auto const hv = std::apply(
        [&](auto const&... l) {
            return xtad::detail::grad_impl(xtad::detail::call_checked(f, l...), xtad::wrt(l...),
                                           seed_d);
        },
        for_leaves);
    double const fwd_rev = dot(u, hv, [](D const& d) { return d.eps[0]; });

    // Central differences of the gradient along v.
    double const h = 1e-6;
    auto gradient_at = [&](double t) {
        auto shifted = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return make_leaves<double>(idx, xt::xarray<double>(x0 + t * v[I])...);
        }
        (idx);
        return std::apply(
            [&](auto const&... l) {
                return xtad::detail::grad_impl(xtad::detail::call_checked(f, l...), xtad::wrt(l...),
                                               seed);
            },
            shifted);
    };
    double const fd = (dot(u, gradient_at(h), plain) - dot(u, gradient_at(-h), plain)) / (2 * h);

    CHECK_MESSAGE(close(fof, fwd_rev, 1e-9),
                  "forward over forward " << fof << ", forward over reverse " << fwd_rev);
    CHECK_MESSAGE(close(fwd_rev, fd, 1e-6),
                  "forward over reverse " << fwd_rev << ", finite differences " << fd);

    // Reverse over reverse: derivative() is the gradient as an expression; grad of it seeded
    // by u gives u.H.
    auto const leaves = make_leaves<double>(idx, x0...);
    std::apply(
        [&](auto const&... l) {
            auto const e = f(l...);
            auto const firsts = xtad::detail::as_tuple(xtad::derivative(e, xtad::wrt(l...), seed));
            double rev_rev = 0;
            std::size_t arg = 0;
            std::apply(
                [&](auto const&... g) {
                    auto one = [&](auto const& gi) {
                        auto const uh =
                            xtad::grad(gi, xtad::wrt(l...), u[arg++], xtad::allow_unused);
                        rev_rev += dot(v, uh, plain);
                    };
                    (one(g), ...);
                },
                firsts);
            CHECK_MESSAGE(close(rev_rev, fwd_rev, 1e-9), "reverse over reverse "
                                                             << rev_rev << ", forward over reverse "
                                                             << fwd_rev);
        },
        leaves);
}

/// The gradient in float against central differences in double.
template <class F, class G, class... X0>
void check_float(std::string const& what, F const& f, xt::xarray<double> const& seed,
                 G const& grads, X0 const&... x0) {
    constexpr auto idx = std::index_sequence_for<X0...>{};
    std::vector<xt::xarray<double>> pts{xt::xarray<double>(x0)...};
    std::size_t arg = 0;
    auto check_arg = [&](auto const& g) {
        REQUIRE(g.size() == pts[arg].size());
        for (std::size_t i = 0; i < pts[arg].size(); ++i) {
            double const xi = pts[arg].flat(i);
            double const step = 1e-6 * std::max(1.0, std::abs(xi));
            auto value_at = [&](double val) {
                pts[arg].flat(i) = val;
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
            CHECK_MESSAGE(close(got, fd, rel_tol<float>),
                          "grad " << got << ", finite differences " << fd);
        }
        ++arg;
    };
    std::apply([&](auto const&... g) { (check_arg(g), ...); }, grads);
}

/// Checks the gradient of `f` with respect to each of its arguments at the points `x0...`:
/// xtad's grad in T, with a random seed, against central differences of sum(seed * f) in double
/// (in double by gradcheck, the whole Jacobian); forward mode against it; second derivatives in
/// double.
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

    if constexpr (std::is_same_v<T, double>) {
        // Forward mode is checked against this gradient below, not by gradcheck: its jacfwd
        // would compile f on two more dual types.
        xtad::gradcheck_options o;
        o.atol = o.rtol = rel_tol<double>;
        o.raise_exception = false;
        auto const r = xtad::gradcheck<xtad::ad_modes::reverse>(f, xtad::at(x0...), o);
        INFO(what);
        CHECK_MESSAGE(r.ok, r.message);
        // Forward mode, both levels of dual<dual<double>>, and the second derivatives.
        check_second(what, f, seed, grads, x0...);
    } else {
        check_float(what, f, seed, grads, x0...);
    }
}

/// The edge points: zeros of both signs, small integers of both signs (negative bases with
/// integer exponents, ties, clamp's bounds), halves, the infinities and NaN.
inline std::vector<double> const edge_points{0.,
                                             -0.,
                                             1.,
                                             -1.,
                                             2.,
                                             -2.,
                                             0.5,
                                             -0.5,
                                             3.,
                                             std::numeric_limits<double>::infinity(),
                                             -std::numeric_limits<double>::infinity(),
                                             std::numeric_limits<double>::quiet_NaN()};

/// Forward mode equals reverse mode at edge points: for a seed of ones, the reverse gradient
/// and the forward one (a unit tangent on one element at a time, the outputs' tangents summed)
/// agree element by element: the same NaN, the same infinity, the same number to rounding
/// (1e-12); the sign of a zero is not pinned in forward mode (docs/edge_cases.md).
template <class F, class... X0>
void check_edges_at(std::string const& what, F const& f, X0 const&... x0) {
    constexpr auto idx = std::index_sequence_for<X0...>{};
    auto const leaves = make_leaves<double>(idx, x0...);
    auto const e = std::apply([&](auto const&... l) { return f(l...); }, leaves);
    xt::xarray<double> const seed = xt::ones<double>(xtad::detail::to_shape(e.shape()));
    auto const rev =
        std::apply([&](auto const&... l) { return xtad::grad(e, xtad::wrt(l...), seed); }, leaves);
    std::vector<xt::xarray<double>> const pts{xt::xarray<double>(x0)...};
    std::ostringstream args;
    for (auto const& p : pts) {
        args << p << ' ';
    }
    using D = xtad::dual<double, 1, xtad::call_tag<F, double>>;
    std::size_t arg = 0;
    auto one = [&](auto const& g) {
        for (std::size_t j = 0; j < g.size(); ++j) {
            std::vector<xt::xarray<double>> dir;
            for (std::size_t a = 0; a < pts.size(); ++a) {
                dir.push_back(xt::zeros<double>(pts[a].shape()));
            }
            dir[arg].flat(j) = 1;
            auto const dl = directed_leaves<D>(idx, dir, x0...);
            xt::xarray<D> const y =
                std::apply([&](auto const&... l) { return xtad::eval(f(l...)); }, dl);
            double fwd = 0;
            for (auto const& yi : y) {
                fwd += yi.eps[0];
            }
            double const want = g.flat(j);
            bool const ok = std::isnan(want) ? std::isnan(fwd)
                            : std::isinf(want)
                                ? fwd == want
                                : std::abs(fwd - want) <= 1e-12 * (1 + std::abs(want));
            INFO(what << ": edge points, argument " << arg << ", element " << j << " at "
                      << pts[arg].flat(j) << "; the arguments: " << args.str());
            CHECK_MESSAGE(ok, "forward mode " << fwd << ", reverse mode " << want);
        }
        ++arg;
    };
    std::apply([&](auto const&... g) { (one(g), ...); }, rev);
}

/// A tensor of the shape `shape` filled with the edge points from the k-th on, in turn.
inline xt::xarray<double> edge_fill(xtad::shape_t const& shape, std::size_t k) {
    xt::xarray<double> x(shape);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x.flat(i) = edge_points[(i + k) % edge_points.size()];
    }
    return x;
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
        // Every element at every edge point; and the zero tensor (norm at 0, ties of zeros).
        for (std::size_t k = 0; k < edge_points.size(); ++k) {
            check_edges_at(name, f, edge_fill(shape, k));
        }
        check_edges_at(name, f, xt::xarray<double>(xt::zeros<double>(shape)));
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
        check_edges_at(name, f, edge_fill(sx, 0), edge_fill(sy, 3));
    }
    // Every pair of edge points (ties, negative bases with integer exponents included).
    std::size_t const n = edge_points.size();
    xt::xarray<double> x(S{n * n});
    xt::xarray<double> y(S{n * n});
    for (std::size_t i = 0; i < n * n; ++i) {
        x(i) = edge_points[i / n];
        y(i) = edge_points[i % n];
    }
    check_edges_at(name, f, x, y);
}

} // namespace law
