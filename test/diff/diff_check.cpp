// Defines the checks of the differential tests, compiled once for all the cases.
#include "diff_check.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace diff {

namespace {

constexpr double tolerance = 1e-10;

std::string show(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

template <class S>
std::string show_shape(S const& s) {
    std::string r = "(";
    std::size_t i = 0;
    for (auto d : s) {
        r += (i++ ? ", " : "") + std::to_string(d);
    }
    return r + (i == 1 ? ",)" : ")");
}

bool close(double got, double want) {
    if (std::isnan(want) || std::isnan(got)) {
        return std::isnan(want) && std::isnan(got);
    }
    if (std::isinf(want) || std::isinf(got)) {
        return got == want;
    }
    return std::abs(got - want) <= tolerance * (1 + std::abs(want));
}

} // namespace

xt::xarray<double> make(ref const& r) {
    auto a = xt::xarray<double>::from_shape(std::vector<std::size_t>(r.shape));
    if (a.size() != r.values.size()) {
        throw std::logic_error("diff::make: " + std::to_string(r.values.size())
                               + " values for a tensor of shape " + show_shape(r.shape));
    }
    std::copy(r.values.begin(), r.values.end(), a.begin());
    return a;
}

void check(info const& c, char const* what, xt::xarray<double> const& got, ref const& want) {
    std::string msg;
    if (!std::equal(got.shape().begin(), got.shape().end(), want.shape.begin(), want.shape.end())) {
        msg = "shape " + show_shape(got.shape()) + ", torch " + show_shape(want.shape);
    } else if (got.size() != want.values.size()) {
        msg = "the reference has " + std::to_string(want.values.size()) + " values";
    } else {
        std::size_t i = 0;
        for (double w : want.values) {
            double const g = got.flat(i);
            if (!close(g, w)) {
                msg += "\n    [" + std::to_string(i) + "] torch " + show(w) + ", xtad " + show(g);
            }
            ++i;
        }
    }
    if (!msg.empty()) {
        msg = "case " + std::to_string(c.seed) + ", point " + std::to_string(c.point) + ": "
              + c.expr + "\n  " + what + ": " + msg
              + "\n  shrink: /usr/bin/python3 scripts/gen_diff_cases.py --shrink "
              + std::to_string(c.seed) + " " + c.options;
    }
    CHECK_MESSAGE(msg.empty(), msg);
}

} // namespace diff
