// The gradient through a loop beside the same gradient written by hand: the loss sum(x_T²) after
// T explicit Euler steps x ← x + h (−k x + sin x) of an n-element state, with respect to x₀ and
// k. The hand-written code keeps every state on the way forward and runs the adjoint recurrence
// back over them in one loop per step; xtad keeps every carry (checkpoint::all) or ⌈√T⌉ of them
// (checkpoint::sqrt). libtorch, one thread, runs the same loop eagerly when the bench is built
// with -Dtorch=enabled. Each gradient also reports the peak of the memory it allocates
// (counter peak_MB). Results: docs/performance.md.
#include <xtad/loops.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <tuple>
#include <vector>

#if XTAD_BENCH_TORCH
#include <torch/torch.h>
#endif

// Every allocation of this program is counted, so that a benchmark can report the peak of the
// memory one gradient holds.
namespace {
std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
} // namespace

void* operator new(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (!p) {
        throw std::bad_alloc();
    }
    std::size_t const now = live_bytes += malloc_usable_size(p);
    std::size_t peak = peak_bytes.load();
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
    }
    return p;
}
void operator delete(void* p) noexcept {
    if (p) {
        live_bytes -= malloc_usable_size(p);
        std::free(p);
    }
}
void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}

namespace {

constexpr double h = 0.01;
constexpr double k0 = 0.7;

xt::xarray<double> start(std::size_t n) {
    xt::xarray<double> x = xt::zeros<double>({n});
    for (std::size_t i = 0; i < n; ++i) {
        x(i) = 2. * std::sin(0.37 * static_cast<double>(i));
    }
    return x;
}

/// Runs `gradient` once more, measuring the peak of what it allocates beyond what was live.
template <class F>
void report_peak(benchmark::State& state, F const& gradient) {
    std::size_t const before = live_bytes.load();
    peak_bytes = before;
    gradient();
    state.counters["peak_MB"] = static_cast<double>(peak_bytes.load() - before) / 1e6;
}

/// By hand: the states x_0 ... x_{T−1} kept, then g = 2 x_T and, back over the steps,
/// dk += Σ g (−h x), g ← g (1 + h (−k + cos x)).
void euler_hand(benchmark::State& state) {
    std::size_t const n = static_cast<std::size_t>(state.range(0));
    std::size_t const steps = static_cast<std::size_t>(state.range(1));
    xt::xarray<double> const x0 = start(n);
    std::vector<double> xs;
    std::vector<double> g(n);
    double gk = 0;
    auto const gradient = [&] {
        xs.assign(n * (steps + 1), 0.);
        std::copy(x0.begin(), x0.end(), xs.begin());
        for (std::size_t t = 0; t < steps; ++t) {
            double const* x = xs.data() + t * n;
            double* y = xs.data() + (t + 1) * n;
            for (std::size_t i = 0; i < n; ++i) {
                y[i] = x[i] + h * (-k0 * x[i] + std::sin(x[i]));
            }
        }
        double const* last = xs.data() + steps * n;
        for (std::size_t i = 0; i < n; ++i) {
            g[i] = 2. * last[i];
        }
        gk = 0;
        for (std::size_t t = steps; t-- > 0;) {
            double const* x = xs.data() + t * n;
            for (std::size_t i = 0; i < n; ++i) {
                gk -= g[i] * h * x[i];
                g[i] *= 1. + h * (-k0 + std::cos(x[i]));
            }
        }
        xs = std::vector<double>(); // what the gradient kept is freed, as xtad's is
    };
    for (auto _ : state) {
        gradient();
        benchmark::DoNotOptimize(g.data());
        benchmark::DoNotOptimize(gk);
    }
    report_peak(state, gradient);
}

void euler_xtad(benchmark::State& state, xtad::checkpoint keep) {
    std::size_t const n = static_cast<std::size_t>(state.range(0));
    std::size_t const steps = static_cast<std::size_t>(state.range(1));
    auto x0 = xtad::var<"x0">(start(n));
    auto k = xtad::var<"k">(xt::xarray<double>(k0));
    auto const xT = xtad::fori_loop(
        0, steps, [&](auto const& x, std::size_t) { return x + h * (-k * x + sin(x)); }, x0, keep);
    auto const loss = xtad::sum(xtad::pow<2>(xT));
    xt::xarray<double> gx;
    xt::xarray<double> gk;
    auto const gradient = [&] { xtad::grad_into(std::tie(gx, gk), loss, xtad::wrt(x0, k)); };
    for (auto _ : state) {
        gradient();
        benchmark::DoNotOptimize(gx.data());
        benchmark::DoNotOptimize(gk.data());
    }
    report_peak(state, gradient);
}

void euler_xtad_all(benchmark::State& state) {
    euler_xtad(state, xtad::checkpoint::all());
}

void euler_xtad_sqrt(benchmark::State& state) {
    euler_xtad(state, xtad::checkpoint::sqrt());
}

#if XTAD_BENCH_TORCH
void euler_torch(benchmark::State& state) {
    torch::set_num_threads(1);
    std::size_t const n = static_cast<std::size_t>(state.range(0));
    std::size_t const steps = static_cast<std::size_t>(state.range(1));
    xt::xarray<double> const s = start(n);
    auto const opts = torch::TensorOptions().dtype(torch::kFloat64);
    torch::Tensor const x0 =
        torch::from_blob(const_cast<double*>(s.data()), {static_cast<long>(n)}, opts)
            .clone()
            .requires_grad_(true);
    torch::Tensor const k = torch::tensor(k0, opts).requires_grad_(true);
    auto const gradient = [&] {
        torch::Tensor x = x0;
        for (std::size_t t = 0; t < steps; ++t) {
            x = x + h * (-k * x + torch::sin(x));
        }
        auto const g = torch::autograd::grad({torch::sum(x * x)}, {x0, k});
        benchmark::DoNotOptimize(g[0].data_ptr());
    };
    for (auto _ : state) {
        gradient();
    }
    // No peak: torch allocates its tensors with posix_memalign, which this program does not count.
}
#endif

} // namespace

// (n, T): the 10³-element state over 10³ steps, then 10⁵ steps for the memory.
BENCHMARK(euler_hand)->Args({1000, 1000})->Args({1000, 100000})->Unit(benchmark::kMillisecond);
BENCHMARK(euler_xtad_all)->Args({1000, 1000})->Args({1000, 100000})->Unit(benchmark::kMillisecond);
BENCHMARK(euler_xtad_sqrt)->Args({1000, 1000})->Args({1000, 100000})->Unit(benchmark::kMillisecond);
#if XTAD_BENCH_TORCH
BENCHMARK(euler_torch)->Args({1000, 1000})->Unit(benchmark::kMillisecond);
#endif

BENCHMARK_MAIN();
