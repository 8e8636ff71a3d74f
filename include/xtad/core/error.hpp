// Defines xtad::error, the exception for misuse that only the data shows.
#pragma once
#include "xtad/core/cxx20.hpp"

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xtad {

/// Thrown for misuse that only the data shows: shapes that do not broadcast, a seed of the
/// wrong shape, an axis out of range. The message names the operation and the shapes or values.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// Formats a shape as torch does in its messages: `(2, 3)`, `()` for a 0-d tensor.
template <class S>
std::string shape_str(S const& shape) {
    std::ostringstream out;
    out << '(';
    for (std::size_t i = 0; i < shape.size(); ++i) {
        out << (i ? ", " : "") << shape[i];
    }
    out << (shape.size() == 1 ? ",)" : ")");
    return out.str();
}

} // namespace detail

/// A shape as torch prints it in its messages, `(2, 3)`, `(3,)`, `()`: for the errors of a
/// user's tensor op (docs/extending.md).
using detail::shape_str;

} // namespace xtad
