// Gradients through inverses and solves beside the same gradients written by hand with LAPACK:
// sum(inv(A)) with respect to A, and sum(c * solve(A, b)) with respect to A and b, for n = 10,
// 100, 500. The hand-written code does the LAPACK work the rules need (getrf once; getri and two
// gemms for the inverse's adjoint −A⁻ᵀ G A⁻ᵀ; two getrs and an outer product for the solve's);
// anything else xtad adds shows in the ratio. Results: docs/performance.md.
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <benchmark/benchmark.h>
#include <xtensor-blas/xblas.hpp>
#include <xtensor-blas/xlapack.hpp>

#include <cmath>
#include <cstddef>
#include <tuple>
#include <vector>

namespace {

using I = xt::blas_index_t;

struct system {
    std::size_t n;
    xt::xarray<double> A, b, c;
    explicit system(std::size_t n_)
        : n(n_)
        , A(std::vector<std::size_t>{n_, n_})
        , b(std::vector<std::size_t>{n_})
        , c(std::vector<std::size_t>{n_}) {
        for (std::size_t i = 0; i < A.size(); ++i) {
            A.flat(i) = std::sin(0.37 * static_cast<double>(i));
        }
        for (std::size_t i = 0; i < n; ++i) {
            A(i, i) += static_cast<double>(n);
            b(i) = std::cos(0.11 * static_cast<double>(i));
            c(i) = 1. + 0.5 * std::sin(static_cast<double>(i));
        }
    }
};

/// A, row-major, into `lu` column-major, factorised there (getrf).
void factorise(system const& p, std::vector<double>& lu, std::vector<I>& piv) {
    std::size_t const n = p.n;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            lu[i + j * n] = p.A(i, j);
        }
    }
    I const in = static_cast<I>(n);
    cxxlapack::getrf<I>(in, in, lu.data(), in, piv.data());
}

/// By hand: Y = A⁻¹ (getrf, getri); d sum(Y) / dA = −Yᵀ G Yᵀ with G the ones (two gemms).
void inv_hand(benchmark::State& state) {
    system const p(static_cast<std::size_t>(state.range(0)));
    std::size_t const n = p.n;
    I const in = static_cast<I>(n);
    std::vector<double> y(n * n);
    std::vector<I> piv(n);
    std::vector<double> work(n * 64);
    std::vector<double> const ones(n * n, 1.);
    std::vector<double> t(n * n);
    std::vector<double> ga(n * n);
    auto const no = cxxblas::Transpose::NoTrans;
    auto const tr = cxxblas::Transpose::Trans;
    auto const col = cxxblas::StorageOrder::ColMajor;
    for (auto _ : state) {
        factorise(p, y, piv);
        cxxlapack::getri<I>(in, y.data(), in, piv.data(), work.data(), static_cast<I>(work.size()));
        cxxblas::gemm<I>(col, tr, no, in, in, in, 1.0, y.data(), in, ones.data(), in, 0.0, t.data(),
                         in);
        cxxblas::gemm<I>(col, no, tr, in, in, in, -1.0, t.data(), in, y.data(), in, 0.0, ga.data(),
                         in);
        benchmark::DoNotOptimize(ga.data());
        benchmark::ClobberMemory();
    }
}

void inv_xtad(benchmark::State& state) {
    system p(static_cast<std::size_t>(state.range(0)));
    auto a = xtad::var<"A">(p.A);
    auto const f = xtad::sum(xtad::inv(a));
    xt::xarray<double> ga;
    for (auto _ : state) {
        xtad::grad_into(std::tie(ga), f, xtad::wrt(a));
        benchmark::DoNotOptimize(ga.data());
    }
}

/// By hand: x = A⁻¹ b (getrf, getrs); with G = c, d/db = A⁻ᵀ c (getrs, transposed) and
/// d/dA = −(d/db) xᵀ (an outer product).
void solve_hand(benchmark::State& state) {
    system const p(static_cast<std::size_t>(state.range(0)));
    std::size_t const n = p.n;
    I const in = static_cast<I>(n);
    std::vector<double> lu(n * n);
    std::vector<I> piv(n);
    std::vector<double> x(n);
    std::vector<double> gb(n);
    std::vector<double> ga(n * n);
    for (auto _ : state) {
        factorise(p, lu, piv);
        std::copy(p.b.begin(), p.b.end(), x.begin());
        cxxlapack::getrs<I>('N', in, 1, lu.data(), in, piv.data(), x.data(), in);
        std::copy(p.c.begin(), p.c.end(), gb.begin());
        cxxlapack::getrs<I>('T', in, 1, lu.data(), in, piv.data(), gb.data(), in);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                ga[i * n + j] = -gb[i] * x[j];
            }
        }
        benchmark::DoNotOptimize(ga.data());
        benchmark::DoNotOptimize(gb.data());
        benchmark::ClobberMemory();
    }
}

void solve_xtad(benchmark::State& state) {
    system p(static_cast<std::size_t>(state.range(0)));
    auto a = xtad::var<"A">(p.A);
    auto b = xtad::var<"b">(p.b);
    auto const f = xtad::sum(xtad::ref(p.c) * xtad::solve(a, b));
    xt::xarray<double> ga;
    xt::xarray<double> gb;
    for (auto _ : state) {
        xtad::grad_into(std::tie(ga, gb), f, xtad::wrt(a, b));
        benchmark::DoNotOptimize(ga.data());
        benchmark::DoNotOptimize(gb.data());
    }
}

} // namespace

BENCHMARK(inv_hand)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(inv_xtad)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(solve_hand)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(solve_xtad)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
