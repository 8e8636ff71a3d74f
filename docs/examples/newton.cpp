// Newton's method on the chained Rosenbrock function in 10 dimensions, written term by term with
// x(i): the gradient from jacrev, the Hessian from hessian (forward over reverse), the step from
// xtensor-blas's solve. Each gradient and Hessian is checked against the ones written by hand, and
// the minimum against the known one, x = (1, ..., 1); a mismatch exits with 1.
#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <utility>

namespace {

constexpr std::size_t n = 10;

// f(x) = sum over i < n-1 of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2: n - 1 terms, unrolled at
// compile time (the tree is a type, so its size is fixed).
auto rosenbrock = [](auto const& x) {
    return [&]<std::size_t... i>(std::index_sequence<i...>) {
        return ((100 * xtad::pow<2>(x(i + 1) - xtad::pow<2>(x(i))) + xtad::pow<2>(1 - x(i))) + ...);
    }
    (std::make_index_sequence<n - 1>{});
};

// The gradient and the (tridiagonal) Hessian, by hand.
void by_hand(xt::xarray<double> const& x, xt::xarray<double>& g, xt::xarray<double>& h) {
    g = xt::zeros<double>({n});
    h = xt::zeros<double>({n, n});
    for (std::size_t i = 0; i + 1 < n; ++i) {
        double const a = x(i + 1) - x(i) * x(i);
        g(i) += -400 * x(i) * a - 2 * (1 - x(i));
        g(i + 1) += 200 * a;
        h(i, i) += -400 * a + 800 * x(i) * x(i) + 2;
        h(i + 1, i + 1) += 200;
        h(i, i + 1) += -400 * x(i);
        h(i + 1, i) += -400 * x(i);
    }
}

bool close(xt::xarray<double> const& a, xt::xarray<double> const& b, double tol) {
    return a.shape() == b.shape() && xt::all(xt::abs(a - b) <= tol * (1 + xt::abs(b)));
}

} // namespace

int main() {
    // The classic start, (-1.2, 1) repeated; plain Newton reaches the minimum from there.
    xt::xarray<double> x = {-1.2, 1., -1.2, 1., -1.2, 1., -1.2, 1., -1.2, 1.};
    int steps = 0;
    for (; steps < 50; ++steps) {
        xt::xarray<double> g = xtad::jacrev(rosenbrock, xtad::at(x));  // shape (10)
        xt::xarray<double> h = xtad::hessian(rosenbrock, xtad::at(x)); // shape (10, 10)
        xt::xarray<double> g_hand, h_hand;
        by_hand(x, g_hand, h_hand);
        if (!close(g, g_hand, 1e-12) || !close(h, h_hand, 1e-12)) {
            std::cerr << "newton.cpp: step " << steps
                      << ": the derivatives differ from the ones by hand\n"
                      << "gradient " << g << "\nby hand  " << g_hand << "\nHessian\n"
                      << h << "\nby hand\n"
                      << h_hand << '\n';
            return 1;
        }
        if (xt::amax(xt::abs(g))() < 1e-10) {
            break;
        }
        x -= xt::linalg::solve(h, g);
    }
    std::cout << "minimum after " << steps << " Newton steps: " << xtad::repr(x) << '\n';
    if (steps == 50 || !close(x, xt::ones<double>({n}), 1e-12)) {
        std::cerr << "newton.cpp: did not reach (1, ..., 1)\n";
        return 1;
    }
    return 0;
}
