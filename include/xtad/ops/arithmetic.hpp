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
auto neg(E e);
template <class L, class R>
auto add(L l, R r);
template <class L, class R>
auto sub(L l, R r);
template <class L, class R>
auto mul(L l, R r);
template <class L, class R>
auto div(L l, R r);

/// -e, simplified: -(-x) is x, -(c*x) is (-c)*x, constants fold.
template <class E>
auto neg(E e) {
    if constexpr (is_static_constant<E>) {
        return make_static<-E::num, E::den>();
    } else if constexpr (is_scalar_node<E>) {
        return scalar<decltype(-e.value)>{-e.value};
    } else if constexpr (is_neg<E>) {
        return std::move(e.arg);
    } else if constexpr (is_binary_of<E, mul_op>) {
        if constexpr (is_constant_scalar<decltype(e.lhs)>) {
            return mul(neg(std::move(e.lhs)), std::move(e.rhs));
        } else {
            return unary<neg_op, E>{std::move(e)};
        }
    } else {
        return unary<neg_op, E>{std::move(e)};
    }
}

// l and r are nodes taken by value, and the node built owns them (moved in): passed on as
// lvalues, an owned leaf among them would become a leaf_ref to l or r, which may be a temporary
// (a derivative rule's result) that is gone before the node is evaluated. By value, a node
// built in place (`pow<2>(x(0)) + ...`) is moved, not copied.

/// l * r, simplified: zeros vanish, ones disappear, constants fold and move to the front.
template <class L, class R>
auto mul(L l, R r) {
    if constexpr (is_zero<L> || is_zero<R>) {
        return zero_t{};
    } else if constexpr (is_one<L>) {
        return r;
    } else if constexpr (is_one<R>) {
        return l;
    } else if constexpr (is_static_constant<L> && is_static_constant<R>) {
        return make_static<L::num * R::num, L::den * R::den>();
    } else if constexpr (is_constant_scalar<L> && is_constant_scalar<R>) {
        using S = folded_scalar_t<L, R>;
        return scalar<S>{constant_value<S>(l) * constant_value<S>(r)};
    } else if constexpr (std::is_same_v<L, static_constant<-1>>) {
        return neg(std::move(r));
    } else if constexpr (is_constant_scalar<R>) {
        return mul(std::move(r), std::move(l));
    } else if constexpr (is_constant_scalar<L> && is_binary_of<R, mul_op>) {
        if constexpr (is_constant_scalar<decltype(r.lhs)>) {
            return mul(mul(std::move(l), std::move(r.lhs)), std::move(r.rhs));
        } else {
            return make_binary<mul_op>(std::move(l), std::move(r));
        }
    } else if constexpr (is_neg<L>) {
        return neg(mul(std::move(l.arg), std::move(r)));
    } else if constexpr (is_neg<R>) {
        return neg(mul(std::move(l), std::move(r.arg)));
    } else if constexpr (is_binary_of<R, div_op>) {
        if constexpr (is_one<decltype(r.lhs)>) {
            return div(std::move(l), std::move(r.rhs));
        } else {
            return make_binary<mul_op>(std::move(l), std::move(r));
        }
    } else {
        return make_binary<mul_op>(std::move(l), std::move(r));
    }
}

/// l + r, simplified: zeros vanish, constants fold, x + (-y) is x - y.
template <class L, class R>
auto add(L l, R r) {
    if constexpr (is_zero<L>) {
        return r;
    } else if constexpr (is_zero<R>) {
        return l;
    } else if constexpr (is_static_constant<L> && is_static_constant<R>) {
        return make_static<L::num * R::den + R::num * L::den, L::den * R::den>();
    } else if constexpr (is_constant_scalar<L> && is_constant_scalar<R>) {
        using S = folded_scalar_t<L, R>;
        return scalar<S>{constant_value<S>(l) + constant_value<S>(r)};
    } else if constexpr (is_neg<R>) {
        return sub(std::move(l), std::move(r.arg));
    } else {
        return make_binary<add_op>(std::move(l), std::move(r));
    }
}

/// l - r, simplified: x - 0 is x, 0 - x is -x, constants fold, x - (-y) is x + y.
template <class L, class R>
auto sub(L l, R r) {
    if constexpr (is_zero<R>) {
        return l;
    } else if constexpr (is_zero<L>) {
        return neg(std::move(r));
    } else if constexpr (is_static_constant<L> && is_static_constant<R>) {
        return make_static<L::num * R::den - R::num * L::den, L::den * R::den>();
    } else if constexpr (is_constant_scalar<L> && is_constant_scalar<R>) {
        using S = folded_scalar_t<L, R>;
        return scalar<S>{constant_value<S>(l) - constant_value<S>(r)};
    } else if constexpr (is_neg<R>) {
        return add(std::move(l), std::move(r.arg));
    } else {
        return make_binary<sub_op>(std::move(l), std::move(r));
    }
}

/// l / r, simplified: 0 / x is 0, x / 1 is x, constants fold.
template <class L, class R>
auto div(L l, R r) {
    static_assert(!is_zero<R>, "xtad: division by a constant zero");
    if constexpr (is_zero<L> || is_one<R>) {
        if constexpr (is_zero<L>) {
            return zero_t{};
        } else {
            return l;
        }
    } else if constexpr (is_static_constant<L> && is_static_constant<R>) {
        return make_static<L::num * R::den, L::den * R::num>();
    } else if constexpr (is_constant_scalar<L> && is_constant_scalar<R>) {
        using S = folded_scalar_t<L, R>;
        return scalar<S>{constant_value<S>(l) / constant_value<S>(r)};
    } else if constexpr (is_neg<L>) {
        return neg(div(std::move(l.arg), std::move(r)));
    } else {
        return make_binary<div_op>(std::move(l), std::move(r));
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
