// Defines xtad::dual<T, N>, a value and N tangents: forward mode, nestable (T may be a dual).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/constant.hpp"
#include "xtad/core/leaf.hpp"
#include "xtad/eval/build.hpp"
#include "xtad/ops.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <tuple>
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
    /// Which tangents a derivative rule formed. A tangent that is not live and is zero is no
    /// tangent at all (detail::has_tangent): so a seed is written into eps alone, and the zeros
    /// beside it, or a constant's, never meet a partial.
    std::array<bool, N> live{};

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
            live[k] = live[k] || o.live[k];
        }
        return *this;
    }
    constexpr dual& operator-=(dual const& o) {
        val -= o.val;
        for (std::size_t k = 0; k < N; ++k) {
            eps[k] -= o.eps[k];
            live[k] = live[k] || o.live[k];
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
// building blocks the ops' rules are evaluated with. A term is formed only for a tangent the
// operand has (detail::has_tangent), so that an infinite or NaN partial of an operand that does
// not move cannot turn the others' derivatives into NaN; the result's tangent is live where one
// was formed.

template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator-(dual<T, N, G> const& x) {
    dual<T, N, G> r;
    r.val = -x.val;
    r.live = x.live;
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

namespace detail {

/// dl * ex + dr * ey, with the term of each tangent the operand has (hx, hy); +0 for neither.
template <class T, class A, class B>
constexpr T tangent_sum(bool hx, A const& dl, T const& ex, bool hy, B const& dr, T const& ey) {
    if (!hx) {
        return hy ? T(dr * ey) : T{};
    }
    return hy ? T(dl * ex + dr * ey) : T(dl * ex);
}

} // namespace detail

// d(x y) = y dx + x dy
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator*(dual<T, N, G> const& x, dual<T, N, G> const& y) {
    dual<T, N, G> r;
    r.val = x.val * y.val;
    for (std::size_t k = 0; k < N; ++k) {
        bool const hx = detail::has_tangent(x, k);
        bool const hy = detail::has_tangent(y, k);
        r.eps[k] = detail::tangent_sum(hx, y.val, x.eps[k], hy, x.val, y.eps[k]);
        r.live[k] = hx || hy;
    }
    return r;
}
// d(x / y) = (dx - (x / y) dy) / y
template <class T, std::size_t N, class G>
constexpr dual<T, N, G> operator/(dual<T, N, G> const& x, dual<T, N, G> const& y) {
    dual<T, N, G> r;
    r.val = x.val / y.val;
    for (std::size_t k = 0; k < N; ++k) {
        bool const hx = detail::has_tangent(x, k);
        bool const hy = detail::has_tangent(y, k);
        if (!hy) {
            r.eps[k] = hx ? T(x.eps[k] / y.val) : T{};
        } else {
            r.eps[k] =
                hx ? T((x.eps[k] - r.val * y.eps[k]) / y.val) : T(-(r.val * y.eps[k]) / y.val);
        }
        r.live[k] = hx || hy;
    }
    return r;
}

/// A number that meets a dual<T, N> is a constant of that dual type.
template <class D, class U>
concept DualConstant =
    is_dual<D> && !is_dual<U> && std::is_convertible_v<U, typename D::value_type>;

namespace detail {

/// c as the constant it is to a dual of type D: a number, in D's innermost number type; a dual of
/// a lower level, as it is. Either way it is no operand of D's level, so no partial is formed
/// for it (a constant's partial may be NaN, as d/dy x^y at x < 0 is, and 0 * NaN is NaN).
template <class D, class C>
constexpr auto as_constant(C const& c) {
    if constexpr (is_dual<C>) {
        return c;
    } else {
        return static_cast<primal_t<D>>(c);
    }
}

// The four operations of a dual x with a constant c (a number, or a dual of a lower level), in
// both orders: the value at the level below, the tangents by the partial in x alone.
template <class D, class C>
constexpr D dual_plus(D x, C const& c) {
    x.val = x.val + c;
    return x;
}
template <class C, class D>
constexpr D plus_dual(C const& c, D x) {
    x.val = c + x.val;
    return x;
}
template <class D, class C>
constexpr D dual_minus(D x, C const& c) {
    x.val = x.val - c;
    return x;
}
template <class C, class D>
constexpr D minus_dual(C const& c, D const& x) {
    D r = -x;
    r.val = c - x.val;
    return r;
}
// d(c x) = c dx
template <class D, class C>
constexpr D dual_times(D const& x, C const& c) {
    using T = typename D::value_type;
    D r;
    r.val = x.val * c;
    for (std::size_t k = 0; k < D::size; ++k) {
        bool const h = has_tangent(x, k);
        r.eps[k] = h ? T(x.eps[k] * c) : T{};
        r.live[k] = h;
    }
    return r;
}
template <class C, class D>
constexpr D times_dual(C const& c, D const& x) {
    using T = typename D::value_type;
    D r;
    r.val = c * x.val;
    for (std::size_t k = 0; k < D::size; ++k) {
        bool const h = has_tangent(x, k);
        r.eps[k] = h ? T(c * x.eps[k]) : T{};
        r.live[k] = h;
    }
    return r;
}
// d(x / c) = dx / c
template <class D, class C>
constexpr D dual_over(D const& x, C const& c) {
    using T = typename D::value_type;
    D r;
    r.val = x.val / c;
    for (std::size_t k = 0; k < D::size; ++k) {
        bool const h = has_tangent(x, k);
        r.eps[k] = h ? T(x.eps[k] / c) : T{};
        r.live[k] = h;
    }
    return r;
}
// d(c / x) = -(c / x) dx / x
template <class C, class D>
constexpr D over_dual(C const& c, D const& x) {
    using T = typename D::value_type;
    D r;
    r.val = c / x.val;
    for (std::size_t k = 0; k < D::size; ++k) {
        bool const h = has_tangent(x, k);
        r.eps[k] = h ? T(-(r.val * x.eps[k]) / x.val) : T{};
        r.live[k] = h;
    }
    return r;
}

} // namespace detail

// A number, or a dual of a lower level, meeting a dual is a constant of the higher dual type.
#define XTAD_DUAL_MIXED(OP, DUAL_OP_CONSTANT, CONSTANT_OP_DUAL)                                    \
    template <class T, std::size_t N, class G, class U>                                            \
    requires DualConstant<dual<T, N, G>, U>                                                        \
    constexpr dual<T, N, G> operator OP(dual<T, N, G> const& x, U const& y) {                      \
        return detail::DUAL_OP_CONSTANT(x, detail::as_constant<dual<T, N, G>>(y));                 \
    }                                                                                              \
    template <class T, std::size_t N, class G, class U>                                            \
    requires DualConstant<dual<T, N, G>, U>                                                        \
    constexpr dual<T, N, G> operator OP(U const& x, dual<T, N, G> const& y) {                      \
        return detail::CONSTANT_OP_DUAL(detail::as_constant<dual<T, N, G>>(x), y);                 \
    }                                                                                              \
    template <class L, class R>                                                                    \
    requires DistinctDuals<L, R>                                                                   \
    constexpr auto operator OP(L const& x, R const& y) {                                           \
        using D = typename detail::dual_common<L, R>::type;                                        \
        if constexpr (std::is_same_v<D, L>) {                                                      \
            return detail::DUAL_OP_CONSTANT(x, y);                                                 \
        } else {                                                                                   \
            return detail::CONSTANT_OP_DUAL(x, y);                                                 \
        }                                                                                          \
    }
XTAD_DUAL_MIXED(+, dual_plus, plus_dual)
XTAD_DUAL_MIXED(-, dual_minus, minus_dual)
XTAD_DUAL_MIXED(*, dual_times, times_dual)
XTAD_DUAL_MIXED(/, dual_over, over_dual)
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

/// An op's value on numbers, or its forward rule (forward_apply) where an argument is a dual:
/// how every op is evaluated on dual numbers, in a tree (eval/build.hpp's scalar_fn does the
/// same) and inside the derivative rules.
template <class Op, class... X>
auto value_rule(Op const& op, X const&... x) {
    if constexpr ((is_dual<X> || ...)) {
        return forward_apply(op, x...);
    } else {
        return op.value(x...);
    }
}

template <class T, class E>
auto scalar_eval(E const& e);

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

/// Evaluates a tree built of scalars (an op's derivative rule applied to numbers): how forward
/// mode reuses the rules that the adjoint pass builds expressions from. T is the type of the
/// values; constants keep their own number type, so that no partial is formed for them.
template <class T, class E>
auto scalar_eval(E const& e) {
    if constexpr (is_static_constant<E>) {
        return E::template value<primal_t<T>>();
    } else if constexpr (is_scalar_node<E>) {
        return e.value;
    } else if constexpr (requires {
                             e.op;
                             e.arg;
                         }) {
        return value_rule(e.op, scalar_eval<T>(e.arg));
    } else if constexpr (requires { e.lhs; }) {
        static_assert(!E::op_type::is_mask, "a mask is evaluated by mask_eval");
        return value_rule(e.op, scalar_eval<T>(e.lhs), scalar_eval<T>(e.rhs));
    } else if constexpr (requires { e.cond; }) {
        auto const a = scalar_eval<T>(e.then_);
        auto const b = scalar_eval<T>(e.else_);
        using R = std::common_type_t<decltype(a), decltype(b)>;
        return mask_eval<T>(e.cond) ? R(a) : R(b);
    } else {
        static_assert(always_false<E>, "xtad: a derivative rule used a node forward mode cannot "
                                       "evaluate on numbers");
    }
}

template <class T, class R>
T rule_value(R const& r) {
    if constexpr (Expression<R>) {
        return static_cast<T>(scalar_eval<T>(r));
    } else {
        return static_cast<T>(r);
    }
}

/// A partial derivative's value, of type G: the op's rule on its operand's value. Where the
/// rule is the op itself on the same operand (d/dx exp(x) = exp(x)), the op's value `self`,
/// already computed: forward mode and the sweep compute such a value once, not twice.
template <class G, class Op, class X, class P, class S>
G partial_value(P const& rule, S const& self) {
    if constexpr (std::is_empty_v<Op> && std::is_same_v<P, unary<Op, scalar<X>>>) {
        return static_cast<G>(self);
    } else {
        return rule_value<G>(rule);
    }
}

/// Whether a dual has any tangent (detail::has_tangent of each).
template <class D>
bool has_any_tangent(D const& x) {
    for (std::size_t k = 0; k < D::size; ++k) {
        if (has_tangent(x, k)) {
            return true;
        }
    }
    return false;
}

/// An operand of a binary op on duals of type D, as the partial rules see it: the value of an
/// operand of D's level, or a constant (a number, or a dual of a lower level) as it is.
template <class D, class X>
auto operand_value(X const& x) {
    if constexpr (std::is_same_v<X, D>) {
        return x.val;
    } else {
        return as_constant<D>(x);
    }
}

} // namespace detail

/// An elementwise op on a dual number: the op's value rule on the value, and its derivative
/// rule (the same one the adjoint pass uses) times each tangent. The partial is formed only if
/// x has a tangent; a partial that is zero by construction (sign's, pow<0>'s) forms none, as the
/// adjoint pass drops it at compile time.
template <class Op, class T, std::size_t N, class G>
dual<T, N, G> forward_apply(Op const& op, dual<T, N, G> const& x) {
    dual<T, N, G> r;
    r.val = detail::value_rule(op, x.val);
    if constexpr (is_zero<decltype(op.partial(scalar<T>{x.val}))>) {
        return r;
    }
    if (!detail::has_any_tangent(x)) {
        return r;
    }
    T const d = detail::partial_value<T, Op, T>(op.partial(scalar<T>{x.val}), r.val);
    for (std::size_t k = 0; k < N; ++k) {
        r.live[k] = detail::has_tangent(x, k);
        r.eps[k] = r.live[k] ? T(d * x.eps[k]) : T{};
    }
    return r;
}

/// A binary op on duals. An operand that is not a dual of the result's level (a number, or a
/// dual of a lower level) is a constant: its partial is not formed, decided at compile time;
/// a dual operand's partial is formed only if it has a tangent.
template <class Op, class L, class R>
requires is_dual<L> || is_dual<R>
auto forward_apply(Op const& op, L const& l, R const& r) {
    using D = typename std::conditional_t<is_dual<L> && is_dual<R>, detail::dual_common<L, R>,
                                          std::common_type<L, R>>::type;
    using T = typename D::value_type;
    auto const x = detail::operand_value<D>(l);
    auto const y = detail::operand_value<D>(r);
    D out;
    out.val = detail::value_rule(op, x, y);
    using X = std::remove_const_t<decltype(x)>;
    using Y = std::remove_const_t<decltype(y)>;
    // An operand of a lower level, or whose partial is zero by construction, forms no term.
    constexpr bool l_on =
        std::is_same_v<L, D> && !is_zero<decltype(op.partial_l(scalar<X>{x}, scalar<Y>{y}))>;
    constexpr bool r_on =
        std::is_same_v<R, D> && !is_zero<decltype(op.partial_r(scalar<X>{x}, scalar<Y>{y}))>;
    if constexpr (!l_on && !r_on) {
        return out;
    }
    bool tl = false;
    bool tr = false;
    if constexpr (l_on) {
        tl = detail::has_any_tangent(l);
    }
    if constexpr (r_on) {
        tr = detail::has_any_tangent(r);
    }
    if (!tl && !tr) {
        return out;
    }
    T dl{};
    T dr{};
    if constexpr (l_on) {
        if (tl) {
            dl = detail::rule_value<T>(op.partial_l(scalar<X>{x}, scalar<Y>{y}));
        }
    }
    if constexpr (r_on) {
        if (tr) {
            dr = detail::rule_value<T>(op.partial_r(scalar<X>{x}, scalar<Y>{y}));
        }
    }
    for (std::size_t k = 0; k < D::size; ++k) {
        bool hl = false;
        bool hr = false;
        if constexpr (l_on) {
            hl = detail::has_tangent(l, k);
        }
        if constexpr (r_on) {
            hr = detail::has_tangent(r, k);
        }
        if constexpr (l_on && r_on) {
            out.eps[k] = detail::tangent_sum(hl, dl, l.eps[k], hr, dr, r.eps[k]);
        } else if constexpr (l_on) {
            out.eps[k] = hl ? T(dl * l.eps[k]) : T{};
        } else if constexpr (r_on) {
            out.eps[k] = hr ? T(dr * r.eps[k]) : T{};
        }
        out.live[k] = hl || hr;
    }
    return out;
}

namespace detail {

/// Whether a tensor op of K operands has a jvp rule, probed on arrays of double.
template <class Op, class Seq>
struct jvp_probe;
template <class Op, std::size_t... K>
struct jvp_probe<Op, std::index_sequence<K...>> {
    template <std::size_t>
    using array = xt::xarray<double> const&;
    static constexpr bool value = requires(Op const& op, xt::xarray<double> const& t) {
        op.jvp(t, array<K>(t)..., array<K>(t)...);
    };
};

/// The check that a tensor op used in forward mode has a jvp rule: one error per op, however
/// many dual types it is evaluated on.
template <class Op, std::size_t K>
struct jvp_rule_check {
    static constexpr bool ok = jvp_probe<Op, std::make_index_sequence<K>>::value;
    static_assert(ok, "xtad: a tensor op needs a jvp rule for forward mode, `template <class T> "
                      "xt::xarray<T> jvp(y, a..., da...) const` on arrays of T");
};

} // namespace detail

/// A tensor op (tensor_op) on tensors of dual numbers: split into the values and, per direction,
/// the tangents; the op's value rule on the values and its jvp rule on each direction that some
/// operand moves in (a direction no operand has stays no tangent at all). The value rule never
/// sees a dual number of this level, so it may call BLAS or LAPACK; on nested duals it sees the
/// level below, and this splits again.
template <class Op, class T, std::size_t N, class G, class... A>
xt::xarray<dual<T, N, G>> forward_tensor_apply(Op const& op, xt::xarray<dual<T, N, G>> const& a0,
                                               A const&... a) {
    using D = dual<T, N, G>;
    auto const values = [](xt::xarray<D> const& x) {
        xt::xarray<T> v(x.shape());
        std::transform(x.begin(), x.end(), v.begin(), [](D const& d) { return d.val; });
        return v;
    };
    auto const moves = [](xt::xarray<D> const& x, std::size_t k) {
        return std::any_of(x.begin(), x.end(),
                           [k](D const& d) { return detail::has_tangent(d, k); });
    };
    auto const tangents = [](xt::xarray<D> const& x, std::size_t k) {
        xt::xarray<T> t(x.shape());
        std::transform(x.begin(), x.end(), t.begin(),
                       [k](D const& d) { return detail::has_tangent(d, k) ? d.eps[k] : T{}; });
        return t;
    };
    auto const formed = [](xt::xarray<D> const& x, std::size_t k) {
        xt::xarray<T> t(x.shape());
        std::transform(x.begin(), x.end(), t.begin(),
                       [k](D const& d) { return detail::has_tangent(d, k) ? T(1) : T(0); });
        return t;
    };
    std::tuple<xt::xarray<T>, std::conditional_t<true, xt::xarray<T>, A>...> const v{values(a0),
                                                                                     values(a)...};
    xt::xarray<T> const y =
        std::apply([&](auto const&... x) { return detail::tensor_value<T>(op, x...); }, v);
    xt::xarray<D> out(y.shape());
    std::transform(y.begin(), y.end(), out.begin(), [](T const& x) { return D(x); });
    for (std::size_t k = 0; k < N; ++k) {
        if (!moves(a0, k) && !(moves(a, k) || ...)) {
            continue;
        }
        if constexpr (!detail::jvp_rule_check<Op, 1 + sizeof...(A)>::ok) {
            return out;
        } else {
            xt::xarray<T> const dy = std::apply(
                [&](auto const&... x) {
                    return op.jvp(y, x..., tangents(a0, k), tangents(a, k)...);
                },
                v);
            if (!std::equal(dy.shape().begin(), dy.shape().end(), y.shape().begin(),
                            y.shape().end())) {
                throw error(
                    "xtad::" + std::string(Op::name) + ": the jvp rule gave a tangent of shape "
                    + detail::shape_str(detail::to_shape(dy.shape())) + " for a value of shape "
                    + detail::shape_str(detail::to_shape(y.shape())));
            }
            // Live where the direction reaches. Where dy is nonzero it does. A zero of dy may
            // be no tangent (the elements of a transpose or a view that the seed does not reach;
            // there reverse mode sends no adjoint, and an infinite partial above must not make
            // 0 · inf) or a tangent that is zero (the partial below was 0; there reverse mode's
            // adjoint meets it). The jvp rule on indicators of the tangents formed (1 where an
            // operand's tangent is live) tells them apart.
            bool const zeros =
                std::any_of(dy.begin(), dy.end(), [](T const& t) { return t == T(0); });
            xt::xarray<T> reach;
            if (zeros) {
                reach = std::apply(
                    [&](auto const&... x) {
                        return op.jvp(y, x..., formed(a0, k), formed(a, k)...);
                    },
                    v);
            }
            for (std::size_t i = 0; i < out.size(); ++i) {
                out.flat(i).eps[k] = dy.flat(i);
                out.flat(i).live[k] = zeros && dy.flat(i) == T(0) && reach.flat(i) != T(0);
            }
        }
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
