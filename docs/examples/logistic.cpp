// Logistic regression by gradient descent: the loss is an xtad expression built once, grad()
// differentiates it at every step, and the leaf's value is updated in place. Each gradient is
// checked against the one written by hand, and the fit against its closed form; a mismatch exits
// with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

int main() {
    // 20 observations of one binary feature: 3 of the 10 with x = 0 are positive, 7 of the 10
    // with x = 1. With an intercept, the maximum-likelihood fit has a closed form:
    // sigmoid(b) = 3/10 and sigmoid(b + w) = 7/10, so b = log(3/7) and w = 2 log(7/3).
    xt::xarray<double> x = xt::zeros<double>({20});
    xt::xarray<double> y = xt::zeros<double>({20});
    for (std::size_t i = 0; i < 20; ++i) {
        x(i) = i < 10 ? 0. : 1.;
        y(i) = (i < 3 || (i >= 10 && i < 17)) ? 1. : 0.;
    }

    auto theta = xtad::var<"theta">(xt::xarray<double>{0., 0.}); // intercept b, weight w
    auto s = theta(0) + theta(1) * x;                            // the scores
    // Mean negative log-likelihood, log(1 + e^s) - y s per observation.
    auto loss = xtad::mean(xtad::log1p(xtad::exp(s)) - y * s);

    const double rate = 4.0;
    for (int step = 0; step < 500; ++step) {
        auto [g] = xtad::grad(loss, xtad::wrt(theta)); // one element: no seed needed
        // By hand: the gradient is the mean of (sigmoid(s) - y) times each feature.
        xt::xarray<double> r = 1. / (1. + xt::exp(-xtad::eval(s))) - y;
        const double by_hand[2] = {xt::mean(r)(), xt::mean(r * x)()};
        for (std::size_t k = 0; k < 2; ++k) {
            if (std::abs(g(k) - by_hand[k]) > 1e-14) {
                std::fprintf(stderr,
                             "logistic.cpp: step %d: d loss/d theta(%zu) is %.17g, by hand %.17g\n",
                             step, k, g(k), by_hand[k]);
                return 1;
            }
        }
        theta.value() -= rate * g;
    }
    std::cout << "b = " << theta.value()(0) << ", w = " << theta.value()(1) << '\n';

    const double b = std::log(3. / 7.), w = 2. * std::log(7. / 3.);
    if (std::abs(theta.value()(0) - b) > 1e-10 || std::abs(theta.value()(1) - w) > 1e-10) {
        std::fprintf(stderr,
                     "logistic.cpp: converged to b = %.17g, w = %.17g; expected %.17g, %.17g\n",
                     theta.value()(0), theta.value()(1), b, w);
        return 1;
    }
    return 0;
}
