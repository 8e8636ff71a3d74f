// Defines sinh, cosh, tanh, asinh, acosh and atanh.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/power.hpp"

#include <cmath>
#include <string_view>
#include <utility>

namespace xtad {

template <Argument X>
auto sinh(X&& x);
template <Argument X>
auto cosh(X&& x);
template <Argument X>
auto tanh(X&& x);

struct sinh_op : function_op<"sinh", "SinhBackward0"> {
    // d/dx sinh(x) = cosh(x)
    template <class T>
    T value(T const& x) const {
        using std::sinh;
        return sinh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return cosh(x);
    }
};

struct cosh_op : function_op<"cosh", "CoshBackward0"> {
    // d/dx cosh(x) = sinh(x)
    template <class T>
    T value(T const& x) const {
        using std::cosh;
        return cosh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return sinh(x);
    }
};

struct tanh_op : function_op<"tanh", "TanhBackward0"> {
    // d/dx tanh(x) = 1 - tanh(x)^2
    template <class T>
    T value(T const& x) const {
        using std::tanh;
        return tanh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::sub(one_t{}, pow<2>(tanh(x)));
    }
};

struct asinh_op : function_op<"asinh", "AsinhBackward0"> {
    // d/dx asinh(x) = 1 / sqrt(x^2 + 1)
    template <class T>
    T value(T const& x) const {
        using std::asinh;
        return asinh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, sqrt(detail::add(pow<2>(x), one_t{})));
    }
};

struct acosh_op : function_op<"acosh", "AcoshBackward0"> {
    // d/dx acosh(x) = 1 / sqrt(x^2 - 1)
    template <class T>
    T value(T const& x) const {
        using std::acosh;
        return acosh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, sqrt(detail::sub(pow<2>(x), one_t{})));
    }
};

struct atanh_op : function_op<"atanh", "AtanhBackward0"> {
    // d/dx atanh(x) = 1 / (1 - x^2)
    template <class T>
    T value(T const& x) const {
        using std::atanh;
        return atanh(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::sub(one_t{}, pow<2>(x)));
    }
};

template <Argument X>
auto sinh(X&& x) {
    return detail::call_unary<sinh_op>(std::forward<X>(x));
}
template <Argument X>
auto cosh(X&& x) {
    return detail::call_unary<cosh_op>(std::forward<X>(x));
}
template <Argument X>
auto tanh(X&& x) {
    return detail::call_unary<tanh_op>(std::forward<X>(x));
}
template <Argument X>
auto asinh(X&& x) {
    return detail::call_unary<asinh_op>(std::forward<X>(x));
}
template <Argument X>
auto acosh(X&& x) {
    return detail::call_unary<acosh_op>(std::forward<X>(x));
}
template <Argument X>
auto atanh(X&& x) {
    return detail::call_unary<atanh_op>(std::forward<X>(x));
}

} // namespace xtad
