// check_same_numbers: two results that the same rules computed on the same numbers, by two
// routes (the sweep and the adjoint pass), compared as such.
#pragma once

#include <xtensor/xarray.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>

/// got and want agree as the same rules on the same numbers do: NaN where the other is NaN, the
/// same infinities and zeros, other values within a few units in the last place (a rule the
/// adjoint pass simplified, g / y for g * (1 / y), may round differently).
inline void check_same_numbers(xt::xarray<double> const& got, xt::xarray<double> const& want) {
    REQUIRE(got.shape() == want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) {
        double const g = got.flat(i), w = want.flat(i);
        INFO("element " << i << ": " << g << " against " << w);
        if (std::isnan(w) || std::isinf(w) || w == 0.) {
            CHECK((std::isnan(g) == std::isnan(w)));
            CHECK((std::isnan(w) || g == w));
        } else {
            CHECK(std::abs(g - w) <= 1e-15 * std::abs(w));
        }
    }
}
