// Defines exp, expm1, log, log1p, log2 and log10.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/power.hpp"

#include <cmath>
#include <numbers>
#include <string_view>
#include <utility>

namespace xtad {

template <Argument X>
auto exp(X&& x);

struct exp_op : function_op<"exp", "ExpBackward0"> {
    // d/dx exp(x) = exp(x)
    template <class T>
    T value(T const& x) const {
        using std::exp;
        return exp(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return exp(x);
    }
};

struct expm1_op : function_op<"expm1", "Expm1Backward0"> {
    // d/dx (exp(x) - 1) = exp(x)
    template <class T>
    T value(T const& x) const {
        using std::expm1;
        return expm1(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return exp(x);
    }
};

struct log_op : function_op<"log", "LogBackward0"> {
    // d/dx log(x) = 1 / x
    template <class T>
    T value(T const& x) const {
        using std::log;
        return log(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, x);
    }
};

struct log1p_op : function_op<"log1p", "Log1PBackward0"> {
    // d/dx log(1 + x) = 1 / (1 + x)
    template <class T>
    T value(T const& x) const {
        using std::log1p;
        return log1p(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::add(x, one_t{}));
    }
};

struct log2_op : function_op<"log2", "Log2Backward0"> {
    // d/dx log2(x) = 1 / (x log(2))
    template <class T>
    T value(T const& x) const {
        using std::log2;
        return log2(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::mul(scalar<double>{std::numbers::ln2}, x));
    }
};

struct log10_op : function_op<"log10", "Log10Backward0"> {
    // d/dx log10(x) = 1 / (x log(10))
    template <class T>
    T value(T const& x) const {
        using std::log10;
        return log10(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::mul(scalar<double>{std::numbers::ln10}, x));
    }
};

template <Argument X>
auto exp(X&& x) {
    return detail::call_unary<exp_op>(std::forward<X>(x));
}
template <Argument X>
auto expm1(X&& x) {
    return detail::call_unary<expm1_op>(std::forward<X>(x));
}
template <Argument X>
auto log(X&& x) {
    return detail::call_unary<log_op>(std::forward<X>(x));
}
template <Argument X>
auto log1p(X&& x) {
    return detail::call_unary<log1p_op>(std::forward<X>(x));
}
template <Argument X>
auto log2(X&& x) {
    return detail::call_unary<log2_op>(std::forward<X>(x));
}
template <Argument X>
auto log10(X&& x) {
    return detail::call_unary<log10_op>(std::forward<X>(x));
}

} // namespace xtad
