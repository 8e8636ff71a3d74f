// Defines xtad::fixed_string, the compile-time name of a leaf (`var<"a">`).
#pragma once
#include "xtad/core/cxx20.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace xtad {

/// A string usable as a template argument: `var<"a">` names a leaf by `fixed_string{"a"}`.
template <std::size_t N>
struct fixed_string {
    char data[N]{};

    constexpr fixed_string(char const (&s)[N]) { std::copy_n(s, N, data); }

    constexpr std::string_view view() const { return {data, N - 1}; }
    constexpr std::size_t size() const { return N - 1; }

    template <std::size_t M>
    constexpr bool operator==(fixed_string<M> const& other) const {
        return view() == other.view();
    }
};

} // namespace xtad
