// Defines xtad::repr and xtad::repr_options, which print a tensor exactly as PyTorch 1.13 does.
//
// The algorithm is torch/_tensor_str.py's, rewritten in C++: one formatter for the whole tensor
// (integer mode, scientific mode when max/min > 1000 or max > 1e8 or, for non-integers,
// min < 1e-4; one common width), summarisation with `...` above `threshold` elements,
// wrapping of the innermost rows at `linewidth`, and suffixes wrapped the same way.
//
// dtype: torch appends `, dtype=torch.float64` to a double tensor unless the default dtype is
// float64. An `xt::xarray<double>` is the C++ user's default tensor, so xtad prints `double`
// and `float` tensors as torch prints a tensor of its default dtype: without the suffix (the
// notebook's `tensor([[1., 2.], ...])`). The references in test/io/repr_refs.inc come from torch
// with `torch.set_default_dtype` set to the element type. Integer and bool tensors print as in
// torch: int64 and bool without a suffix, int8, uint8, int16 and int32 with `dtype=torch.<t>`,
// and empty integer or bool tensors always with it.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/xtensor.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace xtad {

/// What xtad::repr appends after the values, and torch's print options
/// (`torch.set_printoptions`), with torch's defaults.
struct repr_options {
    /// Appends `requires_grad=True`, as torch does for a leaf that requires grad.
    bool requires_grad = false;
    /// When not empty, appends `grad_fn=<grad_fn>` (and no `requires_grad=True`), as torch does
    /// for the result of an operation, e.g. "SubBackward0".
    std::string grad_fn = {};
    /// Digits after the decimal point.
    int precision = 4;
    /// Tensors with more elements than this are summarised with `...`.
    std::size_t threshold = 1000;
    /// Items shown at the start and at the end of each summarised dimension; at least 1.
    std::size_t edgeitems = 3;
    /// Characters per line before a row of values or a suffix wraps.
    std::size_t linewidth = 80;
    /// Forces scientific notation on (true) or off (false); by default torch chooses.
    std::optional<bool> sci_mode = std::nullopt;
};

namespace detail::repr_impl {

// torch's name for the dtype of T, or nullptr where torch 1.13 has no such dtype.
template <class T>
constexpr const char* torch_dtype() {
    if constexpr (std::is_same_v<T, double>) {
        return "torch.float64";
    } else if constexpr (std::is_same_v<T, float>) {
        return "torch.float32";
    } else if constexpr (std::is_same_v<T, bool>) {
        return "torch.bool";
    } else if constexpr (
        std::is_same_v<
            T,
            char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> || std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t> || !std::is_integral_v<T>) {
        return nullptr;
    } else if constexpr (std::is_unsigned_v<T>) {
        return sizeof(T) == 1 ? "torch.uint8" : nullptr;
    } else {
        switch (sizeof(T)) {
        case 1:
            return "torch.int8";
        case 2:
            return "torch.int16";
        case 4:
            return "torch.int32";
        case 8:
            return "torch.int64";
        default:
            return nullptr;
        }
    }
}

// Whether torch prints no dtype suffix for a non-empty tensor of T (see the file comment).
template <class T>
constexpr bool prints_without_dtype() {
    return std::is_floating_point_v<T> || std::is_same_v<T, bool> || sizeof(T) == 8;
}

inline std::string spaces(std::size_t n) {
    return std::string(n, ' ');
}

inline std::string pad_left(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : spaces(width - s.size()) + s;
}

// Python's "{:.<precision>f}" or "{:.<precision>e}": no sign on nan, locale-independent.
inline std::string format_float(double v, std::chars_format how, int precision) {
    if (std::isnan(v)) {
        return "nan";
    }
    if (std::isinf(v)) {
        return v < 0 ? "-inf" : "inf";
    }
    // The widest fixed-point double has 309 integer digits.
    std::string out(330 + static_cast<std::size_t>(precision), '\0');
    auto res = std::to_chars(out.data(), out.data() + out.size(), v, how, precision);
    out.resize(static_cast<std::size_t>(res.ptr - out.data()));
    return out;
}

template <class T>
std::string format_integer(T v) {
    if constexpr (std::is_same_v<T, bool>) {
        return v ? "True" : "False";
    } else {
        return std::to_string(+v);
    }
}

// torch's _Formatter: decides the notation and the common width from the values shown.
template <class T>
class formatter {
public:
    formatter(const std::vector<T>& shown, const repr_options& opts)
        : precision_(opts.precision) {
        if constexpr (!std::is_floating_point_v<T>) {
            for (T v : shown) {
                width_ = std::max(width_, format_integer(v).size());
            }
        } else {
            std::vector<double> finite;
            for (T v : shown) {
                if (std::isfinite(v) && v != 0) {
                    finite.push_back(static_cast<double>(v));
                }
            }
            if (finite.empty()) {
                return; // torch ignores sci_mode here too
            }
            double min = std::abs(finite.front());
            double max = min;
            for (double v : finite) {
                min = std::min(min, std::abs(v));
                max = std::max(max, std::abs(v));
                int_mode_ = int_mode_ && v == std::ceil(v);
            }
            sci_mode_ = max / min > 1000.0 || max > 1.0e8 || (!int_mode_ && min < 1.0e-4);
            for (double v : finite) {
                if (sci_mode_) {
                    width_ = std::max(width_, sci(v).size());
                } else if (int_mode_) {
                    width_ =
                        std::max(width_, format_float(v, std::chars_format::fixed, 0).size() + 1);
                } else {
                    width_ = std::max(width_, fixed(v).size());
                }
            }
            if (opts.sci_mode) {
                sci_mode_ = *opts.sci_mode;
            }
        }
    }

    std::size_t width() const { return width_; }

    std::string operator()(T v) const {
        if constexpr (!std::is_floating_point_v<T>) {
            return pad_left(format_integer(v), width_);
        } else {
            auto d = static_cast<double>(v);
            if (sci_mode_) {
                return pad_left(sci(d), width_);
            }
            if (int_mode_) {
                auto s = format_float(d, std::chars_format::fixed, 0);
                return pad_left(std::isfinite(d) ? s + "." : s, width_);
            }
            return pad_left(fixed(d), width_);
        }
    }

private:
    std::string sci(double v) const {
        return format_float(v, std::chars_format::scientific, precision_);
    }
    std::string fixed(double v) const {
        return format_float(v, std::chars_format::fixed, precision_);
    }

    int precision_;
    bool int_mode_ = true;
    bool sci_mode_ = false;
    std::size_t width_ = 1;
};

// A row-major tensor and the options it is printed with; mirrors _tensor_str_with_formatter.
template <class T>
class printer {
public:
    printer(const T* data, std::vector<std::size_t> shape, const repr_options& opts)
        : data_(data)
        , shape_(std::move(shape))
        , strides_(shape_.size())
        , opts_(opts) {
        std::size_t size = 1;
        for (std::size_t d = shape_.size(); d-- > 0;) {
            strides_[d] = size;
            size *= shape_[d];
        }
        summarize_ = size > opts.threshold;
    }

    std::string str(std::size_t indent) const {
        std::vector<T> shown;
        collect_shown(0, 0, shown);
        formatter<T> fmt(shown, opts_);
        return str(fmt, 0, 0, indent);
    }

private:
    bool summarized(std::size_t dim) const {
        return summarize_ && shape_[dim] > 2 * opts_.edgeitems;
    }

    // The indices of dimension `dim` that are printed: all, or the first and the last edgeitems.
    std::vector<std::size_t> shown_indices(std::size_t dim) const {
        std::vector<std::size_t> idx;
        const std::size_t n = shape_[dim];
        for (std::size_t i = 0; i < n; ++i) {
            if (!summarized(dim) || i < opts_.edgeitems || i >= n - opts_.edgeitems) {
                idx.push_back(i);
            }
        }
        return idx;
    }

    // The formatter sees only the values that are printed (get_summarized_data).
    void collect_shown(std::size_t dim, std::size_t offset, std::vector<T>& out) const {
        if (dim == shape_.size()) {
            out.push_back(data_[offset]);
            return;
        }
        for (std::size_t i : shown_indices(dim)) {
            collect_shown(dim + 1, offset + i * strides_[dim], out);
        }
    }

    std::string str(const formatter<T>& fmt, std::size_t dim, std::size_t offset,
                    std::size_t indent) const {
        std::size_t rank = shape_.size() - dim;
        if (rank == 0) {
            return fmt(data_[offset]);
        }
        const auto idx = shown_indices(dim);
        const std::size_t gap = summarized(dim) ? opts_.edgeitems : idx.size();
        std::vector<std::string> items;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            if (k == gap) {
                items.push_back(rank == 1 ? " ..." : "...");
            }
            std::size_t at = offset + idx[k] * strides_[dim];
            items.push_back(rank == 1 ? fmt(data_[at]) : str(fmt, dim + 1, at, indent + 1));
        }
        if (rank > 1) {
            return "["
                   + join(items, 0, items.size(),
                          "," + std::string(rank - 1, '\n') + spaces(indent + 1))
                   + "]";
        }
        // A row wraps after as many items as fit, each counted as its width plus ", ".
        std::size_t item_width = fmt.width() + 2;
        std::size_t per_line = 1;
        if (opts_.linewidth > indent) {
            per_line = std::max<std::size_t>(1, (opts_.linewidth - indent) / item_width);
        }
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < items.size(); i += per_line) {
            lines.push_back(join(items, i, std::min(items.size(), i + per_line), ", "));
        }
        return "[" + join(lines, 0, lines.size(), ",\n" + spaces(indent + 1)) + "]";
    }

    static std::string join(const std::vector<std::string>& items, std::size_t first,
                            std::size_t last, const std::string& sep) {
        std::string out;
        for (std::size_t i = first; i < last; ++i) {
            out += (i == first ? "" : sep) + items[i];
        }
        return out;
    }

    const T* data_;
    std::vector<std::size_t> shape_;
    std::vector<std::size_t> strides_;
    const repr_options& opts_;
    bool summarize_ = false;
};

// _add_suffixes: each suffix goes on the current line if it fits, else on a new indented one.
inline std::string add_suffixes(std::string out, const std::vector<std::string>& suffixes,
                                std::size_t indent, std::size_t linewidth) {
    auto newline = out.rfind('\n');
    // torch counts from rfind's -1 when there is no newline, hence len + 2.
    std::size_t last_line =
        newline == std::string::npos ? out.size() + 2 : out.size() - newline + 1;
    for (const auto& suffix : suffixes) {
        if (last_line + suffix.size() + 2 > linewidth) {
            out += ",\n" + spaces(indent) + suffix;
            last_line = indent + suffix.size();
        } else {
            out += ", " + suffix;
            last_line += suffix.size() + 2;
        }
    }
    return out + ")";
}

template <class T>
std::string repr(const T* data, const std::vector<std::size_t>& shape, const repr_options& opts) {
    const std::string prefix = "tensor(";
    std::vector<std::string> suffixes;
    std::size_t size = 1;
    for (std::size_t n : shape) {
        size *= n;
    }
    std::string body;
    if (size == 0) {
        body = "[]";
        if (shape.size() != 1) {
            std::string dims;
            for (std::size_t n : shape) {
                dims += (dims.empty() ? "" : ", ") + std::to_string(n);
            }
            suffixes.push_back("size=(" + dims + ")");
        }
        // An empty tensor has no values that show its dtype, so torch names any non-default one.
        if (!std::is_floating_point_v<T>) {
            suffixes.push_back(std::string("dtype=") + torch_dtype<T>());
        }
    } else {
        if (!prints_without_dtype<T>()) {
            suffixes.push_back(std::string("dtype=") + torch_dtype<T>());
        }
        body = printer<T>(data, shape, opts).str(prefix.size());
    }
    if (!opts.grad_fn.empty()) {
        suffixes.push_back("grad_fn=<" + opts.grad_fn + ">");
    } else if (opts.requires_grad) {
        suffixes.push_back("requires_grad=True");
    }
    return add_suffixes(prefix + body, suffixes, prefix.size(), opts.linewidth);
}

} // namespace detail::repr_impl

/// The text PyTorch 1.13 prints for a tensor of these values (`print(t)`, `repr(t)`), e.g.
/// `tensor([-4.0000,  4.5000])`, for any xtensor container or expression of float, double,
/// bool, or an integer type torch has (int8, uint8, int16, int32, int64). `options` adds
/// torch's `requires_grad=True` or `grad_fn=<...>` suffix and sets torch's print options.
template <class E>
std::string repr(const xt::xexpression<E>& x, const repr_options& options = {}) {
    using value_type = std::decay_t<typename E::value_type>;
    static_assert(detail::repr_impl::torch_dtype<value_type>() != nullptr,
                  "xtad::repr(x) prints tensors of float, double, bool or an integer type that "
                  "torch has (int8, uint8, int16, int32, int64)");
    const xt::xarray<value_type, xt::layout_type::row_major> values = x.derived_cast();
    return detail::repr_impl::repr(
        values.data(), std::vector<std::size_t>(values.shape().begin(), values.shape().end()),
        options);
}

/// The text PyTorch 1.13 prints for a 0-d tensor holding `value`, e.g. `tensor(3.5000)`.
template <class T>
std::string repr(T value, const repr_options& options = {}) requires std::is_arithmetic_v<T> {
    static_assert(detail::repr_impl::torch_dtype<T>() != nullptr,
                  "xtad::repr(value) prints float, double, bool or an integer type that torch "
                  "has (int8, uint8, int16, int32, int64)");
    return detail::repr_impl::repr(&value, {}, options);
}

} // namespace xtad
