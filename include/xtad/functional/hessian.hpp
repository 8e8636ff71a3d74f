// Defines xtad::hessian and xtad::hvp: second derivatives by nesting the modes.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/functional/jacobian.hpp"
#include "xtad/reverse/derivative.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

namespace xtad {

/// How a second derivative is computed.
enum class route {
    /// The adjoint pass run on dual numbers: each pass gives N columns (H·v for N vectors v).
    forward_over_reverse,
    /// The tree evaluated on dual<dual<T>>: each pass gives N entries of one row.
    forward_over_forward,
    /// The gradient as an expression (xtad::derivative), differentiated again in reverse mode:
    /// one pass per row.
    reverse_over_reverse,
};

namespace detail {

/// Tangent width of the nested passes: 8 directions per pass.
inline constexpr std::size_t hessian_width = 8;

/// The values of the leaves that route R hands f.
template <route R, class F, class V>
using hessian_value_t =
    std::conditional_t<R == route::forward_over_reverse, tangent_t<F, V, hessian_width>,
                       std::conditional_t<R == route::forward_over_forward,
                                          tangent_t<F, tangent_t<F, V, hessian_width>, 1>, V>>;

/// The K x K blocks of a Hessian, block (a, b) of shape x_a.shape + x_b.shape, allocated.
template <class V, std::size_t K>
using hessian_blocks = std::array<std::array<xt::xarray<V>, K>, K>;

template <class V, class Leaves>
auto make_blocks(Leaves const& leaves) {
    constexpr std::size_t K = std::tuple_size_v<Leaves>;
    auto const shapes =
        std::apply([](auto const&... l) { return std::array<shape_t, K>{l.shape()...}; }, leaves);
    hessian_blocks<V, K> h;
    for (std::size_t a = 0; a < K; ++a) {
        for (std::size_t b = 0; b < K; ++b) {
            h[a][b] = xt::xarray<V>(jacobian_shape(shapes[a], shapes[b]));
        }
    }
    return h;
}

/// Sets the tangent that `tangent(d)` selects of element g of the inputs laid end to end.
template <class Leaves, class V, class Tangent>
void set_seed(Leaves& leaves, std::array<std::size_t, std::tuple_size_v<Leaves>> const& sizes,
              std::size_t g, V v, Tangent&& tangent) {
    auto const [a, e] = locate(sizes, g);
    with_value(leaves, a, [&](auto& value) { tangent(value.flat(e)) = v; });
}

template <std::size_t N, class V, class F, class... X>
auto hessian_fwd_rev(F const& f, std::tuple<X const&...> const& pts) {
    using D = dual<V, N, call_tag<F, V>>;
    constexpr std::size_t K = sizeof...(X);
    auto leaves = make_input_leaves<D>(pts, std::index_sequence_for<X...>{});
    auto const y = scalar_call(f, leaves, "hessian");
    auto const sizes = value_sizes(leaves);
    std::size_t n = 0;
    for (std::size_t s : sizes) {
        n += s;
    }
    auto h = make_blocks<V>(leaves);
    std::array<xt::xarray<D>, K> g;
    auto const w = wrt_all(leaves);
    ones const seed{y.shape()};
    auto const one = [](std::size_t) { return D(1); };
    for (std::size_t j0 = 0; j0 < n; j0 += N) {
        std::size_t const width = std::min(N, n - j0);
        for (std::size_t k = 0; k < width; ++k) {
            set_seed(
                leaves, sizes, j0 + k, V(1), [k](auto& d) -> auto& { return d.eps[k]; });
        }
        if constexpr (sweeps_duals<D, std::remove_cvref_t<decltype(y)>>) {
            // A function written element by element: swept on the duals (reverse/sweep.hpp).
            std::apply([&](auto const&... l) { sweep_vjp_into<D>(g, y, one, nullptr, l...); },
                       leaves);
        } else {
            grad_into_impl(g, y, w, seed, "hessian");
        }
        // g = grad f(x + sum_k t_k e_{j0+k}): its tangent k is column j0 + k of H, which lies
        // in the blocks of the input b that holds element j0 + k.
        for (std::size_t k = 0; k < width; ++k) {
            auto const [b, e] = locate(sizes, j0 + k);
            for (std::size_t a = 0; a < K; ++a) {
                for (std::size_t i = 0; i < sizes[a]; ++i) {
                    h[a][b].flat(i * sizes[b] + e) = g[a].flat(i).eps[k];
                }
            }
            set_seed(
                leaves, sizes, j0 + k, V(0), [k](auto& d) -> auto& { return d.eps[k]; });
        }
    }
    return h;
}

template <std::size_t N, class V, class F, class... X>
auto hessian_fwd_fwd(F const& f, std::tuple<X const&...> const& pts) {
    using D1 = dual<V, N, call_tag<F, V>>;
    using D = dual<D1, 1, call_tag<F, D1>>;
    auto leaves = make_input_leaves<D>(pts, std::index_sequence_for<X...>{});
    auto const y = scalar_call(f, leaves, "hessian");
    auto const sizes = value_sizes(leaves);
    std::size_t n = 0;
    for (std::size_t s : sizes) {
        n += s;
    }
    auto h = make_blocks<V>(leaves);
    xt::xarray<D> out;
    auto outer = [](auto& d) -> auto& {
        return d.eps[0].val;
    };
    // H is symmetric: the rows are computed for the upper triangle and mirrored.
    for (std::size_t i = 0; i < n; ++i) {
        auto const [a, ei] = locate(sizes, i);
        set_seed(leaves, sizes, i, V(1), outer);
        for (std::size_t j0 = i - i % N; j0 < n; j0 += N) {
            std::size_t const width = std::min(N, n - j0);
            for (std::size_t k = 0; k < width; ++k) {
                set_seed(
                    leaves, sizes, j0 + k, V(1), [k](auto& d) -> auto& { return d.val.eps[k]; });
            }
            eval_into(out, y);
            for (std::size_t k = 0; k < width; ++k) {
                if (j0 + k >= i) {
                    auto const [b, ej] = locate(sizes, j0 + k);
                    V const hij = out.flat(0).eps[0].eps[k];
                    h[a][b].flat(ei * sizes[b] + ej) = hij;
                    h[b][a].flat(ej * sizes[a] + ei) = hij;
                }
                set_seed(
                    leaves, sizes, j0 + k, V(0), [k](auto& d) -> auto& { return d.val.eps[k]; });
            }
        }
        set_seed(leaves, sizes, i, V(0), outer);
    }
    return h;
}

template <class V, class F, class... X>
auto hessian_rev_rev(F const& f, std::tuple<X const&...> const& pts) {
    constexpr std::size_t K = sizeof...(X);
    auto const leaves = make_input_leaves<V>(pts, std::index_sequence_for<X...>{});
    auto const y = scalar_call(f, leaves, "hessian");
    auto const w = wrt_all(leaves);
    // The gradient as expressions, one per input: an input f ignores has a zero one.
    auto const grads = [&] {
        auto g = derivative_impl(y, w, ones{y.shape()});
        if constexpr (K == 1) {
            return std::make_tuple(std::move(g));
        } else {
            return g;
        }
    }();
    auto const sizes = value_sizes(leaves);
    auto h = make_blocks<V>(leaves);
    std::array<xt::xarray<V>, K> row;
    [&]<std::size_t... A>(std::index_sequence<A...>) {
        (
            [&] {
                auto const& ga = std::get<A>(grads);
                xt::xarray<V> seed = xt::zeros<V>(std::get<A>(leaves).shape());
                for (std::size_t i = 0; i < sizes[A]; ++i) {
                    seed.flat(i) = V(1);
                    grad_into_impl(row, ga, w, seed, "hessian");
                    for (std::size_t b = 0; b < K; ++b) {
                        std::copy(row[b].begin(), row[b].end(),
                                  h[A][b].begin() + static_cast<std::ptrdiff_t>(i * sizes[b]));
                    }
                    seed.flat(i) = V(0);
                }
            }(),
            ...);
    }
    (std::make_index_sequence<K>{});
    return h;
}

/// The elements of fixed-size points of types X... together.
template <class... X>
constexpr std::size_t fixed_elements =
    (std::size_t(0) + ... + static_elements<typename container_static_shape<X>::type>);

/// The tangent width of hessian at a fixed-size point of types X...: the inputs' elements together,
/// up to hessian_width (one pass gives every column when they are few, with no unused tangents).
template <class... X>
constexpr std::size_t fixed_hessian_width = std::clamp<std::size_t>(fixed_elements<X...>, 1,
                                                                    hessian_width);

/// The largest Hessian, in bytes, that hessian returns fixed-size (on the stack, as its caller
/// holds it): 64 KiB, 90 x 90 doubles. A larger one at fixed-size points is an xt::xarray, as at
/// any other point, so that a large fixed-size point cannot overflow a thread's stack.
inline constexpr std::size_t fixed_hessian_bytes = std::size_t(1) << 16;

/// Whether hessian at fixed-size points of types X... returns fixed-size blocks (V values): all of
/// them together within fixed_hessian_bytes.
template <class V, class... X>
constexpr bool fixed_hessian_fits = std::size_t{fixed_elements<X...>}
                                        * fixed_elements<X...> * sizeof(V)
                                    <= fixed_hessian_bytes;

/// The fixed-size block (a, b) of the Hessian at points of types X...: shape x_a.shape +
/// x_b.shape.
template <class V, class Xa, class Xb>
using fixed_hessian_block =
    xt::xtensor_fixed<V, typename concat_static<typename container_static_shape<Xa>::type,
                                                typename container_static_shape<Xb>::type>::type>;

/// Row a of the fixed-size blocks: (a, b) for each input b.
template <class V, class Xa, class... Xb>
using fixed_hessian_row = std::tuple<fixed_hessian_block<V, Xa, Xb>...>;

/// Columns [j0, j0 + width) of the Hessian that lie in input b (elements [offset, offset + size)
/// of the inputs laid end to end) into `block`, (a, b): g is input a's gradient on duals whose
/// tangent c - j0 is column c.
template <class Block, class G>
void copy_columns(Block& block, G const& g, std::size_t offset, std::size_t size, std::size_t j0,
                  std::size_t width) {
    std::size_t const end = std::min(j0 + width, offset + size);
    for (std::size_t c = std::max(j0, offset); c < end; ++c) {
        for (std::size_t i = 0; i < g.size(); ++i) {
            block.flat(i * size + c - offset) = g.flat(i).eps[c - j0];
        }
    }
}

/// hessian where scalar_is_fixed (jacobian.hpp) on its duals: forward over reverse on fixed-size
/// leaves of duals, the gradient swept into fixed-size tensors, the blocks fixed-size; nothing is
/// allocated. One input gives its block, several a tuple of rows, each a tuple of blocks (as
/// torch's tuple of tuples).
template <class F, class... X, std::size_t... I>
auto hessian_fixed(F const& f, at_t<X...> const& p, std::index_sequence<I...>) {
    using V = common_point_t<X...>;
    constexpr std::size_t N = fixed_hessian_width<X...>;
    using D = tangent_t<F, V, N>;
    constexpr std::size_t K = sizeof...(X);
    constexpr std::array<std::size_t, K> sizes{
        static_elements<typename container_static_shape<X>::type>...};
    constexpr std::array<std::size_t, K> offsets = [&] {
        std::array<std::size_t, K> o{};
        for (std::size_t a = 1; a < K; ++a) {
            o[a] = o[a - 1] + sizes[a - 1];
        }
        return o;
    }();
    constexpr std::size_t n = fixed_elements<X...>;
    auto leaves = fixed_leaves<D>(p.points, std::index_sequence<I...>{});
    auto const y = call_on(f, leaves);
    std::tuple<fixed_hessian_row<V, X, X...>...> h;
    auto const sweep = [&](auto const&... l) {
        return sweep_vjp_fixed<D>(
            y, [](std::size_t) { return D(1); }, l...);
    };
    for (std::size_t j0 = 0; j0 < n; j0 += N) {
        std::size_t const width = std::min(N, n - j0);
        for (std::size_t k = 0; k < width; ++k) {
            set_seed(
                leaves, sizes, j0 + k, V(1), [k](auto& d) -> auto& { return d.eps[k]; });
        }
        auto const g = std::apply(sweep, leaves).second;
        // g = grad f(x + sum_k t_k e_{j0+k}): its tangent k is column j0 + k of H.
        auto const row = [&]<std::size_t A>(std::integral_constant<std::size_t, A>) {
            (copy_columns(std::get<I>(std::get<A>(h)), std::get<A>(g), offsets[I], sizes[I], j0,
                          width),
             ...);
        };
        (row(std::integral_constant<std::size_t, I>{}), ...);
        for (std::size_t k = 0; k < width; ++k) {
            set_seed(
                leaves, sizes, j0 + k, V(0), [k](auto& d) -> auto& { return d.eps[k]; });
        }
    }
    if constexpr (K == 1) {
        return std::get<0>(std::get<0>(h));
    } else {
        return h;
    }
}

/// hvp where scalar_is_fixed (jacobian.hpp) on its duals: fixed-size leaves of duals carrying
/// the directions, one sweep; the value as an xt::xtensor_fixed of f's shape (0-d for a number)
/// and H v of the points' fixed shapes. Nothing is allocated.
template <class F, class... X, class T, std::size_t... I>
auto hvp_fixed(F const& f, at_t<X...> const& p, T const& v, std::index_sequence<I...>) {
    using V = common_point_t<X...>;
    using D = tangent_t<F, V, 1>;
    constexpr std::size_t K = sizeof...(X);
    auto const leaves = std::make_tuple(input_leaf<I>(
        directed<D, true>(std::get<I>(p.points), direction<I, K>(v), "hvp", "vector", I, K))...);
    auto const y = call_on(f, leaves);
    auto const [dual_value, g] = std::apply(
        [&](auto const&... l) {
            return sweep_vjp_fixed<D>(
                y, [](std::size_t) { return D(1); }, l...);
        },
        leaves);
    xt::xtensor_fixed<V, static_shape_t<std::remove_cvref_t<decltype(y)>>> value;
    value.flat(0) = dual_value.flat(0).val;
    std::tuple<point_container_t<V, true, X>...> hv;
    (std::transform(std::get<I>(g).begin(), std::get<I>(g).end(), std::get<I>(hv).begin(),
                    [](D const& d) { return d.eps[0]; }),
     ...);
    return std::make_tuple(value, one_or_tuple(std::move(hv)));
}

/// What hessian returns: the one block for one input, else the blocks.
template <class V, std::size_t K>
using hessian_result_t = std::conditional_t<K == 1, xt::xarray<V>, hessian_blocks<V, K>>;

template <class V, std::size_t K>
hessian_result_t<V, K> hessian_result(hessian_blocks<V, K>&& h) {
    if constexpr (K == 1) {
        return std::move(h[0][0]);
    } else {
        return std::move(h);
    }
}

} // namespace detail

/// The Hessian of f at the point: f takes one xtad expression per input and returns a
/// one-element expression; for one input x the result has shape x.shape + x.shape
/// (torch.autograd.functional.hessian). With several inputs (`at(x, y)`), a K x K array of
/// blocks, `H[a][b]` = d2f / dx_a dx_b of shape x_a.shape + x_b.shape, as torch's tuple of
/// tuples (`auto [Hx, Hy] = H;` binds the rows). By default forward over reverse (ceil(n/8)
/// adjoint passes on dual numbers, n the inputs' elements together); `hessian<route::...>`
/// picks another route, all three give the same numbers. At fixed-size points (xt::xtensor_fixed)
/// where f is written element by element (`x(0)`, elementwise ops), the default route keeps the
/// points fixed-size, carries min(n, 8) tangents and returns xt::xtensor_fixed blocks (several
/// inputs: a tuple of rows, each a tuple of blocks), allocating nothing where leaves' lifetimes
/// are not checked (NDEBUG); up to 64 KiB of Hessian (fixed_hessian_bytes), beyond which it is
/// an xt::xarray, as the other routes' always are.
template <route R = route::forward_over_reverse, class F, class... X>
requires detail::ExpressionFunction<F, detail::hessian_value_t<R, F, detail::common_point_t<X...>>,
                                    X...>
auto hessian(F const& f, at_t<X...> const& p) {
    using V = detail::common_point_t<X...>;
    constexpr std::size_t N = detail::hessian_width;
    constexpr auto idx = std::index_sequence_for<X...>{};
    // Fixed-size blocks where the points are fixed-size, f is written element by element and the
    // Hessian is small enough for the stack.
    using D = detail::tangent_t<F, V, detail::fixed_hessian_width<X...>>;
    constexpr bool fits = detail::fixed_hessian_fits<V, X...>;
    constexpr bool swept = detail::scalar_is_fixed<F, D, X...>(idx);
    if constexpr (R == route::forward_over_reverse && fits && swept) {
        return detail::hessian_fixed(f, p, idx);
    } else if constexpr (R == route::forward_over_reverse) {
        return detail::hessian_result(detail::hessian_fwd_rev<N, V>(f, p.points));
    } else if constexpr (R == route::forward_over_forward) {
        return detail::hessian_result(detail::hessian_fwd_fwd<N, V>(f, p.points));
    } else {
        return detail::hessian_result(detail::hessian_rev_rev<V>(f, p.points));
    }
}

/// hessian of a function that does not return an expression: a compile error that says so.
template <route R = route::forward_over_reverse, class F, class... X>
auto hessian(F const&, at_t<X...> const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::hessian_result_t<V, sizeof...(X)>, F,
                                   detail::hessian_value_t<R, F, V>>(
        std::index_sequence_for<X...>{});
}

/// The value of f at the point and the Hessian-vector product H v, in one adjoint pass on dual
/// numbers (torch.autograd.functional.hvp). f returns a one-element expression; v has x's
/// shape. With several inputs, v is a tuple of vectors, one per input (`std::tie(vx, vy)`), and
/// so is H v: (H v)_a = sum_b H[a][b] v_b. At fixed-size points where f is written element by
/// element, as hessian: the value is an xt::xtensor_fixed of f's shape (0-d for a number), H v
/// has the points' fixed shapes, and nothing is allocated.
template <class F, class... X, class T>
requires detail::ExpressionFunction < F, detail::tangent_t < F, detail::common_point_t<X...>,
1 >, X... > auto hvp(F const& f, at_t<X...> const& p, T const& v) {
    using V = detail::common_point_t<X...>;
    using D = dual<V, 1, call_tag<F, V>>;
    constexpr std::size_t K = sizeof...(X);
    constexpr auto idx = std::index_sequence_for<X...>{};
    if constexpr (detail::scalar_is_fixed<F, D, X...>(idx)) {
        return detail::hvp_fixed(f, p, v, idx);
    } else {
        auto const leaves = detail::directed_leaves<D>(p.points, v, "hvp", "vector",
                                                       std::index_sequence_for<X...>{});
        auto const y = detail::scalar_call(f, leaves, "hvp");
        xt::xarray<D> dual_value;
        std::array<xt::xarray<D>, K> g;
        if constexpr (detail::sweeps_duals<D, std::remove_cvref_t<decltype(y)>>) {
            // A function written element by element: swept on the duals (reverse/sweep.hpp).
            dual_value.resize(y.shape());
            auto const one = [](std::size_t) { return D(1); };
            std::apply(
                [&](auto const&... l) {
                    detail::sweep_vjp_into<D>(g, y, one, dual_value.data(), l...);
                },
                leaves);
        } else {
            detail::value_and_grad_into_impl(dual_value, g, y, detail::wrt_all(leaves),
                                             ones{y.shape()}, "hvp");
        }
        xt::xarray<V> value = detail::split_dual<V>(dual_value).first;
        std::array<xt::xarray<V>, K> hv;
        for (std::size_t a = 0; a < K; ++a) {
            hv[a] = detail::split_dual<V>(g[a]).second;
        }
        return std::make_tuple(std::move(value), detail::one_or_tuple(std::move(hv)));
    }
}

/// hvp of a function that does not return an expression: a compile error that says so.
template <class F, class... X, class T>
auto hvp(F const&, at_t<X...> const&, T const&) {
    using V = detail::common_point_t<X...>;
    return detail::reject_function<detail::with_value_t<V, detail::per_input_t<V, X...>>, F,
                                   detail::tangent_t<F, V, 1>>(std::index_sequence_for<X...>{});
}

} // namespace xtad
