// Hessians by the three routes (forward over reverse, forward over forward, reverse over
// reverse) beside the hand-written Hessian, for f(x) = sum_i x_i^2 sin x_i (a diagonal Hessian)
// and for a dense quadratic form x^T A x (Hessian A + A^T), at n = 10, 100, 1000; and a small
// Hessian (n = 2) written with vector ops and element by element, at an xarray and a fixed-size
// point. Which route wins where:
// docs/performance.md.
#include <xtad/functional.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace {

using xtad::at;
using xtad::route;

xt::xarray<double> point(std::size_t n) {
    xt::xarray<double> x(std::vector<std::size_t>{n});
    for (std::size_t j = 0; j < n; ++j) {
        x(j) = 0.1 + 0.01 * static_cast<double>(j);
    }
    return x;
}

/// f(x) = sum x_i^2 sin x_i.
auto sin_sum() {
    return [](auto const& x) { return xtad::sum(xtad::pow<2>(x) * xtad::sin(x)); };
}

/// q(x) = x^T A x, written elementwise (A x as a row sum of A * x^T): O(n^2) per evaluation.
struct quadratic {
    xt::xarray<double> A;
    explicit quadratic(std::size_t n)
        : A(std::vector<std::size_t>{n, n}) {
        for (std::size_t i = 0; i < A.size(); ++i) {
            A.flat(i) = std::cos(0.37 * static_cast<double>(i));
        }
    }
    // A outlives every call, and a copy per call is not what is measured: held by reference.
    auto fn() const {
        auto const n = static_cast<std::ptrdiff_t>(A.shape()[0]);
        return [this, n](auto const& x) {
            return xtad::sum(x * xtad::sum(xtad::ref(A) * xtad::reshape(x, {1, n}), {1}));
        };
    }
};

/// The limit for f: the diagonal 2 sin x + 4 x cos x - x^2 sin x, zeros elsewhere.
void sin_sum_hand(benchmark::State& state) {
    auto const n = static_cast<std::size_t>(state.range(0));
    xt::xarray<double> const x = point(n);
    xt::xarray<double> H(std::vector<std::size_t>{n, n});
    for (auto _ : state) {
        H.fill(0.);
        for (std::size_t i = 0; i < n; ++i) {
            double const s = std::sin(x(i));
            H(i, i) = 2 * s + 4 * x(i) * std::cos(x(i)) - x(i) * x(i) * s;
        }
        benchmark::DoNotOptimize(H.data());
        benchmark::ClobberMemory();
    }
}

/// The limit for q: A + A^T.
void quadratic_hand(benchmark::State& state) {
    auto const n = static_cast<std::size_t>(state.range(0));
    quadratic const q(n);
    xt::xarray<double> H(std::vector<std::size_t>{n, n});
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                H(i, j) = q.A(i, j) + q.A(j, i);
            }
        }
        benchmark::DoNotOptimize(H.data());
        benchmark::ClobberMemory();
    }
}

template <route R>
void sin_sum_route(benchmark::State& state) {
    xt::xarray<double> const x = point(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto H = xtad::hessian<R>(sin_sum(), at(x));
        benchmark::DoNotOptimize(H.data());
    }
}

template <route R>
void quadratic_route(benchmark::State& state) {
    auto const n = static_cast<std::size_t>(state.range(0));
    quadratic const q(n);
    xt::xarray<double> const x = point(n);
    for (auto _ : state) {
        auto H = xtad::hessian<R>(q.fn(), at(x));
        benchmark::DoNotOptimize(H.data());
    }
}

/// One Hessian-vector product, the cost of one column by forward over reverse.
void sin_sum_hvp(benchmark::State& state) {
    xt::xarray<double> const x = point(static_cast<std::size_t>(state.range(0)));
    xt::xarray<double> const v = xt::ones_like(x);
    for (auto _ : state) {
        auto r = xtad::hvp(sin_sum(), at(x), v);
        benchmark::DoNotOptimize(std::get<1>(r).data());
    }
}

/// The small Hessian, n = 2: f(x) = sum x_i^2 sin x_i + (sum x_i)^2, written with vector
/// ops and written element by element (a tree of numbers, which hessian sweeps on its duals).
auto const small_vector = [](auto const& x) {
    return xtad::sum(xtad::pow<2>(x) * xtad::sin(x)) + xtad::pow<2>(xtad::sum(x));
};
auto const small_elements = [](auto const& x) {
    return xtad::pow<2>(x(0)) * xtad::sin(x(0)) + xtad::pow<2>(x(1)) * xtad::sin(x(1))
           + xtad::pow<2>(x(0) + x(1));
};

void small_hand(benchmark::State& state) {
    xt::xarray<double> const x = point(2);
    xt::xtensor_fixed<double, xt::xshape<2, 2>> H;
    for (auto _ : state) {
        for (std::size_t i = 0; i < 2; ++i) {
            double const s = std::sin(x(i));
            H(i, i) = 2 * s + 4 * x(i) * std::cos(x(i)) - x(i) * x(i) * s + 2;
        }
        H(0, 1) = H(1, 0) = 2;
        benchmark::DoNotOptimize(H.data());
        benchmark::ClobberMemory();
    }
}

template <class F>
void small_route(benchmark::State& state, F const& f) {
    xt::xarray<double> const x = point(2);
    for (auto _ : state) {
        auto H = xtad::hessian(f, at(x));
        benchmark::DoNotOptimize(H.data());
    }
}

/// The same at a fixed-size point: for the function written element by element, hessian keeps
/// the point fixed-size, on duals of 2 tangents, and returns a fixed-size Hessian; the one
/// written with vector ops (a sum) takes the xarray route, as at an xarray point.
template <class F>
void small_route_fixed(benchmark::State& state, F const& f) {
    xt::xtensor_fixed<double, xt::xshape<2>> const x = point(2);
    for (auto _ : state) {
        auto H = xtad::hessian(f, at(x));
        benchmark::DoNotOptimize(H.data());
    }
}

/// One Hessian-vector product of the small function, at a fixed-size point.
template <class F>
void small_hvp_fixed(benchmark::State& state, F const& f) {
    xt::xtensor_fixed<double, xt::xshape<2>> const x = point(2);
    xt::xtensor_fixed<double, xt::xshape<2>> const v = {1., -0.5};
    for (auto _ : state) {
        auto [value, hv] = xtad::hvp(f, at(x), v);
        benchmark::DoNotOptimize(hv.data());
    }
}

constexpr auto fwd_rev = route::forward_over_reverse;
constexpr auto fwd_fwd = route::forward_over_forward;
constexpr auto rev_rev = route::reverse_over_reverse;

void sizes(benchmark::internal::Benchmark* b) {
    b->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
}

BENCHMARK(small_hand);
BENCHMARK_CAPTURE(small_route, vector, small_vector);
BENCHMARK_CAPTURE(small_route, elements, small_elements);
BENCHMARK_CAPTURE(small_route_fixed, vector, small_vector);
BENCHMARK_CAPTURE(small_route_fixed, elements, small_elements);
BENCHMARK_CAPTURE(small_hvp_fixed, elements, small_elements);
BENCHMARK(sin_sum_hand)->Apply(sizes);
BENCHMARK(sin_sum_route<fwd_rev>)->Name("sin_sum/fwd_rev")->Apply(sizes);
BENCHMARK(sin_sum_route<fwd_fwd>)->Name("sin_sum/fwd_fwd")->Apply(sizes);
BENCHMARK(sin_sum_route<rev_rev>)->Name("sin_sum/rev_rev")->Apply(sizes);
BENCHMARK(sin_sum_hvp)->Apply(sizes);
BENCHMARK(quadratic_hand)->Apply(sizes);
BENCHMARK(quadratic_route<fwd_rev>)->Name("quadratic/fwd_rev")->Apply(sizes);
// Forward over forward costs n^2/16 passes of O(n^2) each: n = 1000 would take minutes.
BENCHMARK(quadratic_route<fwd_fwd>)
    ->Name("quadratic/fwd_fwd")
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(quadratic_route<rev_rev>)->Name("quadratic/rev_rev")->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
