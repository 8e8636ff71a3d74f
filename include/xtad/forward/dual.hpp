// Defines xtad::dual<T, N>, a value and N tangents: forward mode, nestable (T may be a dual).
#pragma once

#include "xtad/core/constant.hpp"
#include "xtad/core/leaf.hpp"
#include "xtad/ops.hpp"

#include <array>
#include <cstddef>
#include <ostream>
#include <type_traits>
#include <utility>

namespace xtad {

/// A dual number: a value and N tangents (directional derivatives along N directions at
/// once). T is any real type, another dual included: dual<dual<double>> carries second
/// derivatives. Every elementwise op of xtad works on it, by that op's own derivative rule.
template <class T, std::size_t N = 1>
struct dual {
    static_assert(N > 0, "xtad::dual<T, N> needs at least one tangent");
    using value_type = T;
    static constexpr std::size_t size = N;

    T val{};
    std::array<T, N> eps{};

    constexpr dual() = default;
    /// A constant: zero tangents.
    template <class U>
    requires std::is_arithmetic_v<U> || std::is_same_v<U, T>
    constexpr dual(U v)
        : val(static_cast<T>(v)) {}
    constexpr dual(T v, std::array<T, N> const& t)
        : val(std::move(v))
        , eps(t) {}

    constexpr dual& operator+=(dual const& o) {
        val += o.val;
        for (std::size_t k = 0; k < N; ++k) {
            eps[k] += o.eps[k];
        }
        return *this;
    }
    constexpr dual& operator-=(dual const& o) {
        val -= o.val;
        for (std::size_t k = 0; k < N; ++k) {
            eps[k] -= o.eps[k];
        }
        return *this;
    }
    constexpr dual& operator*=(dual const& o) { return *this = *this * o; }
    constexpr dual& operator/=(dual const& o) { return *this = *this / o; }
    explicit constexpr operator bool() const { return val != T(0); }
};

template <class T>
constexpr bool is_dual = false;
template <class T, std::size_t N>
constexpr bool is_dual<dual<T, N>> = true;

template <class T, std::size_t N>
struct is_real<dual<T, N>> : is_real<T> {};

/// How many dual levels a type has: 0 for a number, 2 for dual<dual<double>>.
template <class T>
constexpr int dual_depth = 0;
template <class T, std::size_t N>
constexpr int dual_depth<dual<T, N>> = 1 + dual_depth<T>;

/// The innermost number type of a (possibly nested) dual: double for dual<dual<double>>.
template <class T>
struct primal {
    using type = T;
};
template <class T, std::size_t N>
struct primal<dual<T, N>> : primal<T> {};

// Arithmetic. The rules are spelt out here (not taken from the ops) because they are the
// building blocks the ops' rules are evaluated with.

template <class T, std::size_t N>
constexpr dual<T, N> operator-(dual<T, N> const& x) {
    dual<T, N> r;
    r.val = -x.val;
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = -x.eps[k];
    }
    return r;
}
template <class T, std::size_t N>
constexpr dual<T, N> operator+(dual<T, N> const& x) {
    return x;
}
// d(x + y) = dx + dy
template <class T, std::size_t N>
constexpr dual<T, N> operator+(dual<T, N> x, dual<T, N> const& y) {
    return x += y;
}
// d(x - y) = dx - dy
template <class T, std::size_t N>
constexpr dual<T, N> operator-(dual<T, N> x, dual<T, N> const& y) {
    return x -= y;
}
// d(x y) = y dx + x dy
template <class T, std::size_t N>
constexpr dual<T, N> operator*(dual<T, N> const& x, dual<T, N> const& y) {
    dual<T, N> r;
    r.val = x.val * y.val;
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = y.val * x.eps[k] + x.val * y.eps[k];
    }
    return r;
}
// d(x / y) = (dx - (x / y) dy) / y
template <class T, std::size_t N>
constexpr dual<T, N> operator/(dual<T, N> const& x, dual<T, N> const& y) {
    dual<T, N> r;
    r.val = x.val / y.val;
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = (x.eps[k] - r.val * y.eps[k]) / y.val;
    }
    return r;
}

/// A number that meets a dual<T, N> is a constant of that dual type.
template <class D, class U>
concept DualConstant =
    is_dual<D> && !is_dual<U> && std::is_convertible_v<U, typename D::value_type>;

#define XTAD_DUAL_MIXED(OP)                                                                        \
    template <class T, std::size_t N, class U>                                                     \
    requires DualConstant<dual<T, N>, U> ||(                                                       \
        is_dual<                                                                                   \
            U> && !std::is_same_v<U, dual<T, N>> && std::is_convertible_v<U, T>)constexpr dual<T,  \
                                                                                               N>  \
    operator OP(dual<T, N> const& x, U const& y) {                                                 \
        return x OP dual<T, N>(static_cast<T>(y));                                                 \
    }                                                                                              \
    template <class T, std::size_t N, class U>                                                     \
    requires DualConstant<dual<T, N>, U> ||(                                                       \
        is_dual<                                                                                   \
            U> && !std::is_same_v<U, dual<T, N>> && std::is_convertible_v<U, T>)constexpr dual<T,  \
                                                                                               N>  \
    operator OP(U const& x, dual<T, N> const& y) {                                                 \
        return dual<T, N>(static_cast<T>(x)) OP y;                                                 \
    }
XTAD_DUAL_MIXED(+)
XTAD_DUAL_MIXED(-)
XTAD_DUAL_MIXED(*)
XTAD_DUAL_MIXED(/)
#undef XTAD_DUAL_MIXED

/// Comparisons look at the values only (a dual is a number with a derivative attached).
template <class T, std::size_t N, class U>
constexpr auto value_of(U const& u) {
    if constexpr (std::is_same_v<U, dual<T, N>>) {
        return u.val;
    } else {
        return static_cast<T>(u);
    }
}

#define XTAD_DUAL_COMPARE(OP)                                                                      \
    template <class T, std::size_t N>                                                              \
    constexpr bool operator OP(dual<T, N> const& x, dual<T, N> const& y) {                         \
        return x.val OP y.val;                                                                     \
    }                                                                                              \
    template <class T, std::size_t N, class U>                                                     \
    requires std::is_convertible_v<U, T> &&(!is_dual<U>)constexpr bool operator OP(                \
        dual<T, N> const& x, U const& y) {                                                         \
        return x.val OP static_cast<T>(y);                                                         \
    }                                                                                              \
    template <class T, std::size_t N, class U>                                                     \
    requires std::is_convertible_v<U, T> &&(!is_dual<U>)constexpr bool operator OP(                \
        U const& x, dual<T, N> const& y) {                                                         \
        return static_cast<T>(x) OP y.val;                                                         \
    }
XTAD_DUAL_COMPARE(<)
XTAD_DUAL_COMPARE(<=)
XTAD_DUAL_COMPARE(>)
XTAD_DUAL_COMPARE(>=)
XTAD_DUAL_COMPARE(==)
XTAD_DUAL_COMPARE(!=)
#undef XTAD_DUAL_COMPARE

namespace detail {

template <class T, class E>
T scalar_eval(E const& e);

/// A mask (a comparison, or & and | of masks) on numbers: true or false.
template <class T, class E>
bool mask_eval(E const& e) {
    auto arg = [](auto const& a) {
        using A = std::remove_cvref_t<decltype(a)>;
        if constexpr (requires { A::op_type::is_mask; }) {
            if constexpr (A::op_type::is_mask) {
                return mask_eval<T>(a);
            } else {
                return scalar_eval<T>(a);
            }
        } else {
            return scalar_eval<T>(a);
        }
    };
    return e.op.value(arg(e.lhs), arg(e.rhs));
}

/// Evaluates a tree built of scalar constants (an op's derivative rule applied to numbers):
/// how forward mode reuses the rules that the adjoint pass builds expressions from.
template <class T, class E>
T scalar_eval(E const& e) {
    if constexpr (is_static_constant<E>) {
        return E::template value<T>();
    } else if constexpr (is_scalar_node<E>) {
        return static_cast<T>(e.value);
    } else if constexpr (requires {
                             e.op;
                             e.arg;
                         }) {
        return e.op.value(scalar_eval<T>(e.arg));
    } else if constexpr (requires { e.lhs; }) {
        static_assert(!E::op_type::is_mask, "a mask is evaluated by mask_eval");
        return e.op.value(scalar_eval<T>(e.lhs), scalar_eval<T>(e.rhs));
    } else if constexpr (requires { e.cond; }) {
        return mask_eval<T>(e.cond) ? scalar_eval<T>(e.then_) : scalar_eval<T>(e.else_);
    } else {
        static_assert(always_false<E>, "xtad: a derivative rule used a node forward mode cannot "
                                       "evaluate on numbers");
    }
}

template <class T, class R>
T rule_value(R const& r) {
    if constexpr (Expression<R>) {
        return scalar_eval<T>(r);
    } else {
        return static_cast<T>(r);
    }
}

} // namespace detail

/// An elementwise op on a dual number: the op's value rule on the value, and its derivative
/// rule (the same one the adjoint pass uses) times each tangent.
template <class Op, class T, std::size_t N>
dual<T, N> forward_apply(Op const& op, dual<T, N> const& x) {
    dual<T, N> r;
    r.val = op.value(x.val);
    T const d = detail::rule_value<T>(op.partial(scalar<T>{x.val}));
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = d * x.eps[k];
    }
    return r;
}

template <class Op, class L, class R>
requires is_dual<L> || is_dual<R>
auto forward_apply(Op const& op, L const& l, R const& r) {
    // The result is the higher level; the other operand is a constant of it.
    using D = std::conditional_t<(dual_depth<L> >= dual_depth<R>), L, R>;
    using T = typename D::value_type;
    D const x = D(l);
    D const y = D(r);
    D out;
    out.val = op.value(x.val, y.val);
    T const dl = detail::rule_value<T>(op.partial_l(scalar<T>{x.val}, scalar<T>{y.val}));
    T const dr = detail::rule_value<T>(op.partial_r(scalar<T>{x.val}, scalar<T>{y.val}));
    for (std::size_t k = 0; k < D::size; ++k) {
        out.eps[k] = dl * x.eps[k] + dr * y.eps[k];
    }
    return out;
}

/// Prints `dual(value; tangent, ...)`.
template <class T, std::size_t N>
std::ostream& operator<<(std::ostream& out, dual<T, N> const& x) {
    out << "dual(" << x.val << ';';
    for (std::size_t k = 0; k < N; ++k) {
        out << ' ' << x.eps[k];
    }
    return out << ')';
}

} // namespace xtad

template <class T, std::size_t N, class U>
requires std::is_arithmetic_v<U>
struct std::common_type<xtad::dual<T, N>, U> {
    using type = xtad::dual<T, N>;
};
template <class T, std::size_t N, class U>
requires std::is_arithmetic_v<U>
struct std::common_type<U, xtad::dual<T, N>> {
    using type = xtad::dual<T, N>;
};
