// Defines xtad's runtime shapes and numpy/torch broadcasting on them.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/error.hpp"
#include "xtad/core/xtensor.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

using shape_t = xt::svector<std::size_t, 4>;

/// What the compiler knows about how many elements an expression has.
enum class static_size { unknown, one, many };

namespace detail {

template <class S>
shape_t to_shape(S const& s) {
    return shape_t(s.begin(), s.end());
}

inline std::size_t size_of(shape_t const& s) {
    std::size_t n = 1;
    for (auto d : s) {
        n *= d;
    }
    return n;
}

/// The strides of a row-major tensor of shape `own` seen in the shape `out` it broadcasts to:
/// 0 along the axes it is broadcast over.
inline shape_t broadcast_strides(shape_t const& own, shape_t const& out) {
    shape_t strides(out.size(), 0);
    std::size_t stride = 1;
    std::size_t const lead = out.size() - own.size();
    for (std::size_t d = own.size(); d-- > 0;) {
        strides[lead + d] = own[d] == 1 ? 0 : stride;
        stride *= own[d];
    }
    return strides;
}

} // namespace detail

/// Where a tensor's elements are in the memory it is read from: element (j0, j1, ...) at
/// `offset + j0 * strides[0] + j1 * strides[1] + ...`, counted in elements. What a tensor op
/// whose result is a view of its operand's elements (a transpose, a slice, a diagonal) declares
/// through its `layout` rule (core/node.hpp), so that loops read the result where the operand's
/// elements already are.
struct strided_layout {
    std::ptrdiff_t offset = 0;
    xt::svector<std::ptrdiff_t, 4> strides;

    /// The layout of a row-major tensor of shape `s`, from its first element.
    static strided_layout row_major(shape_t const& s) {
        strided_layout l;
        l.strides.resize(s.size());
        std::ptrdiff_t stride = 1;
        for (std::size_t d = s.size(); d-- > 0;) {
            l.strides[d] = stride;
            stride *= static_cast<std::ptrdiff_t>(s[d]);
        }
        return l;
    }
};

namespace detail {

/// The broadcast of two shapes, as numpy and torch define it; `op` names the operation in the
/// error raised when the shapes do not broadcast.
inline shape_t broadcast_shapes(shape_t const& a, shape_t const& b, std::string_view op) {
    shape_t out(std::max(a.size(), b.size()), 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::size_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
        std::size_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
        if (da != db && da != 1 && db != 1) {
            throw error("xtad::" + std::string(op) + ": shapes " + shape_str(a) + " and "
                        + shape_str(b) + " do not broadcast");
        }
        out[i] = da == 1 ? db : da;
    }
    return out;
}

// Shapes the compiler knows: leaves over xtensor_fixed, elements of them, elementwise ops and
// stacks of such (each node type says so where it is defined). Their shape() needs no work at
// run time, and a transform of a fixed-size point can return a fixed-size result.

/// The fixed shape of a container type (xt::xtensor_fixed<T, xt::xshape<...>>), else void.
template <class C>
struct container_static_shape {
    using type = void;
};
template <class T, std::size_t... N, xt::layout_type L, bool SH, class Tag>
struct container_static_shape<xt::xfixed_container<T, xt::fixed_shape<N...>, L, SH, Tag>> {
    using type = std::conditional_t<L == xt::layout_type::row_major, xt::fixed_shape<N...>, void>;
};

/// How many elements a fixed shape has.
template <class S>
constexpr std::size_t static_elements = 0;
template <std::size_t... N>
constexpr std::size_t static_elements<xt::fixed_shape<N...>> = (std::size_t(1) * ... * N);

/// The numpy broadcast of two fixed shapes, or void where either is unknown or they do not
/// broadcast (the shape rule then says why, at run time).
template <class A, class B>
struct broadcast_static {
    using type = void;
};
template <std::size_t... A, std::size_t... B>
struct broadcast_static<xt::fixed_shape<A...>, xt::fixed_shape<B...>> {
    static constexpr std::size_t na = sizeof...(A), nb = sizeof...(B);
    static constexpr std::size_t n = na > nb ? na : nb;
    struct result {
        std::array<std::size_t, n> dims{};
        bool ok = true;
    };
    static constexpr result compute() {
        constexpr std::array<std::size_t, na> a{A...};
        constexpr std::array<std::size_t, nb> b{B...};
        result r;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t const da = i < n - na ? 1 : a[i - (n - na)];
            std::size_t const db = i < n - nb ? 1 : b[i - (n - nb)];
            r.ok = r.ok && (da == db || da == 1 || db == 1);
            r.dims[i] = da == 1 ? db : da;
        }
        return r;
    }
    static constexpr result r = compute();
    template <std::size_t... I>
    static xt::fixed_shape<r.dims[I]...> make(std::index_sequence<I...>);
    using type = std::conditional_t<r.ok, decltype(make(std::make_index_sequence<n>{})), void>;
};

template <class E>
struct static_shape {
    using type = void;
};

template <class E>
using static_shape_t = typename static_shape<E>::type;

/// Two fixed shapes one after the other (a Jacobian's out.shape + in.shape), or void.
template <class A, class B>
struct concat_static {
    using type = void;
};
template <std::size_t... A, std::size_t... B>
struct concat_static<xt::fixed_shape<A...>, xt::fixed_shape<B...>> {
    using type = xt::fixed_shape<A..., B...>;
};

/// Whether the compiler knows E's shape.
template <class E>
constexpr bool has_static_shape = !std::is_void_v<static_shape_t<E>>;

/// A fixed shape as a runtime shape.
template <class S>
struct static_shape_value;
template <std::size_t... N>
struct static_shape_value<xt::fixed_shape<N...>> {
    static shape_t get() { return shape_t{N...}; }
};

/// The shape of E, which the compiler knows: no operand is asked for its own.
template <class E>
shape_t known_shape() {
    return static_shape_value<static_shape_t<E>>::get();
}

constexpr static_size combine(static_size a, static_size b) {
    if (a == static_size::many || b == static_size::many) {
        return static_size::many;
    }
    if (a == static_size::one && b == static_size::one) {
        return static_size::one;
    }
    return static_size::unknown;
}

} // namespace detail
} // namespace xtad
