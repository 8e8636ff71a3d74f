// Jacobians by forward mode (jacfwd: dual numbers, 8 columns a pass) and by reverse mode
// (jacrev: one adjoint pass a row), over a grid of (n inputs, m outputs), beside the hand-written
// Jacobian; and the small Jacobians a solver takes millions of times (the notebook's 2 x 2, a
// 3 x 3 residual) with xarray and with fixed-size containers; and the gradient of a loss written
// term by term with x(i), beside the hand-written gradient.
// Which is faster where, and whether jacobian() picks the faster side: docs/performance.md.
#include <xtad/functional.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <tuple>

namespace {

using xtad::at;

/// The test function R^n -> R^m: y_i = sum_j tanh(A_ij * sin(x_j)), with A an m x n matrix.
struct problem {
    std::size_t n, m;
    xt::xarray<double> A, x0;
    problem(std::size_t n_, std::size_t m_)
        : n(n_)
        , m(m_)
        , A(std::vector<std::size_t>{m_, n_})
        , x0(std::vector<std::size_t>{n_}) {
        for (std::size_t i = 0; i < A.size(); ++i) {
            A.flat(i) = std::cos(0.37 * static_cast<double>(i));
        }
        for (std::size_t j = 0; j < n; ++j) {
            x0(j) = 0.1 + 0.01 * static_cast<double>(j);
        }
    }
    // A outlives every call, and a copy per call is not what is measured: held by reference.
    auto fn() const {
        return [this](auto const& x) {
            return xtad::sum(xtad::tanh(xtad::ref(A) * xtad::sin(x)), {1});
        };
    }
};

/// The limit: dy_i/dx_j = (1 - tanh^2(A_ij sin x_j)) A_ij cos x_j, one loop.
void hand(benchmark::State& state) {
    problem const p(static_cast<std::size_t>(state.range(0)),
                    static_cast<std::size_t>(state.range(1)));
    xt::xarray<double> J(std::vector<std::size_t>{p.m, p.n});
    for (auto _ : state) {
        for (std::size_t i = 0; i < p.m; ++i) {
            for (std::size_t j = 0; j < p.n; ++j) {
                double const s = std::sin(p.x0(j));
                double const t = std::tanh(p.A(i, j) * s);
                J(i, j) = (1 - t * t) * p.A(i, j) * std::cos(p.x0(j));
            }
        }
        benchmark::DoNotOptimize(J.data());
        benchmark::ClobberMemory();
    }
}

void forward(benchmark::State& state) {
    problem const p(static_cast<std::size_t>(state.range(0)),
                    static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        auto J = xtad::jacfwd(p.fn(), at(p.x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void reverse(benchmark::State& state) {
    problem const p(static_cast<std::size_t>(state.range(0)),
                    static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        auto J = xtad::jacrev(p.fn(), at(p.x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void automatic(benchmark::State& state) {
    problem const p(static_cast<std::size_t>(state.range(0)),
                    static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        auto J = xtad::jacobian(p.fn(), at(p.x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void grid(benchmark::internal::Benchmark* b) {
    for (long n : {1, 2, 10, 100, 1000}) {
        for (long m : {1, 2, 10, 100, 1000}) {
            if (n * m <= 100000) {
                b->Args({n, m});
            }
        }
    }
}

auto const notebook = [](auto const& x) {
    return xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)),
                       xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
};

/// The notebook's Jacobian by hand: [[2 x0, 3 x1^2], [3 x0^2, 2 x1]].
void seed_hand(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<2>> const x = {1., 2.};
    xt::xtensor_fixed<double, xt::xshape<2, 2>> J;
    for (auto _ : state) {
        J(0, 0) = 2 * x(0);
        J(0, 1) = 3 * x(1) * x(1);
        J(1, 0) = 3 * x(0) * x(0);
        J(1, 1) = 2 * x(1);
        benchmark::DoNotOptimize(J.data());
        benchmark::ClobberMemory();
    }
}

void seed_forward_xarray(benchmark::State& state) {
    xt::xarray<double> const x0 = {1., 2.};
    for (auto _ : state) {
        auto J = xtad::jacfwd(notebook, at(x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void seed_reverse_xarray(benchmark::State& state) {
    xt::xarray<double> const x0 = {1., 2.};
    for (auto _ : state) {
        auto J = xtad::jacrev(notebook, at(x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void seed_forward_fixed(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<2>> const x0 = {1., 2.};
    for (auto _ : state) {
        auto J = xtad::jacfwd(notebook, at(x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void seed_reverse_fixed(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<2>> const x0 = {1., 2.};
    for (auto _ : state) {
        auto J = xtad::jacrev(notebook, at(x0));
        benchmark::DoNotOptimize(J.data());
    }
}

void seed_dual_scalar(benchmark::State& state) {
    // The same Jacobian with duals on plain numbers (no tensors): the floor for forward mode.
    using D = xtad::dual<double, 2>;
    for (auto _ : state) {
        D const x0(1., {1., 0.});
        D const x1(2., {0., 1.});
        D const z0 = xtad::pow<2>(x0) + xtad::pow<3>(x1);
        D const z1 = xtad::pow<3>(x0) + xtad::pow<2>(x1);
        benchmark::DoNotOptimize(z0);
        benchmark::DoNotOptimize(z1);
    }
}

/// A residual of three unknowns, as a Newton solver takes its Jacobian: elementwise ops, a
/// where, elements used several times.
auto const residual = [](auto const& x) {
    return xtad::stack(xtad::sin(x(0)) * xtad::exp(x(1)) - 2 * x(2), x(0) * x(1) * x(2) - 1.5,
                       xtad::where(x(2) > 0, xtad::sqrt(x(2) + x(0) * x(0)), -x(1)));
};

void residual_hand(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<3>> x = {0.3, -0.7, 1.2};
    xt::xtensor_fixed<double, xt::xshape<3, 3>> J;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x.data());
        double const a = x(0), b = x(1), c = x(2);
        double const r = std::sqrt(c + a * a);
        J = {{std::cos(a) * std::exp(b), std::sin(a) * std::exp(b), -2.},
             {b * c, a * c, a * b},
             {a / r, 0., 0.5 / r}};
        benchmark::DoNotOptimize(J.data());
        benchmark::ClobberMemory();
    }
}

using point3_fixed = xt::xtensor_fixed<double, xt::xshape<3>>;
using point3_xarray = xt::xarray<double>;
auto const by_jacfwd = [](auto const& f, auto const& p) { return xtad::jacfwd(f, p); };
auto const by_jacrev = [](auto const& f, auto const& p) { return xtad::jacrev(f, p); };

/// The residual's Jacobian at a point of type X, by `transform` (jacfwd or jacrev).
template <class X, class T>
void residual_jacobian(benchmark::State& state, T const& transform) {
    X x = {0.3, -0.7, 1.2};
    for (auto _ : state) {
        benchmark::DoNotOptimize(x.data());
        auto J = transform(residual, at(x));
        benchmark::DoNotOptimize(J.data());
    }
}

void residual_jacfwd_fixed(benchmark::State& state) {
    residual_jacobian<point3_fixed>(state, by_jacfwd);
}
void residual_jacfwd_xarray(benchmark::State& state) {
    residual_jacobian<point3_xarray>(state, by_jacfwd);
}
void residual_jacrev_xarray(benchmark::State& state) {
    residual_jacobian<point3_xarray>(state, by_jacrev);
}
void residual_jacrev_fixed(benchmark::State& state) {
    residual_jacobian<point3_fixed>(state, by_jacrev);
}

} // namespace

/// A loss written term by term, as a user writes it with x(i): a 3-variable Rosenbrock.
auto const rosenbrock3 = [](auto const& x) {
    return 100. * xtad::pow<2>(x(1) - xtad::pow<2>(x(0))) + xtad::pow<2>(1. - x(0))
           + 100. * xtad::pow<2>(x(2) - xtad::pow<2>(x(1))) + xtad::pow<2>(1. - x(1));
};

void loss_grad_hand(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<3>> x = {1.2, 0.8, 0.5};
    xt::xtensor_fixed<double, xt::xshape<3>> g;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x.data());
        double const a = x(1) - x(0) * x(0), b = x(2) - x(1) * x(1);
        g(0) = -400. * a * x(0) - 2. * (1. - x(0));
        g(1) = 200. * a - 400. * b * x(1) - 2. * (1. - x(1));
        g(2) = 200. * b;
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
    }
}

/// grad_into a preallocated gradient, the tree built once: a tree of numbers, swept.
void loss_grad_into(benchmark::State& state) {
    auto x = xtad::var<"x">(xt::xarray<double>{1.2, 0.8, 0.5});
    auto const f = rosenbrock3(x);
    xt::xarray<double> g = xt::zeros<double>({3});
    for (auto _ : state) {
        xtad::grad_into(std::tie(g), f, xtad::wrt(x));
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
    }
}

/// value_and_grad at a fixed-size point: fixed-size leaves, value and gradient, one sweep, the
/// tree built in every call (the transform's whole cost), nothing allocated.
void loss_value_and_grad_fixed(benchmark::State& state) {
    xt::xtensor_fixed<double, xt::xshape<3>> const x = {1.2, 0.8, 0.5};
    for (auto _ : state) {
        auto [value, g] = xtad::value_and_grad(rosenbrock3, xtad::at(x));
        benchmark::DoNotOptimize(g.data());
        benchmark::DoNotOptimize(value.data());
    }
}

/// The same at an xarray point: the point's copy, the value and the gradient are allocated.
void loss_value_and_grad_xarray(benchmark::State& state) {
    xt::xarray<double> const x = {1.2, 0.8, 0.5};
    for (auto _ : state) {
        auto [value, g] = xtad::value_and_grad(rosenbrock3, xtad::at(x));
        benchmark::DoNotOptimize(g.data());
        benchmark::DoNotOptimize(value.data());
    }
}

BENCHMARK(hand)->Apply(grid);
BENCHMARK(forward)->Apply(grid);
BENCHMARK(reverse)->Apply(grid);
BENCHMARK(automatic)->Apply(grid);
BENCHMARK(seed_hand);
BENCHMARK(seed_forward_xarray);
BENCHMARK(seed_reverse_xarray);
BENCHMARK(seed_forward_fixed);
BENCHMARK(seed_reverse_fixed);
BENCHMARK(seed_dual_scalar);
BENCHMARK(residual_hand);
BENCHMARK(residual_jacfwd_fixed);
BENCHMARK(residual_jacfwd_xarray);
BENCHMARK(residual_jacrev_xarray);
BENCHMARK(residual_jacrev_fixed);
BENCHMARK(loss_grad_hand);
BENCHMARK(loss_grad_into);
BENCHMARK(loss_value_and_grad_fixed);
BENCHMARK(loss_value_and_grad_xarray);

BENCHMARK_MAIN();
