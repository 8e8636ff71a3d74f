// W1: Q = 3a^3 - b^2 with its gradients dQ/da and dQ/db, by xtad's reverse mode and by the
// hand-written single loop that is the limit. Ratios, not times, are the result: see
// bench/README.md and docs/performance.md.
#include <xtad/eval/build.hpp>
#include <xtad/ops/arithmetic.hpp>
#include <xtad/ops/power.hpp>
#include <xtad/reverse/derivative.hpp>
#include <xtad/reverse/grad.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <tuple>

namespace {

xt::xarray<double> points(std::size_t n, double offset) {
    return xt::linspace<double>(-1.0 + offset, 1.0 + offset, n);
}

/// The limit: one loop computing Q and both gradients, into preallocated outputs.
void hand_loop(benchmark::State& state) {
    auto const n = static_cast<std::size_t>(state.range(0));
    xt::xarray<double> const a = points(n, 0.1);
    xt::xarray<double> const b = points(n, 0.2);
    xt::xarray<double> q(a.shape()), da(a.shape()), db(a.shape());
    for (auto _ : state) {
        double const* pa = a.data();
        double const* pb = b.data();
        double* pq = q.data();
        double* pda = da.data();
        double* pdb = db.data();
        for (std::size_t i = 0; i < n; ++i) {
            double const x = pa[i];
            double const y = pb[i];
            pq[i] = 3 * x * x * x - y * y;
            pda[i] = 9 * x * x;
            pdb[i] = -2 * y;
        }
        benchmark::DoNotOptimize(pq);
        benchmark::DoNotOptimize(pda);
        benchmark::DoNotOptimize(pdb);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(n));
}

/// xtad into preallocated outputs: eval_into for Q, grad_into for the adjoints (each one
/// fused xtensor loop).
void xtad_into(benchmark::State& state) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    auto a = var<"a">(points(n, 0.1));
    auto b = var<"b">(points(n, 0.2));
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    xt::xarray<double> q(a.value().shape()), da(a.value().shape()), db(a.value().shape());
    for (auto _ : state) {
        eval_into(q, Q);
        grad_into(std::tie(da, db), Q, wrt(a, b), ones_like(Q));
        benchmark::DoNotOptimize(q.data());
        benchmark::DoNotOptimize(da.data());
        benchmark::DoNotOptimize(db.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(n));
}

/// grad as eval of derivative(): the same adjoint expressions, built once outside the loop and
/// evaluated with eval_into. The fit node at each derivative's root materialises its argument
/// (it cannot know at compile time that nothing was broadcast), which grad_into avoids.
void xtad_derivative(benchmark::State& state) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    auto a = var<"a">(points(n, 0.1));
    auto b = var<"b">(points(n, 0.2));
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    auto const [dQa, dQb] = derivative(Q, wrt(a, b), ones_like(Q));
    xt::xarray<double> q(a.value().shape()), da(a.value().shape()), db(a.value().shape());
    for (auto _ : state) {
        eval_into(q, Q);
        eval_into(da, dQa);
        eval_into(db, dQb);
        benchmark::DoNotOptimize(q.data());
        benchmark::DoNotOptimize(da.data());
        benchmark::DoNotOptimize(db.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(n));
}

/// xtad as a user writes it first: eval and grad returning new tensors.
void xtad_alloc(benchmark::State& state) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    auto a = var<"a">(points(n, 0.1));
    auto b = var<"b">(points(n, 0.2));
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    for (auto _ : state) {
        auto q = eval(Q);
        auto [da, db] = grad(Q, wrt(a, b), ones_like(Q));
        benchmark::DoNotOptimize(q.data());
        benchmark::DoNotOptimize(da.data());
        benchmark::DoNotOptimize(db.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(n));
}

/// xtad with an arbitrary (runtime) seed tensor instead of ones_like.
void xtad_seeded(benchmark::State& state) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    auto a = var<"a">(points(n, 0.1));
    auto b = var<"b">(points(n, 0.2));
    auto Q = 3 * pow<3>(a) - pow<2>(b);
    xt::xarray<double> const seed = xt::ones<double>({n});
    xt::xarray<double> q(a.value().shape()), da(a.value().shape()), db(a.value().shape());
    for (auto _ : state) {
        eval_into(q, Q);
        grad_into(std::tie(da, db), Q, wrt(a, b), seed);
        benchmark::DoNotOptimize(da.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<long>(n));
}

} // namespace

BENCHMARK(hand_loop)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(xtad_into)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(xtad_derivative)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(xtad_alloc)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(xtad_seeded)->Arg(1000)->Arg(100000)->Arg(1000000);

BENCHMARK_MAIN();
