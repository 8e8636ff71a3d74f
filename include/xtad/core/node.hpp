// Defines the inner nodes of xtad's trees (unary, binary, select, reduce) and the closure rule
// that turns an operand into a node.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/constant.hpp"
#include "xtad/core/expression.hpp"
#include "xtad/core/leaf.hpp"
#include "xtad/core/xtensor.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

/// How an op is printed in a formula.
enum class notation { function, infix, prefix, power };

/// A compile-time integer such as `boost::hana::int_c<3>` or `std::integral_constant`; it
/// becomes a static constant, which the simplifier can fold.
template <class X>
concept IntegralConstant = std::is_empty_v<X> && requires {
    { X::value } -> std::convertible_to<long long>;
} && std::is_integral_v<std::remove_cv_t<decltype(X::value)>>;

namespace detail {

template <class X>
constexpr bool is_tensor_ref = false;
template <class X>
constexpr bool is_tensor_ref<std::reference_wrapper<X>> = xt::is_xexpression<X>::value;

} // namespace detail

/// What may stand beside an expression in an operation: another expression, a number, a
/// compile-time integer, or a plain xtensor expression (a constant, or a reference to one).
template <class X>
concept Operand = Expression<X> || std::is_arithmetic_v<std::remove_cvref_t<X>> || IntegralConstant<
    std::remove_cvref_t<X>> || xt::is_xexpression<std::remove_cvref_t<X>>::value || detail::
    is_tensor_ref<std::remove_cvref_t<X>>;

namespace detail {

template <class>
constexpr bool always_false = false;

/// An xtensor expression as a value that refers to no other tensor: a container (xarray,
/// xtensor, xtensor_fixed) is its own, anything else (a lazy function, a view, an adaptor) is
/// evaluated into an xarray, as var() does. (Not into xtensor's temporary_type: in xtensor 0.24
/// that of `xarray + scalar` is a rank-4 xtensor, which the value does not fit.)
template <class D>
using owned_tensor_t = typename container_for<D>::type;

/// The closure rule: an lvalue leaf is held by reference (it is what gradients are taken with
/// respect to, and its value may change between evaluations), an rvalue leaf is moved in; a
/// tensor constant is owned, copied or evaluated (see tensor_constant), unless it is wrapped in
/// xtad::ref or std::cref; inner nodes are small and always held by value.
template <class X>
auto as_node(X&& x) {
    using D = std::remove_cvref_t<X>;
    if constexpr (is_leaf<D>) {
        if constexpr (std::is_lvalue_reference_v<X>) {
            return leaf_ref<D>(x);
        } else {
            return D(std::move(x));
        }
    } else if constexpr (Expression<D>) {
        return D(std::forward<X>(x));
    } else if constexpr (std::is_arithmetic_v<D>) {
        return scalar<D>{x};
    } else if constexpr (IntegralConstant<D>) {
        return make_static<static_cast<long long>(D::value)>();
    } else if constexpr (is_tensor_ref<D>) {
        return xtad::ref(x.get());
    } else if constexpr (xt::is_xexpression<D>::value) {
        using T = owned_tensor_t<D>;
        return tensor_constant<detail::type_tag<T>{}, true>{
            std::make_shared<T const>(std::forward<X>(x))};
    } else {
        static_assert(always_false<D>, "xtad: an operand must be an xtad expression, a number, "
                                       "a compile-time integer or an xtensor expression");
    }
}

} // namespace detail

template <class X>
using node_t = decltype(detail::as_node(std::declval<X>()));

/// `op(arg)` for an elementwise op.
template <class Op, class E>
struct unary {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = Op::precedence;
    using op_type = Op;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = E::size_known;
    E arg;
    [[no_unique_address]] Op op{};

    shape_t shape() const {
        if constexpr (detail::has_static_shape<unary>) {
            return detail::known_shape<unary>();
        } else {
            return arg.shape();
        }
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

namespace detail {
template <class Op, class A>
struct static_shape<unary<Op, A>> : static_shape<A> {};
} // namespace detail

/// `op(lhs, rhs)` for an elementwise op; the shapes broadcast as in numpy and torch.
template <class Op, class L, class R>
struct binary {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = Op::precedence;
    using op_type = Op;
    using value_type = std::conditional_t<
        Op::is_mask, bool,
        typename detail::common_value<typename L::value_type, typename R::value_type>::type>;
    // A mask has no gradient: the leaves under a comparison are not differentiated through it.
    using leaves = std::conditional_t<Op::is_mask, detail::type_list<>,
                                      detail::join_t<leaves_t<L>, leaves_t<R>>>;
    static_assert(detail::names_consistent<detail::join_t<leaves_t<L>, leaves_t<R>>>,
                  "xtad: two different leaves in one expression share a name; give each "
                  "var<\"name\"> a name of its own");
    static constexpr static_size size_known = detail::combine(L::size_known, R::size_known);
    L lhs;
    R rhs;
    [[no_unique_address]] Op op{};

    shape_t shape() const {
        if constexpr (detail::has_static_shape<binary>) {
            return detail::known_shape<binary>(); // checked by the compiler
        } else {
            return detail::broadcast_shapes(lhs.shape(), rhs.shape(), Op::name);
        }
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

namespace detail {
template <class Op, class L, class R>
struct static_shape<binary<Op, L, R>> : broadcast_static<static_shape_t<L>, static_shape_t<R>> {};
} // namespace detail

/// `where(cond, a, b)`: a where the mask is true, b elsewhere.
template <class C, class A, class B>
struct select {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type =
        typename detail::common_value<typename A::value_type, typename B::value_type>::type;
    using leaves = detail::join_t<leaves_t<A>, leaves_t<B>>;
    static_assert(detail::names_consistent<detail::join_t<leaves_t<C>, leaves_t<A>, leaves_t<B>>>,
                  "xtad: two different leaves in one expression share a name; give each "
                  "var<\"name\"> a name of its own");
    static constexpr static_size size_known =
        detail::combine(C::size_known, detail::combine(A::size_known, B::size_known));
    C cond;
    A then_;
    B else_;

    shape_t shape() const {
        if constexpr (detail::has_static_shape<select>) {
            return detail::known_shape<select>();
        } else {
            return detail::broadcast_shapes(
                cond.shape(), detail::broadcast_shapes(then_.shape(), else_.shape(), "where"),
                "where");
        }
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

namespace detail {
template <class C, class A, class B>
struct static_shape<select<C, A, B>>
    : broadcast_static<static_shape_t<C>,
                       typename broadcast_static<static_shape_t<A>, static_shape_t<B>>::type> {};
} // namespace detail

/// The axes a reduction runs over, normalised (non-negative, sorted, unique); empty with
/// `all` set for a reduction over every element.
struct axes_t {
    std::vector<std::size_t> list;
    bool all = true;
};

namespace detail {

inline axes_t normalise_axes(std::vector<std::ptrdiff_t> const& requested, shape_t const& shape,
                             std::string_view op) {
    axes_t out{{}, false};
    auto const rank = static_cast<std::ptrdiff_t>(shape.size());
    for (auto a : requested) {
        auto const k = a < 0 ? a + rank : a;
        if (k < 0 || k >= rank) {
            throw error("xtad::" + std::string(op) + ": axis " + std::to_string(a)
                        + " is out of range for a tensor of shape " + shape_str(shape));
        }
        auto const seen = std::find(out.list.begin(), out.list.end(), static_cast<std::size_t>(k));
        if (seen != out.list.end()) {
            throw error(
                "xtad::" + std::string(op) + ": axes "
                + std::to_string(requested[static_cast<std::size_t>(seen - out.list.begin())])
                + " and " + std::to_string(a) + " are the same axis of a tensor of shape "
                + shape_str(shape));
        }
        out.list.push_back(static_cast<std::size_t>(k));
    }
    std::sort(out.list.begin(), out.list.end());
    return out;
}

inline bool is_reduced(axes_t const& axes, std::size_t i) {
    return axes.all || std::binary_search(axes.list.begin(), axes.list.end(), i);
}

inline shape_t reduced_shape(shape_t const& in, axes_t const& axes) {
    shape_t out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (!is_reduced(axes, i)) {
            out.push_back(in[i]);
        }
    }
    return out;
}

/// The reduced shape with the reduced axes kept as 1 (torch's keepdim=True).
inline shape_t kept_shape(shape_t const& in, axes_t const& axes) {
    shape_t out = in;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (is_reduced(axes, i)) {
            out[i] = 1;
        }
    }
    return out;
}

/// How many elements each reduced slice has.
inline std::size_t reduced_count(shape_t const& in, axes_t const& axes) {
    std::size_t n = 1;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (is_reduced(axes, i)) {
            n *= in[i];
        }
    }
    return n;
}

} // namespace detail

/// A value computed once per evaluation and shared by every copy of the node that owns it:
/// the materialisation points of a tree (reductions, stacks, matmul, inverse, solve).
///
/// The shared block is made when it is first needed: when the node is copied (the copies must
/// share it) or when a value is stored. A node built and moved into a tree, evaluated without
/// being materialised (an `x(i)` of a leaf, read in place), allocates nothing.
template <class T>
struct cache_slot {
    using value_type = T;
    using block = std::optional<xt::xarray<T>>;
    mutable std::shared_ptr<block> slot{};

    cache_slot() = default;
    cache_slot(cache_slot const& o)
        : slot(o.shared()) {}
    cache_slot(cache_slot&&) noexcept = default;
    cache_slot& operator=(cache_slot const& o) {
        slot = o.shared();
        return *this;
    }
    cache_slot& operator=(cache_slot&&) noexcept = default;
    ~cache_slot() = default;

    /// Which value this is: copies of one node give the same identity, other nodes another.
    void const* identity() const { return slot ? static_cast<void const*>(slot.get()) : this; }

    void clear() const {
        if (slot) {
            slot->reset();
        }
    }
    bool filled() const { return slot && slot->has_value(); }
    template <class F>
    xt::xarray<T> const& get_or(F&& compute) const {
        block& b = *shared();
        if (!b) {
            b.emplace(std::forward<F>(compute)());
        }
        return *b;
    }

private:
    std::shared_ptr<block> const& shared() const {
        if (!slot) {
            slot = std::make_shared<block>();
        }
        return slot;
    }
};

/// `op(arg)` over `axes` for an op that needs whole slices of its argument at once (sum, mean,
/// prod, norm); its value is materialised once per evaluation.
template <class Op, class E>
struct reduce {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using op_type = Op;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    axes_t axes;
    cache_slot<value_t<E>> cache{};
    [[no_unique_address]] Op op{};

    shape_t shape() const {
        if constexpr (detail::has_static_shape<reduce>) {
            return detail::known_shape<reduce>(); // x(i): checked where it is evaluated
        } else {
            return op.result_shape(arg.shape(), axes);
        }
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// An adjoint that has been built on a larger, broadcast shape (`logical`), summed down to the
/// shape of what it is the adjoint of (`target`): broadcasting undone. Materialised, in V, the
/// element type of the tree being differentiated (the adjoint itself may be a constant).
template <class E, class V>
struct fit {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = E::precedence;
    using value_type = V;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    shape_t logical;
    shape_t target;
    cache_slot<V> cache{};

    shape_t shape() const { return target; }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// `arg` viewed in another shape of as many elements: the adjoint of a reduction's result given
/// back the reduced axes (of size 1), so that it broadcasts over the reduction's argument, and
/// the transpose of that. Lazy: a reshaped view.
template <class E>
struct expand {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = E::precedence;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    shape_t kept;

    shape_t shape() const { return kept; }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// `stack(e0, e1, ...)`: expressions of one shape along a new first axis (torch.stack).
/// Materialised once per evaluation.
template <class... Es>
struct stack_node {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type = typename detail::common_value<typename Es::value_type...>::type;
    using leaves = detail::join_t<leaves_t<Es>...>;
    static_assert(detail::names_consistent<leaves>,
                  "xtad: two different leaves in one expression share a name; give each "
                  "var<\"name\"> a name of its own");
    static constexpr static_size size_known = static_size::unknown;
    std::tuple<Es...> args;
    cache_slot<std::conditional_t<std::is_void_v<value_type>, double, value_type>> cache{};

    shape_t shape() const {
        if constexpr (detail::has_static_shape<stack_node>) {
            return detail::known_shape<stack_node>(); // checked by the compiler
        } else {
            shape_t const first = std::get<0>(args).shape();
            std::size_t k = 0;
            std::apply(
                [&](auto const&... a) {
                    ((a.shape() == first
                          ? void(++k)
                          : throw error("xtad::stack: expression " + std::to_string(k)
                                        + " has shape " + detail::shape_str(a.shape())
                                        + " but expression 0 has shape "
                                        + detail::shape_str(first))),
                     ...);
                },
                args);
            shape_t out{sizeof...(Es)};
            out.insert(out.end(), first.begin(), first.end());
            return out;
        }
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

namespace detail {
template <class First, class... Es>
struct static_shape<stack_node<First, Es...>> {
    template <class S>
    struct prepend {
        using type = void;
    };
    template <std::size_t... N>
    struct prepend<xt::fixed_shape<N...>> {
        using type = xt::fixed_shape<1 + sizeof...(Es), N...>;
    };
    using part = static_shape_t<First>;
    using type = std::conditional_t<(std::is_same_v<static_shape_t<Es>, part> && ...),
                                    typename prepend<part>::type, void>;
};
} // namespace detail

/// Entry k along the first axis of `arg`: the adjoint of one expression in a stack. Lazy.
template <class E>
struct take {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    std::size_t k;

    shape_t shape() const {
        shape_t s = arg.shape();
        s.erase(s.begin());
        return s;
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// Entries [begin, end) along `axis` of `arg`: the adjoint of one expression in a
/// concatenation. Lazy.
template <class E>
struct slice_along {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    std::size_t axis;
    std::size_t begin;
    std::size_t end;

    shape_t shape() const {
        shape_t s = arg.shape();
        s[axis] = end - begin;
        return s;
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// `arg` in a tensor of zeros of shape `full`, at [begin, end) along `axis`: the transpose of
/// slice_along, and of take when `Squeezed` (`arg` lacks the first axis; begin + 1 == end).
/// Materialised once per evaluation.
template <class E, bool Squeezed>
struct embed {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type = typename E::value_type;
    using leaves = leaves_t<E>;
    static constexpr static_size size_known = static_size::unknown;
    E arg;
    shape_t full;
    std::size_t axis;
    std::size_t begin;
    std::size_t end;
    cache_slot<std::conditional_t<std::is_void_v<value_type>, double, value_type>> cache{};

    shape_t shape() const { return full; }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// `concatenate(axis, e0, e1, ...)`: expressions joined along an existing axis (torch.cat);
/// their shapes agree except along it. Materialised once per evaluation.
template <class... Es>
struct concat_node {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using value_type = typename detail::common_value<typename Es::value_type...>::type;
    using leaves = detail::join_t<leaves_t<Es>...>;
    static_assert(detail::names_consistent<leaves>,
                  "xtad: two different leaves in one expression share a name; give each "
                  "var<\"name\"> a name of its own");
    static constexpr static_size size_known = static_size::unknown;
    std::tuple<Es...> parts;
    std::size_t axis;
    cache_slot<std::conditional_t<std::is_void_v<value_type>, double, value_type>> cache{};

    shape_t shape() const {
        shape_t out = std::get<0>(parts).shape();
        if (axis >= out.size()) {
            throw error("xtad::concatenate: axis " + std::to_string(axis)
                        + " is out of range for tensors of shape " + detail::shape_str(out));
        }
        out[axis] = 0;
        std::size_t k = 0;
        std::apply(
            [&](auto const&... a) {
                (
                    [&](shape_t const& s) {
                        shape_t t = s;
                        if (t.size() == out.size()) {
                            t[axis] = 0;
                        }
                        if (t != out) {
                            throw error("xtad::concatenate: expression " + std::to_string(k)
                                        + " has shape " + detail::shape_str(s)
                                        + ", which does not match the others but along axis "
                                        + std::to_string(axis));
                        }
                        ++k;
                    }(a.shape()),
                    ...);
            },
            parts);
        std::apply([&](auto const&... a) { ((out[axis] += a.shape()[axis]), ...); }, parts);
        return out;
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// What every tensor op has: its name (how it prints) and the name of torch's backward function
/// for it (`grad_fn=<MvBackward0>`). A tensor op is an op that is not elementwise (a matrix
/// product, a transpose, a decomposition): its value is computed on whole tensors, once per
/// evaluation, and its rules live in one struct (docs/extending.md; ops/tensor.hpp checks them
/// when xtad::apply builds the node):
///   - `shape(s...)`: the result's shape from the operands' shapes, or an xtad::error naming the
///     op and the shapes;
///   - `value(a...)`: the result on operands materialised as `xt::xarray<T>`, for T float or
///     double (and for a dual number's value type when forward modes are nested);
///   - `vjp(g, y, a...)`: the adjoint of each operand, as xtad expressions of the result's adjoint
///     `g`, the node itself `y` and the operands `a...`, in a tuple (zero_t for an operand with no
///     gradient); being expressions, they are differentiated again for second derivatives;
///   - `jvp(y, a..., da...)`: the tangent of the result, on arrays of values (`y`, the result's
///     value, and `a...`) and of one direction's tangents (`da...`): forward mode splits a tensor
///     of dual numbers into these, so that the value rule never sees a dual number.
/// Optionally, `grad_fn_name()` names torch's backward function at run time, for an op that
/// torch names by how it was called (matmul: MmBackward0, MvBackward0, DotBackward0, ...); and
/// `support(k, a...)`, a mask of the elements of operand k that the op reads (a view's, a
/// filter's), outside which the operand's adjoint is kept an exact zero; and, for an op of one
/// operand whose result is a view of the operand's elements (a transpose, a slice, a diagonal),
/// `layout(a)`: given where the operand's elements are (a strided_layout), where the result's
/// are, or std::nullopt where they are not a strided view. The loops around such an op then read
/// its result in place, from the operand's memory, with no copy (eval/build.hpp).
template <fixed_string Name, fixed_string GradFn>
struct tensor_op {
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view grad_fn = GradFn.view();
    static constexpr bool is_tensor_op = true;
};

/// `op(a...)` for a tensor op (tensor_op): a materialisation point of the tree, computed once per
/// evaluation into its cache slot and read as a tensor by the loops around it.
template <class Op, class... Es>
struct tensor_node {
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 10;
    using op_type = Op;
    using value_type = typename detail::common_value<typename Es::value_type...>::type;
    using leaves = detail::join_t<leaves_t<Es>...>;
    static_assert(detail::names_consistent<leaves>,
                  "xtad: two different leaves in one expression share a name; give each "
                  "var<\"name\"> a name of its own");
    static constexpr static_size size_known = static_size::unknown;
    std::tuple<Es...> operands;
    cache_slot<std::conditional_t<std::is_void_v<value_type>, double, value_type>> cache{};
    [[no_unique_address]] Op op{};

    shape_t shape() const {
        return std::apply([&](auto const&... a) { return shape_t(op.shape(a.shape()...)); },
                          operands);
    }

    /// The element at (i, j, ...) as a 0-d expression, as a leaf's `x(i, j)` (core/index.hpp).
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }
};

/// The operands of a tensor node that its printed forms show: all of them, or the first
/// `Op::shown` (an op's state, such as the factorisation a solve reads, is an operand that is not
/// written).
template <class Op, class... Es>
auto shown_operands(tensor_node<Op, Es...> const& e) {
    if constexpr (requires { Op::shown; }) {
        return [&]<std::size_t... K>(std::index_sequence<K...>) {
            return std::tie(std::get<K>(e.operands)...);
        }
        (std::make_index_sequence<Op::shown>{});
    } else {
        return std::apply([](auto const&... a) { return std::tie(a...); }, e.operands);
    }
}

/// Calls `f` on `e` and on every node below it.
template <class E, class F>
void for_each_node(E const& e, F&& f) {
    f(e);
    if constexpr (requires { e.arg; }) {
        for_each_node(e.arg, f);
    } else if constexpr (requires { e.lhs; }) {
        for_each_node(e.lhs, f);
        for_each_node(e.rhs, f);
    } else if constexpr (requires { e.args; }) {
        std::apply([&](auto const&... a) { (for_each_node(a, f), ...); }, e.args);
    } else if constexpr (requires { e.parts; }) {
        std::apply([&](auto const&... a) { (for_each_node(a, f), ...); }, e.parts);
    } else if constexpr (requires { e.operands; }) {
        std::apply([&](auto const&... a) { (for_each_node(a, f), ...); }, e.operands);
    } else if constexpr (requires { e.cond; }) {
        for_each_node(e.cond, f);
        for_each_node(e.then_, f);
        for_each_node(e.else_, f);
    }
}

/// Forgets every materialised value in `e`, so that the next evaluation reads the leaves anew,
/// and what ops keep from an evaluation for their rules (`op.clear()`: a loop's carries).
template <class E>
void clear_caches(E const& e) {
    for_each_node(e, [](auto const& n) {
        if constexpr (requires { n.cache.clear(); }) {
            n.cache.clear();
        }
        if constexpr (requires { n.op.clear(); }) {
            n.op.clear();
        }
    });
}

} // namespace xtad
