// What the loop tests share: the Euler loop of the issue, comparisons with tolerances and bit for
// bit, and the torch references (scripts/gen_loop_refs.py writes loop_refs.inc).
#pragma once

#include <xtad/xtad.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "loops/loop_refs.inc"

namespace loops_test {

using namespace xtad;

template <std::size_t N>
xt::xarray<double> ref(double const (&a)[N], shape_t const& s) {
    xt::xarray<double> out(s);
    std::copy(a, a + N, out.begin());
    return out;
}

inline void check_close(xt::xarray<double> const& got, xt::xarray<double> const& want,
                        double tol = 1e-11) {
    REQUIRE(detail::to_shape(got.shape()) == detail::to_shape(want.shape()));
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i << ": " << got.flat(i) << " against " << want.flat(i));
        CHECK(std::abs(got.flat(i) - want.flat(i)) <= tol * (1 + std::abs(want.flat(i))));
    }
}

inline bool same_bits(xt::xarray<double> const& a, xt::xarray<double> const& b) {
    return a.shape() == b.shape()
           && std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) {
                  return std::memcmp(&x, &y, sizeof(double)) == 0;
              });
}

inline xt::xarray<double> const euler_x0{0.5, -1.2, 2.0};

/// The Euler loop of dx/dt = −k x + sin x, 1000 steps of 0.01, as the issue writes it.
template <class X, class K>
auto euler(X const& x0, K const& k, std::size_t steps = 1000, checkpoint keep = checkpoint::all()) {
    return fori_loop(
        0, steps, [&](auto const& x, std::size_t) { return x + 0.01 * (-k * x + sin(x)); }, x0,
        keep);
}

} // namespace loops_test
