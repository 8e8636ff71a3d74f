// Defines exp, expm1, log, log1p, log2 and log10.
#pragma once

#include "xtad/ops/power.hpp"

#include <cmath>
#include <numbers>
#include <string_view>
#include <utility>

namespace xtad {

template <Argument X>
auto exp(X&& x);

struct exp_op {
    static constexpr std::string_view name = "exp";
    static constexpr std::string_view symbol = "exp";
    static constexpr std::string_view grad_fn = "ExpBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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

struct expm1_op {
    static constexpr std::string_view name = "expm1";
    static constexpr std::string_view symbol = "expm1";
    static constexpr std::string_view grad_fn = "Expm1Backward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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

struct log_op {
    static constexpr std::string_view name = "log";
    static constexpr std::string_view symbol = "log";
    static constexpr std::string_view grad_fn = "LogBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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

struct log1p_op {
    static constexpr std::string_view name = "log1p";
    static constexpr std::string_view symbol = "log1p";
    static constexpr std::string_view grad_fn = "Log1PBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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

struct log2_op {
    static constexpr std::string_view name = "log2";
    static constexpr std::string_view symbol = "log2";
    static constexpr std::string_view grad_fn = "Log2Backward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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

struct log10_op {
    static constexpr std::string_view name = "log10";
    static constexpr std::string_view symbol = "log10";
    static constexpr std::string_view grad_fn = "Log10Backward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
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
