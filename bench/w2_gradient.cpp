// W2: the gradient of three scalar losses of n values, by xtad's reverse mode, beside the
// hand-written loop of the function alone (the unit: a gradient that costs 2 means twice the
// function) and the hand-written gradient (the limit):
//   sum_sq_sin:  f = sum_i sin(x_i)^2                                  df/dx_i = sin(2 x_i)
//   log_sum_exp: f = log sum_i exp(x_i)                                df/dx_i = softmax(x)_i
//   normal:      f = sum_i -1/2 ((x_i - mu) / sigma)^2 - n log sigma   (gradient in x, mu, sigma)
//   shared:      f = sum_i exp(x_i y_i) sin(x_i + y_i)                 (gradient in x and y)
// The last two differentiate several leaves whose adjoints share values ((x - mu) / sigma; the
// exponential and the sine): xtad computes their gradients in one loop, each shared value once.
// value_and_grad of the sums (sum_sq_sin, shared) takes the value from the gradients' loop.
// Ratios, not times, are the result: docs/performance.md.
#include <xtad/xtad.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <tuple>

namespace {

xt::xarray<double> points(std::size_t n) {
    return xt::linspace<double>(-1.3, 1.1, n);
}

double const mu0 = 0.2;
double const sigma0 = 1.7;

// The hand-written functions, scalar libm loops.

double f_sum_sq_sin(double const* x, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double const v = std::sin(x[i]);
        s += v * v;
    }
    return s;
}

double f_log_sum_exp(double const* x, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        s += std::exp(x[i]);
    }
    return std::log(s);
}

double f_normal(double const* x, std::size_t n, double mu, double sigma) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double const z = (x[i] - mu) / sigma;
        s += -0.5 * z * z;
    }
    return s - static_cast<double>(n) * std::log(sigma);
}

double f_shared(double const* x, double const* y, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        s += std::exp(x[i] * y[i]) * std::sin(x[i] + y[i]);
    }
    return s;
}

/// The second leaf of `shared`.
xt::xarray<double> other_points(std::size_t n) {
    return xt::linspace<double>(0.4, 1.9, n);
}

enum which { sum_sq_sin, log_sum_exp, normal, shared };

void hand_f(benchmark::State& state, which w) {
    auto const n = static_cast<std::size_t>(state.range(0));
    xt::xarray<double> const x = points(n);
    xt::xarray<double> const y = other_points(n);
    for (auto _ : state) {
        double f = 0;
        switch (w) {
        case sum_sq_sin:
            f = f_sum_sq_sin(x.data(), n);
            break;
        case log_sum_exp:
            f = f_log_sum_exp(x.data(), n);
            break;
        case normal:
            f = f_normal(x.data(), n, mu0, sigma0);
            break;
        case shared:
            f = f_shared(x.data(), y.data(), n);
            break;
        }
        benchmark::DoNotOptimize(f);
    }
}

void hand_grad(benchmark::State& state, which w) {
    auto const n = static_cast<std::size_t>(state.range(0));
    xt::xarray<double> const x = points(n);
    xt::xarray<double> const y = other_points(n);
    xt::xarray<double> g(x.shape()), h(x.shape());
    double* const d = g.data();
    double* const dy = h.data();
    double const* const p = x.data();
    double const* const q = y.data();
    for (auto _ : state) {
        double dmu = 0, dsigma = 0;
        switch (w) {
        case sum_sq_sin:
            for (std::size_t i = 0; i < n; ++i) {
                d[i] = std::sin(2 * p[i]);
            }
            break;
        case log_sum_exp: {
            double s = 0;
            for (std::size_t i = 0; i < n; ++i) {
                d[i] = std::exp(p[i]);
                s += d[i];
            }
            for (std::size_t i = 0; i < n; ++i) {
                d[i] /= s;
            }
            break;
        }
        case normal:
            for (std::size_t i = 0; i < n; ++i) {
                double const z = (p[i] - mu0) / sigma0;
                d[i] = -z / sigma0;
                dmu += z / sigma0;
                dsigma += z * z / sigma0;
            }
            dsigma -= static_cast<double>(n) / sigma0;
            break;
        case shared:
            for (std::size_t i = 0; i < n; ++i) {
                double const e = std::exp(p[i] * q[i]);
                double const s = std::sin(p[i] + q[i]);
                double const c = std::cos(p[i] + q[i]);
                d[i] = e * (q[i] * s + c);
                dy[i] = e * (p[i] * s + c);
            }
            break;
        }
        benchmark::DoNotOptimize(d);
        benchmark::DoNotOptimize(dy);
        benchmark::DoNotOptimize(dmu);
        benchmark::DoNotOptimize(dsigma);
        benchmark::ClobberMemory();
    }
}

/// grad_into preallocated gradients: the tree is built once, as a solver would.
void xtad_grad(benchmark::State& state, which w) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    auto x = var<"x">(points(n));
    auto mu = var<"mu">(xt::xarray<double>(mu0));
    auto sigma = var<"sigma">(xt::xarray<double>(sigma0));
    auto y = var<"y">(other_points(n));
    xt::xarray<double> dx(x.value().shape()), dmu(mu.value().shape()), dsigma(mu.value().shape());
    xt::xarray<double> dy(x.value().shape());
    auto const one = xt::xarray<double>(1.0);
    auto run = [&](auto const& f, auto const& leaves, auto targets) {
        for (auto _ : state) {
            grad_into(targets, f, leaves, one);
            benchmark::DoNotOptimize(dx.data());
            benchmark::ClobberMemory();
        }
    };
    switch (w) {
    case sum_sq_sin:
        run(sum(pow<2>(sin(x))), wrt(x), std::tie(dx));
        break;
    case log_sum_exp:
        run(log(sum(exp(x))), wrt(x), std::tie(dx));
        break;
    case normal:
        run(sum(-0.5 * pow<2>((x - mu) / sigma)) - static_cast<double>(n) * log(sigma),
            wrt(x, mu, sigma), std::tie(dx, dmu, dsigma));
        break;
    case shared:
        run(sum(exp(x * y) * sin(x + y)), wrt(x, y), std::tie(dx, dy));
        break;
    }
}

/// value_and_grad at a point: the value and the gradients of a sum come from one loop (the
/// adjoint pass's), not from an evaluation and a gradient. Each call copies the point and
/// allocates the results, as value_and_grad does.
void xtad_value_and_grad(benchmark::State& state, which w) {
    using namespace xtad;
    auto const n = static_cast<std::size_t>(state.range(0));
    xt::xarray<double> const x = points(n);
    xt::xarray<double> const y = other_points(n);
    auto const sq = [](auto const& a) { return sum(pow<2>(sin(a))); };
    auto const sh = [](auto const& a, auto const& b) { return sum(exp(a * b) * sin(a + b)); };
    for (auto _ : state) {
        if (w == sum_sq_sin) {
            auto r = value_and_grad(sq, at(x));
            benchmark::DoNotOptimize(std::get<1>(r).data());
        } else {
            auto r = value_and_grad(sh, at(x, y));
            benchmark::DoNotOptimize(std::get<0>(std::get<1>(r)).data());
        }
        benchmark::ClobberMemory();
    }
}

void sizes(benchmark::internal::Benchmark* b) {
    for (long n : {10, 1000, 100000}) {
        b->Arg(n);
    }
}

} // namespace

BENCHMARK_CAPTURE(hand_f, sum_sq_sin, sum_sq_sin)->Apply(sizes);
BENCHMARK_CAPTURE(hand_grad, sum_sq_sin, sum_sq_sin)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_grad, sum_sq_sin, sum_sq_sin)->Apply(sizes);
BENCHMARK_CAPTURE(hand_f, log_sum_exp, log_sum_exp)->Apply(sizes);
BENCHMARK_CAPTURE(hand_grad, log_sum_exp, log_sum_exp)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_grad, log_sum_exp, log_sum_exp)->Apply(sizes);
BENCHMARK_CAPTURE(hand_f, normal, normal)->Apply(sizes);
BENCHMARK_CAPTURE(hand_grad, normal, normal)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_grad, normal, normal)->Apply(sizes);
BENCHMARK_CAPTURE(hand_f, shared, shared)->Apply(sizes);
BENCHMARK_CAPTURE(hand_grad, shared, shared)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_grad, shared, shared)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_value_and_grad, sum_sq_sin, sum_sq_sin)->Apply(sizes);
BENCHMARK_CAPTURE(xtad_value_and_grad, shared, shared)->Apply(sizes);

BENCHMARK_MAIN();
