// What the torch reference files of test/functional (torch_jacobians.inc, torch_hessians.inc)
// are written in, and their tensors and named constants as xtensor values.
#pragma once

#include <xtad/core/xtensor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torch_refs {

/// A tensor as the .inc files write it: shape and values in row-major order (0-d: shape {}).
/// They hold constant data only, which compiles far faster than std::vector initialisers.
struct raw_tensor {
    std::initializer_list<std::size_t> shape;
    std::initializer_list<double> values;
};

/// A tensor under the name the torch source gives it.
struct raw_named {
    char const* name;
    raw_tensor tensor;
};

inline xt::xarray<double> to_xarray(raw_tensor const& t) {
    auto a = xt::xarray<double>::from_shape(std::vector<std::size_t>(t.shape));
    REQUIRE(a.size() == t.values.size());
    std::copy(t.values.begin(), t.values.end(), a.begin());
    return a;
}

/// A case's constants, by the names its torch source uses: `c["A"]`.
class consts {
public:
    void add(std::string name, xt::xarray<double> value) {
        names_.push_back(std::move(name));
        values_.push_back(std::move(value));
    }
    xt::xarray<double> const& operator[](std::string_view name) const {
        for (std::size_t i = 0; i < names_.size(); ++i) {
            if (names_[i] == name) {
                return values_[i];
            }
        }
        throw std::invalid_argument("no constant named " + std::string(name));
    }

private:
    std::vector<std::string> names_;
    std::vector<xt::xarray<double>> values_;
};

} // namespace torch_refs
