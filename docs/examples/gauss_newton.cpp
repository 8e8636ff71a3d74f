// A Gauss-Newton least-squares fit of y = p0 exp(p1 t): the residuals are an xtad expression of
// the parameters, value_and_jacobian() gives them and their Jacobian in one call, and
// xtensor-blas solves the normal equations. Each step's residuals and Jacobian are checked
// against the ones written by hand, and the fit against the parameters the data were made with;
// a mismatch exits with 1.
#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cmath>
#include <iostream>

int main() {
    // Nine points of y = 2.5 exp(-1.3 t), without noise: the fit must find p = (2.5, -1.3).
    xt::xarray<double> const t = xt::linspace<double>(0., 2., 9);
    xt::xarray<double> const y = 2.5 * xt::exp(-1.3 * t);

    auto residuals = [&](auto const& p) { return p(0) * xtad::exp(p(1) * t) - y; };

    xt::xarray<double> p = {1., 0.};
    int steps = 0;
    for (; steps < 30; ++steps) {
        // [step]
        // r of shape (9,) and J of shape (9, 2), by forward mode (2 inputs, 9 outputs).
        auto [r, J] = xtad::value_and_jacobian(residuals, xtad::at(p));
        // The step d solves (J^T J) d = -J^T r.
        auto Jt = xt::transpose(J);
        xt::xarray<double> d = xt::linalg::solve(xt::linalg::dot(Jt, J), -xt::linalg::dot(Jt, r));
        // [step]

        // By hand: r = p0 exp(p1 t) - y, dr/dp0 = exp(p1 t), dr/dp1 = p0 t exp(p1 t).
        xt::xarray<double> e = xt::exp(p(1) * t);
        xt::xarray<double> r_hand = p(0) * e - y;
        xt::xarray<double> J_hand = xt::stack(xt::xtuple(e, p(0) * t * e), 1);
        if (r.shape() != r_hand.shape() || !xt::allclose(r, r_hand, 1e-14, 1e-14)) {
            std::cerr << "gauss_newton.cpp: step " << steps << ": the residuals\n"
                      << r << "\ndiffer from the ones by hand\n"
                      << r_hand << '\n';
            return 1;
        }
        if (J.shape() != J_hand.shape() || !xt::allclose(J, J_hand, 1e-14, 1e-14)) {
            std::cerr << "gauss_newton.cpp: step " << steps << ": the Jacobian\n"
                      << J << "\ndiffers from the one by hand\n"
                      << J_hand << '\n';
            return 1;
        }
        p += d;
        if (xt::amax(xt::abs(d))() < 1e-13) {
            break;
        }
    }
    std::cout << "p = " << xtad::repr(p) << " after " << steps + 1 << " Gauss-Newton steps\n";
    if (steps == 30 || std::abs(p(0) - 2.5) > 1e-12 || std::abs(p(1) + 1.3) > 1e-12) {
        std::cerr << "gauss_newton.cpp: did not converge to p = (2.5, -1.3)\n";
        return 1;
    }
    return 0;
}
