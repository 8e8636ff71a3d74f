// Defines sin, cos, tan, asin, acos, atan and atan2.
#pragma once

#include "xtad/ops/power.hpp"

#include <cmath>
#include <string_view>
#include <utility>

namespace xtad {

template <Argument X>
auto sin(X&& x);
template <Argument X>
auto cos(X&& x);
template <Argument X>
auto tan(X&& x);

struct sin_op {
    static constexpr std::string_view name = "sin";
    static constexpr std::string_view symbol = "sin";
    static constexpr std::string_view grad_fn = "SinBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx sin(x) = cos(x)
    template <class T>
    T value(T const& x) const {
        using std::sin;
        return sin(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return cos(x);
    }
};

struct cos_op {
    static constexpr std::string_view name = "cos";
    static constexpr std::string_view symbol = "cos";
    static constexpr std::string_view grad_fn = "CosBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx cos(x) = -sin(x)
    template <class T>
    T value(T const& x) const {
        using std::cos;
        return cos(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::neg(sin(x));
    }
};

struct tan_op {
    static constexpr std::string_view name = "tan";
    static constexpr std::string_view symbol = "tan";
    static constexpr std::string_view grad_fn = "TanBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx tan(x) = 1 + tan(x)^2
    template <class T>
    T value(T const& x) const {
        using std::tan;
        return tan(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::add(one_t{}, pow<2>(tan(x)));
    }
};

struct asin_op {
    static constexpr std::string_view name = "asin";
    static constexpr std::string_view symbol = "asin";
    static constexpr std::string_view grad_fn = "AsinBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx asin(x) = 1 / sqrt(1 - x^2)
    template <class T>
    T value(T const& x) const {
        using std::asin;
        return asin(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, sqrt(detail::sub(one_t{}, pow<2>(x))));
    }
};

struct acos_op {
    static constexpr std::string_view name = "acos";
    static constexpr std::string_view symbol = "acos";
    static constexpr std::string_view grad_fn = "AcosBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx acos(x) = -1 / sqrt(1 - x^2)
    template <class T>
    T value(T const& x) const {
        using std::acos;
        return acos(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::neg(detail::div(one_t{}, sqrt(detail::sub(one_t{}, pow<2>(x)))));
    }
};

struct atan_op {
    static constexpr std::string_view name = "atan";
    static constexpr std::string_view symbol = "atan";
    static constexpr std::string_view grad_fn = "AtanBackward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    // d/dx atan(x) = 1 / (1 + x^2)
    template <class T>
    T value(T const& x) const {
        using std::atan;
        return atan(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::add(one_t{}, pow<2>(x)));
    }
};

/// atan2(y, x): the angle of the point (x, y), in (-pi, pi].
struct atan2_op {
    static constexpr std::string_view name = "atan2";
    static constexpr std::string_view symbol = "atan2";
    static constexpr std::string_view grad_fn = "Atan2Backward0";
    static constexpr notation form = notation::function;
    static constexpr int precedence = 10;
    static constexpr bool is_mask = false;
    // d/dy atan2(y, x) = x / (x^2 + y^2), d/dx atan2(y, x) = -y / (x^2 + y^2)
    template <class T, class U>
    auto value(T const& y, U const& x) const {
        using std::atan2;
        return atan2(y, x);
    }
    template <class Y, class X>
    auto partial_l(Y const& y, X const& x) const {
        return detail::div(x, detail::add(pow<2>(x), pow<2>(y)));
    }
    template <class Y, class X>
    auto partial_r(Y const& y, X const& x) const {
        return detail::neg(detail::div(y, detail::add(pow<2>(x), pow<2>(y))));
    }
};

template <Argument X>
auto sin(X&& x) {
    return detail::call_unary<sin_op>(std::forward<X>(x));
}
template <Argument X>
auto cos(X&& x) {
    return detail::call_unary<cos_op>(std::forward<X>(x));
}
template <Argument X>
auto tan(X&& x) {
    return detail::call_unary<tan_op>(std::forward<X>(x));
}
template <Argument X>
auto asin(X&& x) {
    return detail::call_unary<asin_op>(std::forward<X>(x));
}
template <Argument X>
auto acos(X&& x) {
    return detail::call_unary<acos_op>(std::forward<X>(x));
}
template <Argument X>
auto atan(X&& x) {
    return detail::call_unary<atan_op>(std::forward<X>(x));
}
template <class L, class R>
requires BinaryArguments<L, R>
auto atan2(L&& y, R&& x) {
    return detail::call_binary<atan2_op>(std::forward<L>(y), std::forward<R>(x));
}

} // namespace xtad
