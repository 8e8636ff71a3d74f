// Gradients through matrix products beside the same gradients written by hand with BLAS: the
// logistic-regression loss mean(log(1 + exp(-y (X w)))) with respect to w (X of 10^4 or 10^5
// rows and 100 columns), and sum(matmul(A, B)) with respect to A and B for n = 10, 100, 500.
// The value and adjoint products are the work; anything else xtad adds shows in the ratio.
// And A ∘ Aᵀ evaluated into a tensor, beside a hand loop and xtensor's own expression: the
// transpose is read in place. Results: docs/performance.md.
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <benchmark/benchmark.h>
#include <xtensor-blas/xblas.hpp>

#include <cmath>
#include <cstddef>
#include <tuple>
#include <vector>

namespace {

using I = xt::blas_index_t;

/// y (m) = op(A) x for a row-major m x n (n x m if transposed) matrix A.
void gemv(bool trans, std::size_t rows, std::size_t cols, double const* a, double const* x,
          double* y) {
    cxxblas::gemv<I>(cxxblas::StorageOrder::RowMajor,
                     trans ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
                     static_cast<I>(rows), static_cast<I>(cols), 1.0, a, static_cast<I>(cols), x, 1,
                     0.0, y, 1);
}

/// C (m x n) = op(A) op(B), row-major.
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double const* a,
          double const* b, double* c) {
    auto const t = [](bool x) {
        return x ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans;
    };
    cxxblas::gemm<I>(cxxblas::StorageOrder::RowMajor, t(ta), t(tb), static_cast<I>(m),
                     static_cast<I>(n), static_cast<I>(k), 1.0, a, static_cast<I>(ta ? m : k), b,
                     static_cast<I>(tb ? k : n), 0.0, c, static_cast<I>(n));
}

struct logistic {
    std::size_t rows, cols;
    xt::xarray<double> X, y, w;
    explicit logistic(std::size_t n)
        : rows(n)
        , cols(100)
        , X(std::vector<std::size_t>{n, 100})
        , y(std::vector<std::size_t>{n})
        , w(std::vector<std::size_t>{100}) {
        for (std::size_t i = 0; i < X.size(); ++i) {
            X.flat(i) = std::sin(0.37 * static_cast<double>(i));
        }
        for (std::size_t i = 0; i < rows; ++i) {
            y(i) = i % 3 == 0 ? -1. : 1.;
        }
        for (std::size_t j = 0; j < cols; ++j) {
            w(j) = 0.01 * static_cast<double>(j % 7) - 0.02;
        }
    }
};

/// By hand: z = X w (gemv); r_i = -y_i sigmoid(-y_i z_i) / n; g = X^T r (gemv).
void logistic_hand(benchmark::State& state) {
    logistic const p(static_cast<std::size_t>(state.range(0)));
    std::vector<double> z(p.rows);
    std::vector<double> g(p.cols);
    for (auto _ : state) {
        gemv(false, p.rows, p.cols, p.X.data(), p.w.data(), z.data());
        double const scale = 1. / static_cast<double>(p.rows);
        for (std::size_t i = 0; i < p.rows; ++i) {
            double const m = -p.y(i) * z[i];
            z[i] = -p.y(i) * scale / (1. + std::exp(-m));
        }
        gemv(true, p.rows, p.cols, p.X.data(), z.data(), g.data());
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
    }
}

void logistic_xtad(benchmark::State& state) {
    logistic p(static_cast<std::size_t>(state.range(0)));
    auto w = xtad::var<"w">(p.w);
    // X and y outlive the loss and are large: held by reference, not copied into the tree.
    auto const loss =
        xtad::mean(xtad::log1p(xtad::exp(-xtad::ref(p.y) * xtad::matmul(xtad::ref(p.X), w))));
    xt::xarray<double> g;
    for (auto _ : state) {
        xtad::grad_into(std::tie(g), loss, xtad::wrt(w));
        benchmark::DoNotOptimize(g.data());
    }
}

struct square {
    std::size_t n;
    xt::xarray<double> A, B;
    explicit square(std::size_t n_)
        : n(n_)
        , A(std::vector<std::size_t>{n_, n_})
        , B(std::vector<std::size_t>{n_, n_}) {
        for (std::size_t i = 0; i < A.size(); ++i) {
            A.flat(i) = std::sin(0.37 * static_cast<double>(i));
            B.flat(i) = std::cos(0.11 * static_cast<double>(i));
        }
    }
};

/// By hand: d sum(AB)/dA = G B^T and d/dB = A^T G with G the ones: two gemms.
void matmul_hand(benchmark::State& state) {
    square const p(static_cast<std::size_t>(state.range(0)));
    std::size_t const n = p.n;
    std::vector<double> const ones(n * n, 1.);
    std::vector<double> ga(n * n);
    std::vector<double> gb(n * n);
    for (auto _ : state) {
        gemm(false, true, n, n, n, ones.data(), p.B.data(), ga.data());
        gemm(true, false, n, n, n, p.A.data(), ones.data(), gb.data());
        benchmark::DoNotOptimize(ga.data());
        benchmark::DoNotOptimize(gb.data());
        benchmark::ClobberMemory();
    }
}

void matmul_xtad(benchmark::State& state) {
    square p(static_cast<std::size_t>(state.range(0)));
    auto a = xtad::var<"A">(p.A);
    auto b = xtad::var<"B">(p.B);
    auto const f = xtad::sum(xtad::matmul(a, b));
    xt::xarray<double> ga;
    xt::xarray<double> gb;
    for (auto _ : state) {
        xtad::grad_into(std::tie(ga, gb), f, xtad::wrt(a, b));
        benchmark::DoNotOptimize(ga.data());
        benchmark::DoNotOptimize(gb.data());
    }
}

/// A ∘ Aᵀ (the notebook's cell 162) into a tensor held between calls. By hand: one loop reading
/// A(j, i) beside A(i, j).
void hadamard_transpose_hand(benchmark::State& state) {
    square const p(static_cast<std::size_t>(state.range(0)));
    std::size_t const n = p.n;
    xt::xarray<double> out(std::vector<std::size_t>{n, n});
    double const* a = p.A.data();
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                out.data()[i * n + j] = a[i * n + j] * a[j * n + i];
            }
        }
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
}

/// The same by xtensor's own lazy expression, assigned without a temporary.
void hadamard_transpose_xtensor(benchmark::State& state) {
    square const p(static_cast<std::size_t>(state.range(0)));
    xt::xarray<double> out(std::vector<std::size_t>{p.n, p.n});
    for (auto _ : state) {
        xt::noalias(out) = p.A * xt::transpose(p.A);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
}

/// The same by xtad: one loop reading the leaf through the transpose's strides, no copy.
void hadamard_transpose_xtad(benchmark::State& state) {
    square p(static_cast<std::size_t>(state.range(0)));
    auto a = xtad::var<"A">(p.A);
    auto const f = a * xtad::transpose(a);
    xt::xarray<double> out(std::vector<std::size_t>{p.n, p.n});
    for (auto _ : state) {
        xtad::eval_into(out, f);
        benchmark::DoNotOptimize(out.data());
    }
}

} // namespace

BENCHMARK(hadamard_transpose_hand)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(hadamard_transpose_xtensor)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(hadamard_transpose_xtad)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(logistic_hand)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(logistic_xtad)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(matmul_hand)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(matmul_xtad)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
