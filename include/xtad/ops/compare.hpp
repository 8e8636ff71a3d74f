// Defines comparisons (masks), where, minimum, maximum and clamp.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/arithmetic.hpp"

#include <string_view>
#include <type_traits>
#include <utility>

namespace xtad {

namespace detail {

/// A comparison: its value is a mask (bool), and it has no derivative.
template <class Cmp>
struct compare_op {
    static constexpr std::string_view name = Cmp::name;
    static constexpr std::string_view symbol = Cmp::symbol;
    static constexpr std::string_view grad_fn = "";
    static constexpr notation form = notation::infix;
    static constexpr int precedence = 3;
    static constexpr bool is_mask = true;
    template <class T, class U>
    bool value(T const& x, U const& y) const {
        return Cmp{}(x, y);
    }
};

struct lt_fn {
    static constexpr std::string_view name = "lt", symbol = "<";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x < y;
    }
};
struct le_fn {
    static constexpr std::string_view name = "le", symbol = "<=";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x <= y;
    }
};
struct gt_fn {
    static constexpr std::string_view name = "gt", symbol = ">";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x > y;
    }
};
struct ge_fn {
    static constexpr std::string_view name = "ge", symbol = ">=";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x >= y;
    }
};
struct eq_fn {
    static constexpr std::string_view name = "eq", symbol = "==";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x == y;
    }
};
struct ne_fn {
    static constexpr std::string_view name = "ne", symbol = "!=";
    template <class T, class U>
    bool operator()(T const& x, U const& y) const {
        return x != y;
    }
};
struct and_fn {
    static constexpr std::string_view name = "logical_and", symbol = "&";
    bool operator()(bool x, bool y) const { return x && y; }
};
struct or_fn {
    static constexpr std::string_view name = "logical_or", symbol = "|";
    bool operator()(bool x, bool y) const { return x || y; }
};

} // namespace detail

using lt_op = detail::compare_op<detail::lt_fn>;
using le_op = detail::compare_op<detail::le_fn>;
using gt_op = detail::compare_op<detail::gt_fn>;
using ge_op = detail::compare_op<detail::ge_fn>;
using eq_op = detail::compare_op<detail::eq_fn>;
using ne_op = detail::compare_op<detail::ne_fn>;
using and_op = detail::compare_op<detail::and_fn>;
using or_op = detail::compare_op<detail::or_fn>;

/// Elementwise comparisons; each gives a mask (a bool expression) with no derivative.
template <class L, class R>
requires BinaryOperands<L, R>
auto operator<(L&& l, R&& r) {
    return make_binary<lt_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator<=(L&& l, R&& r) {
    return make_binary<le_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator>(L&& l, R&& r) {
    return make_binary<gt_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator>=(L&& l, R&& r) {
    return make_binary<ge_op>(std::forward<L>(l), std::forward<R>(r));
}
/// Elementwise equality, as torch's `==` on tensors: a mask, not a bool. `eq(x, y)` and
/// `ne(x, y)` are the same, spelled as functions.
template <class L, class R>
requires BinaryOperands<L, R>
auto operator==(L&& l, R&& r) {
    return make_binary<eq_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator!=(L&& l, R&& r) {
    return make_binary<ne_op>(std::forward<L>(l), std::forward<R>(r));
}

template <class L, class R>
requires BinaryOperands<L, R>
auto eq(L&& l, R&& r) {
    return make_binary<eq_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto ne(L&& l, R&& r) {
    return make_binary<ne_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator&(L&& l, R&& r) {
    return make_binary<and_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryOperands<L, R>
auto operator|(L&& l, R&& r) {
    return make_binary<or_op>(std::forward<L>(l), std::forward<R>(r));
}

/// The arguments of `where`: operands, of which at least one is an xtad expression.
template <class C, class A, class B>
concept WhereArguments = Operand<C> && Operand<A> && Operand<B> && AnyExpression<C, A, B>;

namespace detail {

template <class C, class A, class B>
auto make_select(C&& c, A&& a, B&& b) {
    using Ct = std::remove_cvref_t<C>;
    using At = std::remove_cvref_t<A>;
    using Bt = std::remove_cvref_t<B>;
    if constexpr (is_zero<At> && is_zero<Bt>) {
        return zero_t{};
    } else {
        select<Ct, At, Bt> node{owned(std::forward<C>(c)), owned(std::forward<A>(a)),
                                owned(std::forward<B>(b))};
        (void)node.shape();
        return node;
    }
}

} // namespace detail

/// `where(cond, a, b)`: `a` where the mask is true, `b` elsewhere (torch.where). The gradient
/// of the branch not taken is exactly zero, even where that branch is NaN or infinite: xtad
/// masks the whole chain of derivatives below a branch, not just the seed entering it (torch
/// gives NaN for the gradient of `where(x > 0, sqrt(x), 0)` at 0; xtad gives 0).
template <class C, class A, class B>
requires WhereArguments<C, A, B>
auto where(C&& cond, A&& a, B&& b) {
    return detail::make_select(detail::as_node(std::forward<C>(cond)),
                               detail::as_node(std::forward<A>(a)),
                               detail::as_node(std::forward<B>(b)));
}

struct maximum_op : function_op<"maximum", "MaximumBackward0"> {
    static constexpr bool is_mask = false;
    // d/dx max(x, y) = [x > y] + [x == y] / 2: a tie splits the gradient evenly, as torch does;
    // written as torch writes it, so that a NaN on either side passes the gradient to both
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x != x ? x : (y != y || x < y ? y : x);
    }
    template <class X, class Y>
    auto partial_l(X const& x, Y const& y) const {
        return where(x < y, zero_t{}, where(eq(x, y), make_static<1, 2>(), one_t{}));
    }
    template <class X, class Y>
    auto partial_r(X const& x, Y const& y) const {
        return where(x > y, zero_t{}, where(eq(x, y), make_static<1, 2>(), one_t{}));
    }
};

struct minimum_op : function_op<"minimum", "MinimumBackward0"> {
    static constexpr bool is_mask = false;
    // d/dx min(x, y) = [x < y] + [x == y] / 2: a tie splits the gradient evenly, as torch does;
    // written as torch writes it, so that a NaN on either side passes the gradient to both
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return x != x ? x : (y != y || y < x ? y : x);
    }
    template <class X, class Y>
    auto partial_l(X const& x, Y const& y) const {
        return where(x > y, zero_t{}, where(eq(x, y), make_static<1, 2>(), one_t{}));
    }
    template <class X, class Y>
    auto partial_r(X const& x, Y const& y) const {
        return where(x < y, zero_t{}, where(eq(x, y), make_static<1, 2>(), one_t{}));
    }
};

/// The elementwise maximum and minimum (torch.maximum, torch.minimum); NaN propagates.
template <class L, class R>
requires BinaryArguments<L, R>
auto maximum(L&& l, R&& r) {
    return detail::call_binary<maximum_op>(std::forward<L>(l), std::forward<R>(r));
}
template <class L, class R>
requires BinaryArguments<L, R>
auto minimum(L&& l, R&& r) {
    return detail::call_binary<minimum_op>(std::forward<L>(l), std::forward<R>(r));
}

/// x limited to [lo, hi] (torch.clamp with numbers as bounds): min(max(x, lo), hi), so hi
/// wins where lo > hi, as in torch.
struct clamp_op : function_op<"clamp", "ClampBackward1"> {
    double lo;
    double hi;
    // d/dx clamp(x, lo, hi) = [lo <= x <= hi]: the bounds themselves pass the gradient, as torch;
    // nothing passes where lo > hi
    template <class T>
    T value(T const& x) const {
        if (x != x) {
            return x;
        }
        T const above = x < T(lo) ? T(lo) : x;
        return T(hi) < above ? T(hi) : above;
    }
    template <class X>
    auto partial(X const& x) const {
        return where((x >= lo) & (x <= hi), one_t{}, zero_t{});
    }
};

template <Argument X>
auto clamp(X&& x, double lo, double hi) {
    return detail::call_unary<clamp_op>(std::forward<X>(x), clamp_op{{}, lo, hi});
}

} // namespace xtad
