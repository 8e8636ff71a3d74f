// Defines the functional transforms jacfwd, jacrev, jacobian, jvp and vjp, and at(...).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/forward/dual.hpp"
#include "xtad/reverse/grad.hpp"
#include "xtad/reverse/sweep.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace xtad {

/// The point a transform is taken at: `jacobian(f, at(x))`, `jacfwd(f, at(x, y))`. Holds the
/// tensors by reference; they are copied into the leaves the transform makes.
template <class... X>
struct at_t {
    std::tuple<X const&...> points;
};

template <class... X>
requires(xt::is_xexpression<X>::value&&...) at_t<X...> at(X const&... x) {
    return {{x...}};
}

namespace detail {

template <class X>
using point_value_t = typename X::value_type;

/// Whether f, called with the leaves of types L..., returns an xtad expression, as a transform
/// needs.
template <class F, class... L>
constexpr bool returns_expression() {
    if constexpr (std::is_invocable_v<F const&, L const&...>) {
        return Expression<std::invoke_result_t<F const&, L const&...>>;
    } else {
        return false;
    }
}

/// Fails to compile, with one sentence, for a function that does not return an expression.
template <class F, class... L>
constexpr void check_function() {
    constexpr bool callable = std::is_invocable_v<F const&, L const&...>;
    static_assert(callable,
                  "xtad: the function given to a transform (jacfwd, jacobian, hessian, ...) must "
                  "take one argument per tensor in at(...); it cannot be called with that many");
    static_assert(!callable || returns_expression<F, L...>(),
                  "xtad: the function given to a transform (jacfwd, jacobian, hessian, ...) must "
                  "return an xtad expression of its arguments, not a plain tensor or a number");
}

/// The expression f returns for the leaves `l...`, checked to be one.
template <class F, class... L>
auto call_checked(F const& f, L const&... l) {
    if constexpr (!returns_expression<F, L...>()) {
        check_function<F, L...>();
        return zero_t{};
    } else {
        return f(l...);
    }
}

/// The values of the leaves a forward-mode transform hands f: N tangents, tagged with the call.
template <class F, class V, std::size_t N>
using tangent_t = dual<V, N, call_tag<F, V>>;

template <class F, class V, std::size_t... I>
constexpr bool returns_expression_at(std::index_sequence<I...>) {
    return returns_expression<F, input_leaf_t<I, xt::xarray<V>>...>();
}

/// f is a function a transform can take at a point of the tensors X...: called with one leaf of
/// values V per tensor (the leaves the transform hands it), it returns an xtad expression.
template <class F, class V, class... X>
concept ExpressionFunction = returns_expression_at<F, V>(std::index_sequence_for<X...>{});

/// What a transform does with a function that is not an ExpressionFunction: one compile error
/// that says why, and a result of the transform's type R, so that no other error follows.
template <class R, class F, class V, std::size_t... I>
R reject_function(std::index_sequence<I...>) {
    check_function<F, input_leaf_t<I, xt::xarray<V>>...>();
    return R{};
}

template <class V, class X>
using xarray_for = xt::xarray<V>;

/// What a transform with one result per input returns: the result, or a tuple of them.
template <class V, class... X>
using per_input_t =
    std::conditional_t<sizeof...(X) == 1, xt::xarray<V>, std::tuple<xarray_for<V, X>...>>;

/// What jvp, vjp, hvp, value_and_grad and value_and_jacobian return: the value and R.
template <class V, class R>
using with_value_t = std::tuple<xt::xarray<V>, R>;

/// f applied to a tuple of leaves.
template <class F, class Leaves>
auto call_on(F const& f, Leaves const& leaves) {
    return std::apply([&](auto const&... l) { return call_checked(f, l...); }, leaves);
}

/// wrt(...) of a tuple of leaves.
template <class Leaves>
auto wrt_all(Leaves const& leaves) {
    return std::apply([](auto const&... l) { return wrt(l...); }, leaves);
}

/// The Jacobian's shape: out.shape + in.shape, as torch.autograd.functional.jacobian.
inline shape_t jacobian_shape(shape_t const& out, shape_t const& in) {
    shape_t s = out;
    s.insert(s.end(), in.begin(), in.end());
    return s;
}

/// One leaf per point, input I named input_name<I>, holding the point as an xarray of V. The
/// return type is spelt out (see var): it differs with XTAD_CHECK_LIFETIMES.
template <class V, class... X, std::size_t... I>
std::tuple<input_leaf_t<I, xt::xarray<V>>...> make_input_leaves(std::tuple<X const&...> const& pts,
                                                                std::index_sequence<I...>) {
    return std::make_tuple(input_leaf<I>(xt::xarray<V>(xt::cast<V>(std::get<I>(pts))))...);
}

template <class... X>
using common_point_t = std::common_type_t<point_value_t<X>...>;

/// The result of a transform with one entry per input: the entry itself for one input, else a
/// tuple of them.
template <class T, std::size_t K>
auto one_or_tuple(std::array<T, K>&& a) {
    if constexpr (K == 1) {
        return std::move(a[0]);
    } else {
        return std::apply([](auto&... t) { return std::make_tuple(std::move(t)...); }, a);
    }
}

/// Where element g of the inputs laid end to end lies: the input and the element within it.
template <std::size_t K>
std::pair<std::size_t, std::size_t> locate(std::array<std::size_t, K> const& sizes, std::size_t g) {
    std::size_t a = 0;
    while (g >= sizes[a]) {
        g -= sizes[a];
        ++a;
    }
    return {a, g};
}

/// The element counts of the leaves' values.
template <class Leaves>
auto value_sizes(Leaves const& leaves) {
    return std::apply(
        [](auto const&... l) { return std::array<std::size_t, sizeof...(l)>{l.value().size()...}; },
        leaves);
}

/// Calls fn(value) with the value (a container) of leaf `a`, a run-time index.
template <class Leaves, class Fn>
void with_value(Leaves& leaves, std::size_t a, Fn&& fn) {
    std::apply(
        [&](auto&... l) {
            std::size_t i = 0;
            ((i++ == a ? fn(l.value()) : void()), ...);
        },
        leaves);
}

template <class T>
constexpr bool is_tuple = false;
template <class... T>
constexpr bool is_tuple<std::tuple<T...>> = true;

/// Direction I of `v`, given for K inputs: one tensor when K is 1, else a tuple of K tensors
/// (`std::tie(vx, vy)`, as torch's tuple of tangents).
template <std::size_t I, std::size_t K, class T>
decltype(auto) direction(T const& v) {
    if constexpr (is_tuple<T>) {
        static_assert(std::tuple_size_v<T> == K,
                      "xtad: give one direction tensor per input in at(...)");
        return std::get<I>(v);
    } else {
        static_assert(K == 1, "xtad: with several inputs in at(...), give the directions as a "
                              "tuple of tensors, one per input: std::tie(vx, vy)");
        return (v);
    }
}

/// What the leaf of a point holds, of element type D (dual numbers in forward mode): a fixed-size
/// point (xt::xtensor_fixed) stays fixed-size when `Fixed`, so that nothing is allocated for it;
/// anything else becomes an xt::xarray.
template <class D, bool Fixed, class X>
using point_container_t =
    std::conditional_t<Fixed && !std::is_void_v<typename container_static_shape<X>::type>,
                       xt::xtensor_fixed<D, typename container_static_shape<X>::type>,
                       xt::xarray<D>>;

template <class D, bool Fixed, class X>
point_container_t<D, Fixed, X> point_value(X const& x) {
    if constexpr (std::is_same_v<point_container_t<D, Fixed, X>, xt::xarray<D>>) {
        return xt::xarray<D>(xt::cast<D>(x));
    } else {
        point_container_t<D, Fixed, X> c;
        std::copy(x.data(), x.data() + c.size(), c.data());
        return c;
    }
}

/// The point x0 as dual numbers D whose tangent 0 is the direction v, checked to have x0's shape;
/// fixed-size where `Fixed` and x0 is (point_container_t).
template <class D, bool Fixed = false, class X, class T>
point_container_t<D, Fixed, X> directed(X const& x0, T const& v, char const* op, char const* what,
                                        std::size_t i, std::size_t k) {
    if (!std::equal(x0.shape().begin(), x0.shape().end(), v.shape().begin(), v.shape().end())) {
        std::string const which = k == 1 ? "" : " for input " + std::to_string(i);
        throw error(std::string("xtad::") + op + ": the " + what + which + " has shape "
                    + shape_str(v.shape()) + " but the input has shape " + shape_str(x0.shape()));
    }
    using V = typename D::value_type;
    auto xd = point_value<D, Fixed>(x0);
    // v's elements in row-major order, as xd's: flat(j) of a strided view is its j-th element of
    // storage, not of the view.
    auto vj = v.begin();
    for (std::size_t j = 0; j < xd.size(); ++j, ++vj) {
        xd.flat(j).eps[0] = static_cast<V>(*vj);
    }
    return xd;
}

/// One leaf per input, holding the point as dual numbers D with the directions in tangent 0.
/// The return type is spelt out (see var).
template <class D, class... X, class T, std::size_t... I>
std::tuple<input_leaf_t<I, xt::xarray<D>>...>
directed_leaves(std::tuple<X const&...> const& pts, T const& v, char const* op, char const* what,
                std::index_sequence<I...>) {
    constexpr std::size_t k = sizeof...(X);
    return std::make_tuple(
        input_leaf<I>(directed<D>(std::get<I>(pts), direction<I, k>(v), op, what, I, k))...);
}

/// The values (tangent 0) of a tensor of duals, and its tangents.
template <class V, class D>
std::pair<xt::xarray<V>, xt::xarray<V>> split_dual(xt::xarray<D> const& d) {
    std::pair<xt::xarray<V>, xt::xarray<V>> r{xt::xarray<V>(d.shape()), xt::xarray<V>(d.shape())};
    for (std::size_t i = 0; i < d.size(); ++i) {
        r.first.flat(i) = d.flat(i).val;
        r.second.flat(i) = d.flat(i).eps[0];
    }
    return r;
}

/// The Jacobian by reverse mode, and the value when asked for (else an empty tensor).
template <bool WithValue, class F, class... X>
auto value_and_jacrev_impl(F const& f, at_t<X...> const& p) {
    using V = common_point_t<X...>;
    constexpr std::size_t K = sizeof...(X);
    auto const leaves = make_input_leaves<V>(p.points, std::index_sequence_for<X...>{});
    auto const y = call_on(f, leaves);
    shape_t const ys = y.shape();
    std::size_t const m = size_of(ys);
    auto const shapes =
        std::apply([](auto const&... l) { return std::array<shape_t, K>{l.shape()...}; }, leaves);
    // Built in place: a default xarray is 0-d and allocates its one element.
    auto jac = [&]<std::size_t... A>(std::index_sequence<A...>) {
        return std::array<xt::xarray<V>, K>{xt::xarray<V>(jacobian_shape(ys, shapes[A]))...};
    }
    (std::make_index_sequence<K>{});
    xt::xarray<V> value(WithValue ? ys : shape_t{0});
    if constexpr (sweeps<V, std::remove_cvref_t<decltype(y)>>) {
        // A tree of numbers: its values recorded once, a sweep per row (reverse/sweep.hpp).
        std::apply(
            [&](auto const&... l) {
                sweep_jacobian<V>(y, jac, WithValue ? &value : nullptr, l...);
            },
            leaves);
    } else {
        if constexpr (WithValue) {
            value = eval(y);
        }
        std::array<xt::xarray<V>, K> rows;
        for (std::size_t a = 0; a < K; ++a) {
            rows[a] = xt::xarray<V>(shapes[a]);
        }
        auto const w = wrt_all(leaves);
        xt::xarray<V> seed = xt::zeros<V>(ys);
        for (std::size_t i = 0; i < m; ++i) {
            seed.flat(i) = V(1);
            // An input f ignores has a zero Jacobian block, as in torch (strict=False).
            grad_into_impl(rows, y, w, seed, "jacrev");
            for (std::size_t a = 0; a < K; ++a) {
                std::copy(rows[a].begin(), rows[a].end(),
                          jac[a].begin() + static_cast<std::ptrdiff_t>(i * rows[a].size()));
            }
            seed.flat(i) = V(0);
        }
    }
    return std::make_pair(std::move(value), one_or_tuple(std::move(jac)));
}

} // namespace detail

namespace detail {

/// How many elements f's value has where the transforms can keep everything fixed-size at points
/// of types X..., with leaves of element type D (V, or dual numbers): each point is an
/// xt::xtensor_fixed, and f, given fixed-size leaves, returns a tree of numbers (or a stack of
/// them) whose shape is known at compile time, which the sweep differentiates with no tensor of
/// its own (reverse/sweep.hpp). 0 where it cannot.
template <class F, class D, class... X, std::size_t... I>
constexpr std::size_t fixed_sweep_size(std::index_sequence<I...>) {
    if constexpr ((std::is_void_v<typename container_static_shape<X>::type> || ...)) {
        return 0;
    } else if constexpr (!returns_expression<F,
                                             input_leaf_t<I, point_container_t<D, true, X>>...>()) {
        return 0;
    } else {
        using Y = std::remove_cvref_t<std::invoke_result_t<
            F const&, input_leaf_t<I, point_container_t<D, true, X>> const&...>>;
        if constexpr (!(is_dual_element<D> ? sweeps_duals<D, Y> : sweeps<D, Y>)
                      || !has_static_shape<Y>) {
            return 0;
        } else {
            return static_elements<static_shape_t<Y>>;
        }
    }
}

/// Whether jacrev at a point of types X... gives fixed-size blocks (fixed_sweep_size).
template <class F, class V, class... X, std::size_t... I>
constexpr bool jacrev_is_fixed(std::index_sequence<I...> idx) {
    return fixed_sweep_size<F, V, X...>(idx) != 0;
}

/// Whether a transform of a one-element f (value_and_grad, hessian, hvp) keeps everything
/// fixed-size at a point of types X..., with leaves of element type D (fixed_sweep_size).
template <class F, class D, class... X, std::size_t... I>
constexpr bool scalar_is_fixed(std::index_sequence<I...> idx) {
    return fixed_sweep_size<F, D, X...>(idx) == 1;
}

/// The leaves of fixed-size points as fixed-size containers of D.
template <class D, class... X, std::size_t... I>
auto fixed_leaves(std::tuple<X const&...> const& pts, std::index_sequence<I...>) {
    return std::make_tuple(input_leaf<I>(point_value<D, true>(std::get<I>(pts)))...);
}

/// A tuple of one entry per input: the entry itself for one input.
template <class... T>
auto one_or_tuple(std::tuple<T...>&& t) {
    if constexpr (sizeof...(T) == 1) {
        return std::get<0>(std::move(t));
    } else {
        return std::move(t);
    }
}

/// jacrev where jacrev_is_fixed: fixed-size leaves and blocks, swept (reverse/sweep.hpp).
template <class F, class... X, std::size_t... I>
auto jacrev_fixed(F const& f, at_t<X...> const& p, std::index_sequence<I...>) {
    using V = common_point_t<X...>;
    auto const leaves = fixed_leaves<V>(p.points, std::index_sequence<I...>{});
    auto const y = call_on(f, leaves);
    using YS = static_shape_t<std::remove_cvref_t<decltype(y)>>;
    std::tuple<xt::xtensor_fixed<
        V, typename concat_static<YS, typename container_static_shape<X>::type>::type>...>
        jac;
    std::apply([&](auto const&... l) { sweep_jacobian<V>(y, jac, nullptr, l...); }, leaves);
    if constexpr (sizeof...(X) == 1) {
        return std::get<0>(jac);
    } else {
        return jac;
    }
}

} // namespace detail

/// The Jacobian of f at the point by reverse mode: one adjoint pass per output element (rows);
/// for a function written element by element (reverse/sweep.hpp), its values recorded once
/// and one sweep per row. At a fixed-size point where such a function's shape is known at
/// compile time (elements, elementwise ops, stacks), the Jacobian is an xt::xtensor_fixed, as
/// jacfwd's, and the call allocates nothing.
/// f takes one xtad expression per tensor in at(...) and returns an expression. Returns the
/// Jacobian (shape out.shape + in.shape) for one input, a tuple of them for several.
template <class F, class... X>
requires detail::ExpressionFunction<F, detail::common_point_t<X...>, X...>
auto jacrev(F const& f, at_t<X...> const& p) {
    constexpr auto idx = std::index_sequence_for<X...>{};
    if constexpr (detail::jacrev_is_fixed<F, detail::common_point_t<X...>, X...>(idx)) {
        return detail::jacrev_fixed(f, p, idx);
    } else {
        return detail::value_and_jacrev_impl<false>(f, p).second;
    }
}

/// jacrev of a function that does not return an expression: a compile error that says so.
template <class F, class... X>
auto jacrev(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::per_input_t<V, X...>, F, V>(
        std::index_sequence_for<X...>{});
}

namespace detail {

/// Block width of jacfwd when not given: the number of inputs if that is small (the seed
/// example's 2; any size up to 8 where it is known at compile time), else 8 tangents per pass.
inline constexpr std::size_t default_width = 8;

/// Whether jacfwd can hand f fixed-size leaves: it is callable with them and returns an
/// expression (a function written for xarray leaves only is given xarray leaves).
template <class F, class V, std::size_t N, class... X, std::size_t... I>
constexpr bool takes_fixed_leaves(std::index_sequence<I...>) {
    return returns_expression<F,
                              input_leaf_t<I, point_container_t<tangent_t<F, V, N>, true, X>>...>();
}

/// The Jacobian block of input `Active` by forward mode, N columns per pass; the value too when
/// `value` is given. With `Fixed`, where the point and f's value have shapes known at compile
/// time (xtensor_fixed, elements of it, elementwise ops, stacks), the block is an
/// xt::xtensor_fixed and nothing is allocated; else an xt::xarray.
template <std::size_t N, std::size_t Active, bool Fixed, class F, class V, class... X,
          std::size_t... I>
auto jacfwd_block(F const& f, std::tuple<X const&...> const& pts, std::index_sequence<I...>,
                  xt::xarray<V>* value) {
    // Tagged with the call, so that these tangents cannot be confused with another call's.
    using D = tangent_t<F, V, N>;
    // The active input's leaf carries N tangents; the others are constants of the same type.
    auto leaves = std::make_tuple(input_leaf<I>(point_value<D, Fixed>(std::get<I>(pts)))...);
    auto& x = std::get<Active>(leaves);
    auto const y = call_on(f, leaves);
    using XS = typename std::remove_cvref_t<decltype(x)>::container_type;
    using YS = static_shape_t<std::remove_cvref_t<decltype(y)>>;
    using JS = typename concat_static<YS, typename container_static_shape<XS>::type>::type;
    constexpr bool fixed = Fixed && !std::is_void_v<JS>;
    using J = std::conditional_t<fixed, xt::xtensor_fixed<V, JS>, xt::xarray<V>>;
    using O = std::conditional_t<fixed, xt::xtensor_fixed<D, YS>, xt::xarray<D>>;
    J jac;
    if constexpr (!fixed) {
        jac.resize(jacobian_shape(y.shape(), x.shape()));
    }
    std::size_t const n = x.value().size();
    std::size_t const m = n == 0 ? 0 : jac.size() / n;
    O out;
    // A function written element by element: its values recorded on the duals, each node once.
    constexpr bool records = sweeps_duals<D, std::remove_cvref_t<decltype(y)>>;
    if constexpr (records && !fixed) {
        out.resize(y.shape());
    }
    for (std::size_t j0 = 0; j0 < n; j0 += N) {
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(1);
        }
        if constexpr (records) {
            write_entries(out.data(), record_entries<D>(y));
        } else {
            eval_into(out, y);
        }
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
                jac.flat(i * n + j0 + k) = out.flat(i).eps[k];
            }
        }
        for (std::size_t k = 0; k < N && j0 + k < n; ++k) {
            x.value().flat(j0 + k).eps[k] = V(0);
        }
    }
    if constexpr (!fixed) {
        if (value) {
            if (n == 0) {
                eval_into(out, y);
            }
            *value = split_dual<V>(out).first;
        }
    }
    return jac;
}

/// The block width for a point of type X when not given, where its size is known at compile
/// time (an xtensor_fixed): its size, up to 8 (one pass, no unused tangents), else 0.
template <class X>
constexpr std::size_t static_width() {
    using S = typename container_static_shape<X>::type;
    if constexpr (std::is_void_v<S>) {
        return 0;
    } else {
        return std::clamp<std::size_t>(static_elements<S>, 1, default_width);
    }
}

/// The Jacobian by forward mode, and the value when asked for (else an empty tensor). With
/// `Fixed`, fixed-size blocks where shapes allow (jacfwd_block).
template <std::size_t N, bool WithValue, bool Fixed, class F, class... X>
auto value_and_jacfwd_impl(F const& f, at_t<X...> const& p) {
    static_assert(!(Fixed && WithValue), "the value is an xarray: not with fixed-size blocks");
    using V = common_point_t<X...>;
    constexpr auto idx = std::index_sequence_for<X...>{};
    // Not made unless asked for: a default xt::xarray allocates.
    std::optional<xt::xarray<V>> value;
    if constexpr (WithValue) {
        value.emplace();
    }
    auto one_input = [&]<std::size_t Active>() {
        // The value comes with the first input's passes.
        xt::xarray<V>* const v = WithValue && Active == 0 ? &*value : nullptr;
        using XC = std::remove_cvref_t<decltype(std::get<Active>(p.points))>;
        constexpr std::size_t width = N != 0 ? N : static_width<XC>();
        if constexpr (width != 0) {
            return jacfwd_block<width, Active, Fixed, F, V>(f, p.points, idx, v);
        } else {
            // Not known at compile time: the same type whichever width is taken.
            if (std::get<Active>(p.points).size() <= 2) {
                return xt::xarray<V>(jacfwd_block<2, Active, false, F, V>(f, p.points, idx, v));
            }
            return xt::xarray<V>(
                jacfwd_block<default_width, Active, false, F, V>(f, p.points, idx, v));
        }
    };
    auto jac = [&]<std::size_t... I>(std::index_sequence<I...>) {
        // Braced, so that the inputs' blocks are computed in order (f is called in order).
        return std::tuple{one_input.template operator()<I>()...};
    }
    (idx);
    auto second = [&] {
        if constexpr (sizeof...(X) == 1) {
            return std::move(std::get<0>(jac));
        } else {
            return std::move(jac);
        }
    };
    if constexpr (WithValue) {
        return std::make_pair(std::move(*value), second());
    } else {
        return std::make_pair(std::monostate{}, second());
    }
}

} // namespace detail

/// The Jacobian of f at the point by forward mode: dual numbers with N tangents give N
/// columns per pass, input by input (unless given, `jacfwd<4>(f, at(x))`: an xtensor_fixed input's
/// size up to 8; else 2 for an input of at most 2 elements, 8 otherwise). Same arguments and
/// result as jacrev, except at a fixed-size point whose value's shape is known at compile time
/// (elements, elementwise ops, stacks): there the Jacobian is an xt::xtensor_fixed and the call
/// allocates nothing.
template <std::size_t N = 0, class F, class... X>
requires detail::ExpressionFunction < F, detail::tangent_t < F, detail::common_point_t<X...>,
    (N == 0 ? 2 : N)
>, X... > auto jacfwd(F const& f, at_t<X...> const& p) {
    using V = detail::common_point_t<X...>;
    constexpr bool fixed =
        detail::takes_fixed_leaves<F, V, (N == 0 ? 2 : N), X...>(std::index_sequence_for<X...>{});
    return detail::value_and_jacfwd_impl<N, false, fixed>(f, p).second;
}

/// jacfwd of a function that does not return an expression: a compile error that says so.
template <std::size_t N = 0, class F, class... X>
auto jacfwd(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::per_input_t<V, X...>, F,
                                   detail::tangent_t<F, V, (N == 0 ? 2 : N)>>(
        std::index_sequence_for<X...>{});
}

namespace detail {

/// Whether forward mode is expected to be faster than reverse mode for n inputs and m outputs.
/// A cost model fitted to bench/fwd_vs_rev.cpp (docs/performance.md): jacfwd costs a fixed
/// ~2 us plus ceil(n/8) passes of ~0.5 us + 93 ns per element, jacrev ~1 us plus m passes of
/// ~2.5 us + 49 ns per element, with n*m elements a pass (every output depending on every
/// input; where the Jacobian is sparse, the mode matters less).
inline bool forward_is_cheaper(std::size_t n, std::size_t m) {
    double const w = static_cast<double>(n) * static_cast<double>(m);
    double const passes_fwd = static_cast<double>((n + default_width - 1) / default_width);
    double const fwd = 2.0 + passes_fwd * (0.5 + 0.093 * w);
    double const rev = 1.0 + static_cast<double>(m) * (2.5 + 0.049 * w);
    return fwd <= rev;
}

/// Whether jacobian(f, p) takes forward mode: f's output size decides, with the inputs' sizes.
template <class F, class... X>
bool forward_for(F const& f, at_t<X...> const& p) {
    std::size_t n = 0;
    std::apply([&](auto const&... x) { ((n += x.size()), ...); }, p.points);
    using V = common_point_t<X...>;
    auto const leaves = make_input_leaves<V>(p.points, std::index_sequence_for<X...>{});
    return forward_is_cheaper(n, size_of(call_on(f, leaves).shape()));
}

} // namespace detail

/// The Jacobian of f at the point, by the mode expected to be faster for its shapes (see
/// detail::forward_is_cheaper): forward mode for few inputs and many outputs, reverse mode for
/// many inputs and few outputs. Same arguments and result as jacfwd and jacrev.
template <class F, class... X>
requires detail::ExpressionFunction<F, detail::common_point_t<X...>, X...>
auto jacobian(F const& f, at_t<X...> const& p) {
    if (detail::forward_for(f, p)) {
        // xarray blocks, as jacrev gives: the mode is chosen at run time.
        return detail::value_and_jacfwd_impl<0, false, false>(f, p).second;
    }
    return detail::value_and_jacrev_impl<false>(f, p).second;
}

/// jacobian of a function that does not return an expression: a compile error that says so.
template <class F, class... X>
auto jacobian(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::per_input_t<V, X...>, F, V>(
        std::index_sequence_for<X...>{});
}

/// The value of f at the point and its Jacobian, in one call (the residual and its Jacobian, as
/// a Gauss-Newton step needs): `auto [r, J] = value_and_jacobian(f, at(p))`. The mode is
/// chosen as by jacobian; forward mode gets the value from its first pass, reverse mode
/// evaluates f once more (or reads the values its sweep recorded). With several inputs, J is a
/// tuple of blocks, as jacobian's.
template <class F, class... X>
requires detail::ExpressionFunction<F, detail::common_point_t<X...>, X...>
auto value_and_jacobian(F const& f, at_t<X...> const& p) {
    auto r = detail::forward_for(f, p) ? detail::value_and_jacfwd_impl<0, true, false>(f, p)
                                       : detail::value_and_jacrev_impl<true>(f, p);
    return std::make_tuple(std::move(r.first), std::move(r.second));
}

/// value_and_jacobian of a function that does not return an expression: a compile error that
/// says so.
template <class F, class... X>
auto value_and_jacobian(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::with_value_t<V, detail::per_input_t<V, X...>>, F, V>(
        std::index_sequence_for<X...>{});
}

/// The value of f at the point and the Jacobian-vector product J v = sum_i J_i v_i, in one
/// forward pass: `auto [y, Jv] = jvp(f, at(x), v)`. v has the input's shape; with several inputs,
/// a tuple of tangents, one per input (`jvp(f, at(x, y), std::tie(vx, vy))`), as torch's jvp.
template <class F, class... X, class T>
requires detail::ExpressionFunction < F, detail::tangent_t < F, detail::common_point_t<X...>,
1 >, X... > auto jvp(F const& f, at_t<X...> const& p, T const& v) {
    using V = detail::common_point_t<X...>;
    using D = dual<V, 1, call_tag<F, V>>;
    auto const leaves =
        detail::directed_leaves<D>(p.points, v, "jvp", "tangent", std::index_sequence_for<X...>{});
    auto [value, tangent] = detail::split_dual<V>(eval(detail::call_on(f, leaves)));
    return std::make_tuple(std::move(value), std::move(tangent));
}

/// jvp of a function that does not return an expression: a compile error that says so.
template <class F, class... X, class T>
auto jvp(F const&, at_t<X...> const&, T const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::with_value_t<V, xt::xarray<V>>, F,
                                   detail::tangent_t<F, V, 1>>(std::index_sequence_for<X...>{});
}

/// The value of f at the point and the vector-Jacobian product w^T J, in one reverse pass:
/// `auto [y, g] = vjp(f, at(x), w)`, w of f's output shape. With several inputs, g is a tuple
/// (one per input, as torch's vjp); an input f ignores gets zeros.
template <class F, class... X, class W>
requires detail::ExpressionFunction<F, detail::common_point_t<X...>, X...>
auto vjp(F const& f, at_t<X...> const& p, W const& w) {
    using V = detail::common_point_t<X...>;
    constexpr std::size_t K = sizeof...(X);
    constexpr auto idx = std::index_sequence_for<X...>{};
    auto const check_shape = [&](auto const& ys_) {
        shape_t const ys = detail::to_shape(ys_);
        shape_t const ws = detail::to_shape(w.shape());
        if (ws != ys) {
            throw error("xtad::vjp: the cotangent has shape " + detail::shape_str(ws)
                        + " but the function's output has shape " + detail::shape_str(ys));
        }
    };
    if constexpr (detail::fixed_sweep_size<F, V, X...>(idx) != 0) {
        // Fixed-size points, f written element by element: fixed-size leaves, value and
        // gradients, one sweep, nothing allocated.
        auto const leaves = detail::fixed_leaves<V>(p.points, idx);
        auto const y = detail::call_on(f, leaves);
        using YS = detail::static_shape_t<std::remove_cvref_t<decltype(y)>>;
        check_shape(xt::xtensor_fixed<V, YS>().shape());
        xt::xtensor_fixed<V, YS> const wf = w;
        auto [value, g] = std::apply(
            [&](auto const&... l) {
                return detail::sweep_vjp_fixed<V>(
                    y, [&](std::size_t k) { return wf.data()[k]; }, l...);
            },
            leaves);
        return std::make_tuple(value, detail::one_or_tuple(std::move(g)));
    } else {
        auto const leaves = detail::make_input_leaves<V>(p.points, idx);
        auto const y = detail::call_on(f, leaves);
        shape_t const ys = y.shape();
        check_shape(ys);
        if constexpr (detail::sweeps<V, std::remove_cvref_t<decltype(y)>>) {
            // A tree of numbers: its values recorded once and one sweep (reverse/sweep.hpp).
            xt::xarray<V> value(ys);
            auto g = [&] {
                if constexpr (detail::row_major_contiguous<W>) {
                    return std::apply(
                        [&](auto const&... l) { return detail::sweep_vjp<V>(y, w, value, l...); },
                        leaves);
                } else {
                    xt::xarray<V> const wv = w;
                    return std::apply(
                        [&](auto const&... l) { return detail::sweep_vjp<V>(y, wv, value, l...); },
                        leaves);
                }
            }();
            return std::make_tuple(std::move(value), detail::one_or_tuple(std::move(g)));
        } else {
            xt::xarray<V> value = eval(y);
            std::array<xt::xarray<V>, K> g;
            detail::grad_into_impl(g, y, detail::wrt_all(leaves), w, "vjp");
            return std::make_tuple(std::move(value), detail::one_or_tuple(std::move(g)));
        }
    }
}

/// vjp of a function that does not return an expression: a compile error that says so.
template <class F, class... X, class W>
auto vjp(F const&, at_t<X...> const&, W const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::with_value_t<V, detail::per_input_t<V, X...>>, F, V>(
        std::index_sequence_for<X...>{});
}

namespace detail {

/// f at the leaves, checked to have one element (a gradient or a Hessian is of a scalar).
template <class F, class Leaves>
auto scalar_call(F const& f, Leaves const& leaves, char const* op) {
    auto y = call_on(f, leaves);
    shape_t const s = y.shape();
    if (size_of(s) != 1) {
        throw error(std::string("xtad::") + op + ": the function returns shape " + shape_str(s)
                    + "; it needs a one-element result (reduce it, e.g. with sum)");
    }
    return y;
}

} // namespace detail

/// The value of f at the point and its gradient, in one call (jax.value_and_grad): f returns a
/// one-element expression; `auto [loss, g] = value_and_grad(f, at(w))`. The value keeps f's
/// shape (0-d for a sum: `loss()` is the number). With several inputs, g is a tuple of
/// gradients, one per input; an input f ignores gets zeros.
template <class F, class... X>
requires detail::ExpressionFunction<F, detail::common_point_t<X...>, X...>
auto value_and_grad(F const& f, at_t<X...> const& p) {
    using V = detail::common_point_t<X...>;
    constexpr std::size_t K = sizeof...(X);
    constexpr auto idx = std::index_sequence_for<X...>{};
    if constexpr (detail::scalar_is_fixed<F, V, X...>(idx)) {
        // Fixed-size points, f written element by element: fixed-size leaves, value and
        // gradients, one sweep, nothing allocated.
        auto const leaves = detail::fixed_leaves<V>(p.points, idx);
        auto const y = detail::call_on(f, leaves);
        auto [value, g] = std::apply(
            [&](auto const&... l) {
                return detail::sweep_vjp_fixed<V>(
                    y, [](std::size_t) { return V(1); }, l...);
            },
            leaves);
        return std::make_tuple(value, detail::one_or_tuple(std::move(g)));
    } else {
        auto const leaves = detail::make_input_leaves<V>(p.points, idx);
        auto const y = detail::scalar_call(f, leaves, "value_and_grad");
        if constexpr (detail::sweeps<V, std::remove_cvref_t<decltype(y)>>) {
            // A tree of numbers: its values recorded once and one sweep (reverse/sweep.hpp).
            xt::xarray<V> value(y.shape());
            std::array<V, 1> const one{V(1)};
            auto g = std::apply(
                [&](auto const&... l) { return detail::sweep_vjp<V>(y, one, value, l...); },
                leaves);
            return std::make_tuple(std::move(value), detail::one_or_tuple(std::move(g)));
        } else {
            xt::xarray<V> value;
            std::array<xt::xarray<V>, K> g;
            detail::value_and_grad_into_impl(value, g, y, detail::wrt_all(leaves), ones{y.shape()},
                                             "value_and_grad");
            return std::make_tuple(std::move(value), detail::one_or_tuple(std::move(g)));
        }
    }
}

/// value_and_grad of a function that does not return an expression: a compile error that says
/// so.
template <class F, class... X>
auto value_and_grad(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::with_value_t<V, detail::per_input_t<V, X...>>, F, V>(
        std::index_sequence_for<X...>{});
}

} // namespace xtad
