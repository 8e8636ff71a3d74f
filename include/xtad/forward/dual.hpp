// Defines xtad::dual<T, N>, a value and N tangents: forward mode, nestable (T may be a dual).
#pragma once
#include "xtad/core/cxx20.hpp"

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
///
/// Tag names the derivative the tangents belong to. Users leave it void; jvp, jacfwd and the
/// other transforms tag their duals with call_tag<F, V> (the function and the point's element
/// type), so that two duals of the same level made by different calls cannot meet in one
/// operation: that would add one call's tangent to the other's (perturbation confusion), and
/// it is a compile error instead.
template <class T, std::size_t N = 1, class Tag = void>
struct dual {
    static_assert(N > 0, "xtad::dual<T, N> needs at least one tangent");
    using value_type = T;
    using tag_type = Tag;
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

/// The tag of the duals that one transform (jvp, jacfwd, hessian, ...) of the callable F at a
/// point of element type V makes. V carries the tags of the calls it is nested in, so a call
/// nested in another, with its point lifted to the outer dual type, gets a tag of its own.
template <class F, class V>
struct call_tag {};

template <class T>
constexpr bool is_dual = false;
template <class T, std::size_t N, class G>
constexpr bool is_dual<dual<T, N, G>> = true;

template <class T, std::size_t N, class G>
struct is_real<dual<T, N, G>> : is_real<T> {};

/// How many dual levels a type has: 0 for a number, 2 for dual<dual<double>>.
template <class T>
constexpr int dual_depth = 0;
template <class T, std::size_t N, class G>
constexpr int dual_depth<dual<T, N, G>> = 1 + dual_depth<T>;

/// The innermost number type of a (possibly nested) dual: double for dual<dual<double>>.
template <class T>
struct primal {
    using type = T;
};
template <class T, std::size_t N, class G>
struct primal<dual<T, N, G>> : primal<T> {};

namespace detail {

/// The level of the dual tower D that has depth K: D itself, or a value type inside it.
template <class D, int K, bool = (dual_depth<D> > K)>
struct dual_level {
    using type = D;
};
template <class D, int K>
struct dual_level<D, K, true> : dual_level<typename D::value_type, K> {};

/// Whether two dual towers of the same depth carry the same tag at every level.
template <class A, class B>
constexpr bool same_tags = true;
template <class T, std::size_t N, class G, class U, std::size_t M, class H>
constexpr bool same_tags<dual<T, N, G>, dual<U, M, H>> = std::is_same_v<G, H>&& same_tags<T, U>;

/// The type two duals meet in: the one with more levels, of which the other must be one of the
/// levels. Anything else is a compile error that says why.
template <class L, class R>
struct dual_common {
    using hi = std::conditional_t<(dual_depth<L> >= dual_depth<R>), L, R>;
    using lo = std::conditional_t<(dual_depth<L> >= dual_depth<R>), R, L>;
    using level = typename dual_level<hi, dual_depth<lo>>::type;
    static_assert(same_tags<level, lo>,
                  "xtad: tangents of two different derivative calls meet in one operation; lift "
                  "the inner call's point to the outer call's dual type (perturbation confusion)");
    static_assert(!same_tags<level, lo> || std::is_same_v<level, lo>,
                  "xtad: two dual numbers with different value types or numbers of tangents meet "
                  "in one operation");
    using type = hi;
};

/// x as a constant of the dual type D (x a number, or a dual of one of D's inner levels).
template <class D, class X>
constexpr D lift(X const& x) {
    if constexpr (std::is_same_v<D, X> || !is_dual<X>) {
        return D(x);
    } else if constexpr (dual_depth<X> < dual_depth<D>) {
        return D(lift<typename D::value_type>(x));
    } else {
        // Only reached where dual_common has already stopped the compilation with its message.
        return D{};
    }
}

} // namespace detail

/// Two different dual types (operands of one binary operation).
template <class L, class R>
concept DistinctDuals = is_dual<L> && is_dual<R> && !std::is_same_v<L, R>;

// Arithmetic. The rules are spelt out here (not taken from the ops) because they are the
// building blocks the ops' rules are evaluated with.

template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator-(dual<T, N, G> const& x) {
    dual<T, N, G> r;
    r.val = -x.val;
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = -x.eps[k];
    }
    return r;
}
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator+(dual<T, N, G> const& x) {
    return x;
}
// d(x + y) = dx + dy
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator+(dual<T, N, G> x, dual<T, N, G> const& y) {
    return x += y;
}
// d(x - y) = dx - dy
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator-(dual<T, N, G> x, dual<T, N, G> const& y) {
    return x -= y;
}
// d(x y) = y dx + x dy
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator*(dual<T, N, G> const& x, dual<T, N, G> const& y) {
    dual<T, N, G> r;
    r.val = x.val * y.val;
    for (std::size_t k = 0; k < N; ++k) {
        r.eps[k] = y.val * x.eps[k] + x.val * y.eps[k];
    }
    return r;
}
// d(x / y) = (dx - (x / y) dy) / y
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator/(dual<T, N, G> const& x, dual<T, N, G> const& y) {
    dual<T, N, G> r;
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

// A number, or a dual of a lower level, meeting a dual is a constant of the higher dual type.
#define XTAD_DUAL_MIXED(OP)                                                                        \
    template <class T, std::size_t N, class G, class U>                                            \
    requires DualConstant<dual<T, N, G>, U>                                                        \
    constexpr dual<T, N, G> operator OP(dual<T, N, G> const& x, U const& y) {                      \
        return x OP dual<T, N, G>(static_cast<T>(y));                                              \
    }                                                                                              \
    template <class T, std::size_t N, class G, class U>                                            \
    requires DualConstant<dual<T, N, G>, U>                                                        \
    constexpr dual<T, N, G> operator OP(U const& x, dual<T, N, G> const& y) {                      \
        return dual<T, N, G>(static_cast<T>(x)) OP y;                                              \
    }                                                                                              \
    template <class L, class R>                                                                    \
    requires DistinctDuals<L, R>                                                                   \
    constexpr auto operator OP(L const& x, R const& y) {                                           \
        using D = typename detail::dual_common<L, R>::type;                                        \
        return detail::lift<D>(x) OP detail::lift<D>(y);                                           \
    }
XTAD_DUAL_MIXED(+)
XTAD_DUAL_MIXED(-)
XTAD_DUAL_MIXED(*)
XTAD_DUAL_MIXED(/)
#undef XTAD_DUAL_MIXED

/// Comparisons look at the values only (a dual is a number with a derivative attached).
template <class T, std::size_t N, class G = void, class U>
constexpr auto value_of(U const& u) {
    if constexpr (std::is_same_v<U, dual<T, N, G>>) {
        return u.val;
    } else {
        return static_cast<T>(u);
    }
}

/// A number that a dual is compared with.
template <class U, class T>
concept ComparableNumber = std::is_convertible_v<U, T> && !is_dual<U>;

#define XTAD_DUAL_COMPARE(OP)                                                                      \
    template <class T, std::size_t N, class G>                                                     \
    constexpr bool operator OP(dual<T, N, G> const& x, dual<T, N, G> const& y) {                   \
        return x.val OP y.val;                                                                     \
    }                                                                                              \
    template <class T, std::size_t N, class G, class U>                                            \
    requires ComparableNumber<U, T>                                                                \
    constexpr bool operator OP(dual<T, N, G> const& x, U const& y) {                               \
        return x.val OP static_cast<T>(y);                                                         \
    }                                                                                              \
    template <class T, std::size_t N, class G, class U>                                            \
    requires ComparableNumber<U, T>                                                                \
    constexpr bool operator OP(U const& x, dual<T, N, G> const& y) {                               \
        return static_cast<T>(x) OP y.val;                                                         \
    }                                                                                              \
    template <class L, class R>                                                                    \
    requires DistinctDuals<L, R>                                                                   \
    constexpr bool operator OP(L const& x, R const& y) {                                           \
        using D = typename detail::dual_common<L, R>::type;                                        \
        return detail::lift<D>(x).val OP detail::lift<D>(y).val;                                   \
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
template <class Op, class T, std::size_t N, class G>
dual<T, N, G> forward_apply(Op const& op, dual<T, N, G> const& x) {
    dual<T, N, G> r;
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
    using D = typename std::conditional_t<is_dual<L> && is_dual<R>, detail::dual_common<L, R>,
                                          std::common_type<L, R>>::type;
    using T = typename D::value_type;
    D const x = detail::lift<D>(l);
    D const y = detail::lift<D>(r);
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
template <class T, std::size_t N, class G>
std::ostream& operator<<(std::ostream& out, dual<T, N, G> const& x) {
    out << "dual(" << x.val << ';';
    for (std::size_t k = 0; k < N; ++k) {
        out << ' ' << x.eps[k];
    }
    return out << ')';
}

} // namespace xtad

template <class T, std::size_t N, class G, class U>
requires std::is_arithmetic_v<U>
struct std::common_type<xtad::dual<T, N, G>, U> {
    using type = xtad::dual<T, N, G>;
};
template <class T, std::size_t N, class G, class U>
requires std::is_arithmetic_v<U>
struct std::common_type<U, xtad::dual<T, N, G>> {
    using type = xtad::dual<T, N, G>;
};
/// Two duals have a common type only if one is a level of the other (see dual_common).
template <class T, std::size_t N, class G, class U, std::size_t M, class H>
struct std::common_type<xtad::dual<T, N, G>, xtad::dual<U, M, H>>
    : xtad::detail::dual_common<xtad::dual<T, N, G>, xtad::dual<U, M, H>> {};
