// Defines sin, cos, tan, asin, acos, atan and atan2.
#pragma once
#include "xtad/core/cxx20.hpp"

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

struct sin_op : function_op<"sin", "SinBackward0"> {
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

struct cos_op : function_op<"cos", "CosBackward0"> {
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

struct tan_op : function_op<"tan", "TanBackward0"> {
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

struct asin_op : function_op<"asin", "AsinBackward0"> {
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

struct acos_op : function_op<"acos", "AcosBackward0"> {
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

struct atan_op : function_op<"atan", "AtanBackward0"> {
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
struct atan2_op : function_op<"atan2", "Atan2Backward0"> {
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
