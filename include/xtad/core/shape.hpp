// Defines xtad's runtime shapes and numpy/torch broadcasting on them.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/error.hpp"
#include "xtad/core/xtensor.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace xtad {

using shape_t = xt::svector<std::size_t, 4>;

/// What the compiler knows about how many elements an expression has.
enum class static_size { unknown, one, many };

namespace detail {

template <class S>
shape_t to_shape(S const& s) {
    return shape_t(s.begin(), s.end());
}

inline std::size_t size_of(shape_t const& s) {
    std::size_t n = 1;
    for (auto d : s) {
        n *= d;
    }
    return n;
}

/// The strides of a row-major tensor of shape `own` seen in the shape `out` it broadcasts to:
/// 0 along the axes it is broadcast over.
inline shape_t broadcast_strides(shape_t const& own, shape_t const& out) {
    shape_t strides(out.size(), 0);
    std::size_t stride = 1;
    std::size_t const lead = out.size() - own.size();
    for (std::size_t d = own.size(); d-- > 0;) {
        strides[lead + d] = own[d] == 1 ? 0 : stride;
        stride *= own[d];
    }
    return strides;
}

/// The broadcast of two shapes, as numpy and torch define it; `op` names the operation in the
/// error raised when the shapes do not broadcast.
inline shape_t broadcast_shapes(shape_t const& a, shape_t const& b, std::string_view op) {
    shape_t out(std::max(a.size(), b.size()), 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::size_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
        std::size_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
        if (da != db && da != 1 && db != 1) {
            throw error("xtad::" + std::string(op) + ": shapes " + shape_str(a) + " and "
                        + shape_str(b) + " do not broadcast");
        }
        out[i] = da == 1 ? db : da;
    }
    return out;
}

constexpr static_size combine(static_size a, static_size b) {
    if (a == static_size::many || b == static_size::many) {
        return static_size::many;
    }
    if (a == static_size::one && b == static_size::one) {
        return static_size::one;
    }
    return static_size::unknown;
}

} // namespace detail
} // namespace xtad
