// Forward mode through a loop that runs at run time (docs/tutorial.md, "Forward mode by
// hand"): explicit Euler steps of logistic growth on a tensor of dual numbers give the final state
// and its derivatives by both parameters in the same pass. They are checked against the
// sensitivity equations stepped by hand; a mismatch exits with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstddef>
#include <iostream>

int main() {
    double const t_end = 5.0;
    // [loop]
    // du/dt = r u (1 - u / K) for three populations, by explicit Euler steps of h until t_end.
    // The two parameters carry one tangent each: d/dr and d/dK.
    using D = xtad::dual<double, 2>;
    D const r(0.8, {1.0, 0.0});
    D const K(10.0, {0.0, 1.0});
    xt::xarray<D> u = {D(1.0), D(2.0), D(5.0)};

    double const h = 0.01;
    std::size_t steps = 0;
    for (double t = 0.0; t + h / 2 < t_end; t += h, ++steps) { // the trip count is a run-time value
        u = u + h * r * u * (1.0 - u / K);                     // plain xtensor on dual numbers
    }
    // u(i).val is population i at t_end, u(i).eps[0] its derivative by r, u(i).eps[1] by K.
    std::cout << u(0) << '\n'; // dual(8.5834; 6.09527 0.722415)
    // [loop]

    // By hand: the same steps on doubles, with the derivatives of each step by r (v) and by K (w).
    double const rv = 0.8, Kv = 10.0, u0[3] = {1.0, 2.0, 5.0};
    int failures = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        double x = u0[i], v = 0.0, w = 0.0;
        for (std::size_t s = 0; s < steps; ++s) {
            double const dv = x * (1 - x / Kv) + rv * v * (1 - 2 * x / Kv);
            double const dw = rv * (w * (1 - 2 * x / Kv) + x * x / (Kv * Kv));
            x += h * rv * x * (1 - x / Kv);
            v += h * dv;
            w += h * dw;
        }
        auto const differs = [](double a, double b) {
            return std::abs(a - b) > 1e-12 * (1 + std::abs(b));
        };
        if (differs(u(i).val, x) || differs(u(i).eps[0], v) || differs(u(i).eps[1], w)) {
            std::cerr << "euler_loop.cpp: population " << i << ": " << u(i) << ", by hand " << x
                      << ' ' << v << ' ' << w << '\n';
            ++failures;
        }
    }
    if (steps != 500) {
        std::cerr << "euler_loop.cpp: " << steps << " steps, not 500\n";
        ++failures;
    }
    return failures == 0 ? 0 : 1;
}
