// Defines abs, sign, sigmoid and erf.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/exp_log.hpp"

#include <cmath>
#include <numbers>
#include <string_view>
#include <utility>

namespace xtad {

template <Argument X>
auto sign(X&& x);
template <Argument X>
auto sigmoid(X&& x);

/// |x|; its derivative at 0 is 0 (sign(0)), as in torch.
struct abs_op : function_op<"abs", "AbsBackward0"> {
    // d/dx |x| = sign(x)
    template <class T>
    T value(T const& x) const {
        using std::abs;
        return abs(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return sign(x);
    }
};

/// -1, 0 or 1, and 0 for NaN and -0, as torch; its derivative is 0 everywhere.
struct sign_op : function_op<"sign", "SignBackward0"> {
    // d/dx sign(x) = 0
    template <class T>
    T value(T const& x) const {
        return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    }
    template <class X>
    auto partial(X const&) const {
        return zero_t{};
    }
};

/// The logistic function 1 / (1 + exp(-x)).
struct sigmoid_op : function_op<"sigmoid", "SigmoidBackward0"> {
    // d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
    template <class T>
    T value(T const& x) const {
        using std::exp;
        // Either branch keeps exp's argument non-positive, so neither overflows.
        if (x >= T(0)) {
            return T(1) / (T(1) + exp(-x));
        }
        T const e = exp(x);
        return e / (T(1) + e);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::mul(sigmoid(x), detail::sub(one_t{}, sigmoid(x)));
    }
};

/// The error function.
struct erf_op : function_op<"erf", "ErfBackward0"> {
    // d/dx erf(x) = 2 / sqrt(pi) exp(-x^2)
    template <class T>
    T value(T const& x) const {
        using std::erf;
        return erf(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::mul(scalar<double>{std::numbers::inv_sqrtpi * 2},
                           exp(detail::neg(pow<2>(x))));
    }
};

template <Argument X>
auto abs(X&& x) {
    return detail::call_unary<abs_op>(std::forward<X>(x));
}
template <Argument X>
auto sign(X&& x) {
    return detail::call_unary<sign_op>(std::forward<X>(x));
}
template <Argument X>
auto sigmoid(X&& x) {
    return detail::call_unary<sigmoid_op>(std::forward<X>(x));
}
template <Argument X>
auto erf(X&& x) {
    return detail::call_unary<erf_op>(std::forward<X>(x));
}

} // namespace xtad
