// Defines pow<N>, pow, square, sqrt and cbrt.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/compare.hpp"

#include <cmath>
#include <string_view>
#include <utility>

namespace xtad {

template <int N, Argument X>
auto pow(X&& x);

template <class L, class R>
requires BinaryArguments<L, R>
auto pow(L&& x, R&& y);

template <Argument X>
auto sqrt(X&& x);

template <Argument X>
auto cbrt(X&& x);

template <Argument X>
auto log(X&& x);

/// x^N for a compile-time integer N, by repeated multiplication: exact at 0 and for negative
/// bases, where pow(x, y) with a real y is NaN.
template <int N>
struct ipow_op {
    static constexpr std::string_view name = "pow";
    static constexpr std::string_view symbol = "^";
    static constexpr std::string_view grad_fn = "PowBackward0";
    static constexpr notation form = notation::power;
    static constexpr int exponent = N;
    static constexpr int precedence = 8;
    // d/dx x^N = N x^(N-1)
    template <class T>
    T value(T const& x) const {
        if constexpr (N < 0) {
            return T(1) / ipow_op<-N>{}.value(x);
        } else if constexpr (N == 0) {
            return T(1);
        } else if constexpr (N == 1) {
            return x;
        } else {
            T const h = ipow_op<N / 2>{}.value(x);
            if constexpr (N % 2 == 0) {
                return h * h;
            } else {
                return h * h * x;
            }
        }
    }
    template <class X>
    auto partial(X const& x) const {
        if constexpr (N == 0) {
            return zero_t{};
        } else if constexpr (N == 1) {
            return one_t{};
        } else {
            return detail::mul(make_static<N>(), pow<N - 1>(x));
        }
    }
};

template <int N, Argument X>
auto pow(X&& x) {
    if constexpr (RealScalar<X>) {
        return ipow_op<N>{}.value(x);
    } else if constexpr (N == 1) {
        return detail::as_node(std::forward<X>(x));
    } else {
        return make_unary<ipow_op<N>>(std::forward<X>(x));
    }
}

/// x * x (torch.square).
template <Argument X>
auto square(X&& x) {
    return pow<2>(std::forward<X>(x));
}

/// x^y elementwise with a real exponent (torch.pow with two tensors, or one and a number).
struct pow_op {
    static constexpr std::string_view name = "pow";
    static constexpr std::string_view symbol = "^";
    static constexpr std::string_view grad_fn = "PowBackward1";
    static constexpr notation form = notation::power;
    static constexpr int precedence = 8;
    static constexpr bool is_mask = false;
    // d/dx x^y = y x^(y-1), and 0 where y == 0 (torch: the exponent 0 gives a zero gradient)
    // d/dy x^y = x^y log(x), and 0 where x == 0 and y >= 0 (torch: no 0 * -inf there)
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        using std::pow;
        return pow(x, y);
    }
    template <class X, class Y>
    auto partial_l(X const& x, Y const& y) const {
        return where(eq(y, 0), zero_t{}, detail::mul(y, pow(x, detail::sub(y, one_t{}))));
    }
    template <class X, class Y>
    auto partial_r(X const& x, Y const& y) const {
        return where(eq(x, 0) & (y >= 0), zero_t{}, detail::mul(pow(x, y), log(x)));
    }
};

template <class L, class R>
requires BinaryArguments<L, R>
auto pow(L&& x, R&& y) {
    return detail::call_binary<pow_op>(std::forward<L>(x), std::forward<R>(y));
}

/// The square root; its derivative at 0 is +inf, as in torch.
struct sqrt_op : function_op<"sqrt", "SqrtBackward0"> {
    // d/dx sqrt(x) = 1 / (2 sqrt(x))
    template <class T>
    T value(T const& x) const {
        using std::sqrt;
        return sqrt(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::mul(make_static<2>(), sqrt(x)));
    }
};

template <Argument X>
auto sqrt(X&& x) {
    return detail::call_unary<sqrt_op>(std::forward<X>(x));
}

/// The real cube root, defined for negative x too.
struct cbrt_op : function_op<"cbrt", "CbrtBackward0"> {
    // d/dx cbrt(x) = 1 / (3 cbrt(x)^2)
    template <class T>
    T value(T const& x) const {
        using std::cbrt;
        return cbrt(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::div(one_t{}, detail::mul(make_static<3>(), pow<2>(cbrt(x))));
    }
};

template <Argument X>
auto cbrt(X&& x) {
    return detail::call_unary<cbrt_op>(std::forward<X>(x));
}

} // namespace xtad
