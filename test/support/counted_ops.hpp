// Counting ops (issue 12): a user's op, through xtad::apply, whose value rule counts its calls,
// so that a test can say how often a value is computed.
#pragma once

#include <xtad/ops.hpp>

#include <cmath>
#include <utility>

inline long counted_calls = 0;

struct counted_exp_op : xtad::function_op<"cexp", "ExpBackward0"> {
    template <class T>
    T value(T const& x) const {
        ++counted_calls;
        using std::exp;
        return exp(x);
    }
    // d/dx exp(x) = exp(x): the partial repeats the value, as the example says
    template <class X>
    auto partial(X const& x) const {
        return xtad::apply<counted_exp_op>(x);
    }
};

struct counted_sin_op : xtad::function_op<"csin", "SinBackward0"> {
    template <class T>
    T value(T const& x) const {
        ++counted_calls;
        using std::sin;
        return sin(x);
    }
    template <class X>
    auto partial(X const& x) const {
        return xtad::cos(x);
    }
};

template <class X>
auto cexp(X&& x) {
    return xtad::apply<counted_exp_op>(std::forward<X>(x));
}

template <class X>
auto csin(X&& x) {
    return xtad::apply<counted_sin_op>(std::forward<X>(x));
}

/// How many times the counted ops' value rules run during f().
template <class F>
long calls_of(F&& f) {
    counted_calls = 0;
    f();
    return counted_calls;
}

template <int K, class X>
auto csin_chain(X const& x) {
    if constexpr (K == 1) {
        return csin(x);
    } else {
        return csin(csin_chain<K - 1>(x));
    }
}
