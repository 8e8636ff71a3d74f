// Defines + - * / and unary minus on xtad expressions, with the compile-time simplifier that
// keeps derivatives small: 0*x is 0, 1*x is x, 3*(3*x) is 9*x.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/elementwise.hpp"

#include <boost/hana/integral_constant.hpp>

#include <string_view>
#include <type_traits>
#include <utility>

namespace xtad {

struct add_op {
    static constexpr std::string_view name = "add";
    static constexpr std::string_view symbol = "+";
    static constexpr std::string_view grad_fn = "AddBackward0";
    static constexpr notation form = notation::infix;
    static constexpr int precedence = 4;
    static constexpr bool is_mask = false;
    // d/dx (x + y) = 1, d/dy (x + y) = 1
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x + y;
    }
    template <class X, class Y>
    auto partial_l(X const&, Y const&) const {
        return one_t{};
    }
    template <class X, class Y>
    auto partial_r(X const&, Y const&) const {
        return one_t{};
    }
};

struct sub_op {
    static constexpr std::string_view name = "sub";
    static constexpr std::string_view symbol = "-";
    static constexpr std::string_view grad_fn = "SubBackward0";
    static constexpr notation form = notation::infix;
    static constexpr int precedence = 4;
    static constexpr bool is_mask = false;
    // d/dx (x - y) = 1, d/dy (x - y) = -1
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x - y;
    }
    template <class X, class Y>
    auto partial_l(X const&, Y const&) const {
        return one_t{};
    }
    template <class X, class Y>
    auto partial_r(X const&, Y const&) const {
        return static_constant<-1>{};
    }
};

struct mul_op {
    static constexpr std::string_view name = "mul";
    static constexpr std::string_view symbol = "*";
    static constexpr std::string_view grad_fn = "MulBackward0";
    static constexpr notation form = notation::infix;
    static constexpr int precedence = 6;
    static constexpr bool is_mask = false;
    // d/dx (x * y) = y, d/dy (x * y) = x
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x * y;
    }
    template <class X, class Y>
    auto partial_l(X const&, Y const& y) const {
        return y;
    }
    template <class X, class Y>
    auto partial_r(X const& x, Y const&) const {
        return x;
    }
};

struct div_op {
    static constexpr std::string_view name = "div";
    static constexpr std::string_view symbol = "/";
    static constexpr std::string_view grad_fn = "DivBackward0";
    static constexpr notation form = notation::infix;
    static constexpr int precedence = 6;
    static constexpr bool is_mask = false;
    // d/dx (x / y) = 1 / y, d/dy (x / y) = -x / y^2
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x / y;
    }
    template <class X, class Y>
    auto partial_l(X const&, Y const& y) const;
    template <class X, class Y>
    auto partial_r(X const& x, Y const& y) const;
};

struct neg_op {
    static constexpr std::string_view name = "neg";
    static constexpr std::string_view symbol = "-";
    static constexpr std::string_view grad_fn = "NegBackward0";
    static constexpr notation form = notation::prefix;
    static constexpr int precedence = 5;
    // d/dx (-x) = -1
    template <class T>
    auto value(T const& x) const {
        return -x;
    }
    template <class X>
    auto partial(X const&) const {
        return static_constant<-1>{};
    }
};

namespace detail {

template <class E, class Op>
constexpr bool is_binary_of = false;
template <class Op, class L, class R>
constexpr bool is_binary_of<binary<Op, L, R>, Op> = true;

template <class E>
constexpr bool is_neg = false;
template <class E>
constexpr bool is_neg<unary<neg_op, E>> = true;

/// The number type of a constant: a scalar's own, double for a static rational.
template <class E>
struct scalar_type {
    using type = double;
};
template <class S>
struct scalar_type<scalar<S>> {
    using type = S;
};

template <class L, class R>
using folded_scalar_t =
    std::common_type_t<double, typename scalar_type<L>::type, typename scalar_type<R>::type>;

template <class E>
auto neg(E&& e);
template <class L, class R>
auto add(L&& l, R&& r);
template <class L, class R>
auto sub(L&& l, R&& r);
template <class L, class R>
auto mul(L&& l, R&& r);
template <class L, class R>
auto div(L&& l, R&& r);

// The simplifier takes its operands by forwarding reference and the node it builds owns them: an
// rvalue (a node built in place, `pow<2>(x(0)) + ...`, or a derivative rule's result) is moved
// in once, an lvalue copied once (owned, below). Passed on as lvalues to make_binary, an owned
// leaf among them would become a leaf_ref to an operand that may be a temporary, gone before
// the node is evaluated.

/// `x` as an rvalue a node may take over: a copy of an lvalue, the operand itself otherwise.
template <class X>
decltype(auto) owned(X&& x) {
    if constexpr (std::is_lvalue_reference_v<X>) {
        return std::remove_cvref_t<X>(x);
    } else {
        return static_cast<X&&>(x);
    }
}

/// -e, simplified: -(-x) is x, -(c*x) is (-c)*x, constants fold.
template <class E>
auto neg(E&& e) {
    using T = std::remove_cvref_t<E>;
    if constexpr (is_static_constant<T>) {
        return make_static<-T::num, T::den>();
    } else if constexpr (is_scalar_node<T>) {
        return scalar<decltype(-e.value)>{-e.value};
    } else if constexpr (is_neg<T>) {
        return std::forward<E>(e).arg;
    } else if constexpr (is_binary_of<T, mul_op>) {
        if constexpr (is_constant_scalar<decltype(e.lhs)>) {
            return mul(neg(std::forward<E>(e).lhs), std::forward<E>(e).rhs);
        } else {
            return unary<neg_op, T>{owned(std::forward<E>(e))};
        }
    } else {
        return unary<neg_op, T>{owned(std::forward<E>(e))};
    }
}

/// l * r, simplified: zeros vanish, ones disappear, constants fold and move to the front.
template <class L, class R>
auto mul(L&& l, R&& r) {
    using A = std::remove_cvref_t<L>;
    using B = std::remove_cvref_t<R>;
    if constexpr (is_zero<A> || is_zero<B>) {
        return zero_t{};
    } else if constexpr (is_one<A>) {
        return B(std::forward<R>(r));
    } else if constexpr (is_one<B>) {
        return A(std::forward<L>(l));
    } else if constexpr (is_static_constant<A> && is_static_constant<B>) {
        return make_static<A::num * B::num, A::den * B::den>();
    } else if constexpr (is_constant_scalar<A> && is_constant_scalar<B>) {
        using S = folded_scalar_t<A, B>;
        return scalar<S>{constant_value<S>(l) * constant_value<S>(r)};
    } else if constexpr (std::is_same_v<A, static_constant<-1>>) {
        return neg(std::forward<R>(r));
    } else if constexpr (is_constant_scalar<B>) {
        return mul(std::forward<R>(r), std::forward<L>(l));
    } else if constexpr (is_constant_scalar<A> && is_binary_of<B, mul_op>) {
        if constexpr (is_constant_scalar<decltype(r.lhs)>) {
            return mul(mul(std::forward<L>(l), std::forward<R>(r).lhs), std::forward<R>(r).rhs);
        } else {
            return make_binary<mul_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
        }
    } else if constexpr (is_neg<A>) {
        return neg(mul(std::forward<L>(l).arg, std::forward<R>(r)));
    } else if constexpr (is_neg<B>) {
        return neg(mul(std::forward<L>(l), std::forward<R>(r).arg));
    } else if constexpr (is_binary_of<B, div_op>) {
        if constexpr (is_one<decltype(r.lhs)>) {
            return div(std::forward<L>(l), std::forward<R>(r).rhs);
        } else {
            return make_binary<mul_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
        }
    } else {
        return make_binary<mul_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
    }
}

/// l + r, simplified: zeros vanish, constants fold, x + (-y) is x - y.
template <class L, class R>
auto add(L&& l, R&& r) {
    using A = std::remove_cvref_t<L>;
    using B = std::remove_cvref_t<R>;
    if constexpr (is_zero<A>) {
        return B(std::forward<R>(r));
    } else if constexpr (is_zero<B>) {
        return A(std::forward<L>(l));
    } else if constexpr (is_static_constant<A> && is_static_constant<B>) {
        return make_static<A::num * B::den + B::num * A::den, A::den * B::den>();
    } else if constexpr (is_constant_scalar<A> && is_constant_scalar<B>) {
        using S = folded_scalar_t<A, B>;
        return scalar<S>{constant_value<S>(l) + constant_value<S>(r)};
    } else if constexpr (is_neg<B>) {
        return sub(std::forward<L>(l), std::forward<R>(r).arg);
    } else {
        return make_binary<add_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
    }
}

/// l - r, simplified: x - 0 is x, 0 - x is -x, constants fold, x - (-y) is x + y.
template <class L, class R>
auto sub(L&& l, R&& r) {
    using A = std::remove_cvref_t<L>;
    using B = std::remove_cvref_t<R>;
    if constexpr (is_zero<B>) {
        return A(std::forward<L>(l));
    } else if constexpr (is_zero<A>) {
        return neg(std::forward<R>(r));
    } else if constexpr (is_static_constant<A> && is_static_constant<B>) {
        return make_static<A::num * B::den - B::num * A::den, A::den * B::den>();
    } else if constexpr (is_constant_scalar<A> && is_constant_scalar<B>) {
        using S = folded_scalar_t<A, B>;
        return scalar<S>{constant_value<S>(l) - constant_value<S>(r)};
    } else if constexpr (is_neg<B>) {
        return add(std::forward<L>(l), std::forward<R>(r).arg);
    } else {
        return make_binary<sub_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
    }
}

/// l / r, simplified: 0 / x is 0, x / 1 is x, constants fold.
template <class L, class R>
auto div(L&& l, R&& r) {
    using A = std::remove_cvref_t<L>;
    using B = std::remove_cvref_t<R>;
    static_assert(!is_zero<B>, "xtad: division by a constant zero");
    if constexpr (is_zero<A> || is_one<B>) {
        if constexpr (is_zero<A>) {
            return zero_t{};
        } else {
            return A(std::forward<L>(l));
        }
    } else if constexpr (is_static_constant<A> && is_static_constant<B>) {
        return make_static<A::num * B::den, A::den * B::num>();
    } else if constexpr (is_constant_scalar<A> && is_constant_scalar<B>) {
        using S = folded_scalar_t<A, B>;
        return scalar<S>{constant_value<S>(l) / constant_value<S>(r)};
    } else if constexpr (is_neg<A>) {
        return neg(div(std::forward<L>(l).arg, std::forward<R>(r)));
    } else {
        return make_binary<div_op>(owned(std::forward<L>(l)), owned(std::forward<R>(r)));
    }
}

} // namespace detail

template <class X, class Y>
auto div_op::partial_l(X const&, Y const& y) const {
    return detail::div(one_t{}, y);
}
template <class X, class Y>
auto div_op::partial_r(X const& x, Y const& y) const {
    return detail::neg(detail::div(x, detail::mul(y, y)));
}

/// Elementwise sum, difference, product and quotient, broadcasting as numpy and torch do.
template <class L, class R>
requires BinaryOperands<L, R>
auto operator+(L&& l, R&& r) {
    return detail::add(detail::as_node(std::forward<L>(l)), detail::as_node(std::forward<R>(r)));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator-(L&& l, R&& r) {
    return detail::sub(detail::as_node(std::forward<L>(l)), detail::as_node(std::forward<R>(r)));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator*(L&& l, R&& r) {
    return detail::mul(detail::as_node(std::forward<L>(l)), detail::as_node(std::forward<R>(r)));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator/(L&& l, R&& r) {
    return detail::div(detail::as_node(std::forward<L>(l)), detail::as_node(std::forward<R>(r)));
}
// Boost.Hana's own operators also accept hana::int_c<3> * x; these overloads are more
// specialised, so `int_c<3> * x` is an xtad expression with a static constant, which folds.
template <class T, T V, class R>
requires Expression<R>
auto operator+(boost::hana::integral_constant<T, V> l, R&& r) {
    return detail::add(detail::as_node(l), detail::as_node(std::forward<R>(r)));
}
template <class L, class T, T V>
requires Expression<L>
auto operator+(L&& l, boost::hana::integral_constant<T, V> r) {
    return detail::add(detail::as_node(std::forward<L>(l)), detail::as_node(r));
}
template <class T, T V, class R>
requires Expression<R>
auto operator-(boost::hana::integral_constant<T, V> l, R&& r) {
    return detail::sub(detail::as_node(l), detail::as_node(std::forward<R>(r)));
}
template <class L, class T, T V>
requires Expression<L>
auto operator-(L&& l, boost::hana::integral_constant<T, V> r) {
    return detail::sub(detail::as_node(std::forward<L>(l)), detail::as_node(r));
}
template <class T, T V, class R>
requires Expression<R>
auto operator*(boost::hana::integral_constant<T, V> l, R&& r) {
    return detail::mul(detail::as_node(l), detail::as_node(std::forward<R>(r)));
}
template <class L, class T, T V>
requires Expression<L>
auto operator*(L&& l, boost::hana::integral_constant<T, V> r) {
    return detail::mul(detail::as_node(std::forward<L>(l)), detail::as_node(r));
}
template <class T, T V, class R>
requires Expression<R>
auto operator/(boost::hana::integral_constant<T, V> l, R&& r) {
    return detail::div(detail::as_node(l), detail::as_node(std::forward<R>(r)));
}
template <class L, class T, T V>
requires Expression<L>
auto operator/(L&& l, boost::hana::integral_constant<T, V> r) {
    return detail::div(detail::as_node(std::forward<L>(l)), detail::as_node(r));
}
template <Expression E>
auto operator-(E&& e) {
    return detail::neg(detail::as_node(std::forward<E>(e)));
}
template <Expression E>
auto operator+(E&& e) {
    return detail::as_node(std::forward<E>(e));
}

} // namespace xtad
