// Anomaly mode not compiled in (XTAD_DETECT_ANOMALY is 0, the default): eval and grad are the
// plain ones and a NaN goes through unexplained. anomaly_test.cpp, in the same executable, turns
// the switch on and calls the functions below on trees it also builds with the checks: the two
// settings must not share code.
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace xtad;

xt::xarray<double> unchecked_log(xt::xarray<double> const& x);
xt::xarray<double> unchecked_sqrt_grad(xt::xarray<double> const& x, xt::xarray<double> const& z);

xt::xarray<double> unchecked_log(xt::xarray<double> const& x0) {
    auto x = var<"x">(x0);
    return eval(log(x));
}

xt::xarray<double> unchecked_sqrt_grad(xt::xarray<double> const& x0, xt::xarray<double> const& z0) {
    auto x = var<"x">(x0);
    auto z = var<"z">(z0);
    auto [g] = grad(sum(sqrt(x) * z), wrt(x));
    return g;
}

TEST_CASE("anomaly mode not compiled in: a NaN goes through, and nothing names it") {
    static_assert(XTAD_DETECT_ANOMALY == 0);
    xt::xarray<double> const v = unchecked_log(xt::xarray<double>{2., -1.});
    CHECK(!std::isnan(v(0)));
    CHECK(std::isnan(v(1)));
    xt::xarray<double> const g =
        unchecked_sqrt_grad(xt::xarray<double>{4., 0.}, xt::xarray<double>{1., 0.});
    CHECK(g(0) == 0.25);
    CHECK(std::isnan(g(1)));
}
