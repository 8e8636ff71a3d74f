// Defines the differentiable products and transposes: matmul (torch.matmul's semantics for 1-D,
// 2-D and batched operands), dot, outer, transpose. Each is a tensor op (core/node.hpp): its
// shape, value, vjp and jvp rules in one struct. Values of float and double go through BLAS.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"
#include "xtad/ops/arithmetic.hpp"
#include "xtad/ops/indexing.hpp"
#include "xtad/ops/reduction.hpp"
#include "xtad/ops/tensor.hpp"

#include <xtensor-blas/xblas.hpp>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

namespace detail {

/// c (m × n, row-major) = op(a) · op(b), op the transpose where `ta`/`tb`: a is stored m × k
/// (k × m if ta), b k × n (n × k if tb). BLAS for float and double; a plain loop otherwise (a
/// dual number's value type, where forward modes nest).
template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T const* a, T const* b,
          T* c) {
    if (m == 0 || n == 0) {
        return;
    }
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
        if (k == 0) {
            std::fill_n(c, m * n, T(0));
            return;
        }
        using I = xt::blas_index_t;
        auto const no = cxxblas::Transpose::NoTrans;
        auto const yes = cxxblas::Transpose::Trans;
        auto const order = cxxblas::StorageOrder::RowMajor;
        // A matrix times a vector: gemv, since gemm would copy the whole matrix into its panels.
        if (n == 1) { // c (m) = op(a) b, a stored m x k (k x m if ta)
            cxxblas::gemv<I>(order, ta ? yes : no, static_cast<I>(ta ? k : m),
                             static_cast<I>(ta ? m : k), T(1), a, static_cast<I>(ta ? m : k), b, 1,
                             T(0), c, 1);
            return;
        }
        if (m == 1) { // c (n) = op(b)ᵀ a, b stored k x n (n x k if tb)
            cxxblas::gemv<I>(order, tb ? no : yes, static_cast<I>(tb ? n : k),
                             static_cast<I>(tb ? k : n), T(1), b, static_cast<I>(tb ? k : n), a, 1,
                             T(0), c, 1);
            return;
        }
        cxxblas::gemm<I>(order, ta ? yes : no, tb ? yes : no, static_cast<I>(m), static_cast<I>(n),
                         static_cast<I>(k), T(1), a, static_cast<I>(ta ? m : k), b,
                         static_cast<I>(tb ? k : n), T(0), c, static_cast<I>(n));
    } else {
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                T s{};
                for (std::size_t p = 0; p < k; ++p) {
                    s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = s;
            }
        }
    }
}

inline std::string matmul_shapes(shape_t const& a, shape_t const& b) {
    return shape_str(a) + " @ " + shape_str(b);
}

} // namespace detail

/// One operand of a product, as matmul_op reads it. The left operand is the matrix (m, k), the
/// right one (k, n): `outer` is m or n, `inner` is k. An operand may lack either axis (a vector,
/// or a vector's adjoint; the axis then has size 1), and may be stored transposed: the left
/// operand is stored (outer, inner), the right one (inner, outer), the other way round where
/// `t`; what precedes its matrix axes is its batch shape.
struct matmul_side {
    bool t = false;
    bool outer = true;
    bool inner = true;

    bool operator==(matmul_side const&) const = default;

    std::size_t rank() const { return std::size_t(outer) + std::size_t(inner); }
    /// (outer, inner) sizes of a stored operand of shape s, as the left (`left`) or right one.
    std::pair<std::size_t, std::size_t> dims(shape_t const& s, bool left) const {
        bool const outer_first = left != t;
        std::size_t const r = s.size();
        std::size_t o = 1;
        std::size_t i = 1;
        if (outer && inner) {
            o = outer_first ? s[r - 2] : s[r - 1];
            i = outer_first ? s[r - 1] : s[r - 2];
        } else if (outer) {
            o = s[r - 1];
        } else if (inner) {
            i = s[r - 1];
        }
        return {o, i};
    }
};

/// The product of two tensors over their matrix axes, batched over the others (which
/// broadcast): torch.matmul, with each operand read as matmul_side says (a vector, a transposed
/// matrix, ...), and the result stored as `c` says (its outer axis m, inner axis n; `c.t` stores
/// it transposed). What matmul builds, and what its vjp rule builds again: the adjoints of a
/// product are products of the same kind, with BLAS's transposes instead of transposed copies.
struct matmul_op : tensor_op<"matmul", "MmBackward0"> {
    matmul_side a;
    matmul_side b;
    matmul_side c;
    /// torch's name for the backward of the product as the user wrote it.
    std::string_view torch_name = "MmBackward0";

    bool operator==(matmul_op const& o) const { return a == o.a && b == o.b && c == o.c; }
    std::string_view grad_fn_name() const { return torch_name; }

    shape_t shape(shape_t const& sa, shape_t const& sb) const {
        if (sa.size() < a.rank() || sb.size() < b.rank()) {
            throw error("xtad::matmul: an operand has too few dimensions: "
                        + detail::matmul_shapes(sa, sb));
        }
        auto const [m, ka] = a.dims(sa, true);
        auto const [n, kb] = b.dims(sb, false);
        if (ka != kb) {
            throw error("xtad::matmul: the inner dimensions do not match (" + std::to_string(ka)
                        + " and " + std::to_string(kb) + "): " + detail::matmul_shapes(sa, sb));
        }
        shape_t out = detail::broadcast_shapes(shape_t(sa.begin(), sa.end() - a.rank()),
                                               shape_t(sb.begin(), sb.end() - b.rank()), "matmul");
        std::size_t const first = c.t ? n : m;
        std::size_t const second = c.t ? m : n;
        if (c.t ? c.inner : c.outer) {
            out.push_back(first);
        }
        if (c.t ? c.outer : c.inner) {
            out.push_back(second);
        }
        return out;
    }

    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& x, xt::xarray<T> const& y) const {
        shape_t const sx = detail::to_shape(x.shape());
        shape_t const sy = detail::to_shape(y.shape());
        auto const [m, k] = a.dims(sx, true);
        std::size_t const n = b.dims(sy, false).first;
        shape_t const bx(sx.begin(), sx.end() - a.rank());
        shape_t const by(sy.begin(), sy.end() - b.rank());
        shape_t const batch = detail::broadcast_shapes(bx, by, "matmul");
        xt::xarray<T> out(shape(sx, sy));
        shape_t const stride_x = detail::broadcast_strides(bx, batch);
        shape_t const stride_y = detail::broadcast_strides(by, batch);
        shape_t index(batch.size(), 0);
        for (std::size_t i = 0, count = detail::size_of(batch); i < count; ++i) {
            std::size_t ox = 0;
            std::size_t oy = 0;
            for (std::size_t d = 0; d < batch.size(); ++d) {
                ox += index[d] * stride_x[d];
                oy += index[d] * stride_y[d];
            }
            T const* const px = x.data() + ox * m * k;
            T const* const py = y.data() + oy * k * n;
            T* const pc = out.data() + i * m * n;
            if (c.t) {
                detail::gemm(!b.t, !a.t, n, m, k, py, px, pc); // Cᵀ = op(B)ᵀ op(A)ᵀ
            } else {
                detail::gemm(a.t, b.t, m, n, k, px, py, pc);
            }
            for (std::size_t d = batch.size(); d-- > 0;) {
                if (++index[d] < batch[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    // C = op(A) op(B), G its adjoint (stored as c says, with C's batch shape):
    //   dA = G op(B)ᵀ, stored as A is (transposed where A is read transposed);
    //   dB = op(A)ᵀ G, stored as B is.
    // Both on C's batch shape: the adjoint pass sums them down to an operand's own.
    template <class G, class Y, class X, class Z>
    auto vjp(G const& g, Y const&, X const& x, Z const& z) const {
        // G is read as C is stored: a left operand (m, n). As a right one (m inner, n outer) its
        // sides swap; so do op(B)ᵀ's (k outer, n inner) and op(A)ᵀ's (k outer, m inner).
        matmul_op da;
        da.a = c;
        da.b = {!b.t, b.inner, b.outer};
        da.c = a;
        matmul_op db;
        db.a = {!a.t, a.inner, a.outer};
        db.b = {c.t, c.inner, c.outer};
        db.c = {b.t, b.inner, b.outer};
        da.torch_name = db.torch_name = "MmBackward0";
        return std::tuple{detail::make_tensor(da, g, z), detail::make_tensor(db, x, g)};
    }

    // d(op(A) op(B)) = op(dA) op(B) + op(A) op(dB)
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const& x, xt::xarray<T> const& y,
                      xt::xarray<T> const& dx, xt::xarray<T> const& dy) const {
        xt::xarray<T> d = value(dx, y);
        d += value(x, dy);
        return d;
    }
};
/// `arg` with its axes permuted (torch.permute; the last two swapped for transpose(A)).
struct permute_op : tensor_op<"transpose", "PermuteBackward0"> {
    std::vector<std::size_t> perm;

    bool operator==(permute_op const&) const = default;

    shape_t shape(shape_t const& a) const {
        shape_t out(a.size());
        for (std::size_t d = 0; d < a.size(); ++d) {
            out[d] = a[perm[d]];
        }
        return out;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        if (a.dimension() < 2) {
            return a;
        }
        return xt::transpose(a, perm);
    }
    std::vector<std::size_t> inverse() const {
        std::vector<std::size_t> inv(perm.size());
        for (std::size_t d = 0; d < perm.size(); ++d) {
            inv[perm[d]] = d;
        }
        return inv;
    }
    /// The operand's elements with their strides permuted: loops read a transpose in place.
    std::optional<strided_layout> layout(strided_layout const& a) const {
        strided_layout out{a.offset, {}};
        out.strides.resize(perm.size());
        for (std::size_t d = 0; d < perm.size(); ++d) {
            out.strides[d] = a.strides[perm[d]];
        }
        return out;
    }
    // the adjoint of a permutation is the inverse permutation of the adjoint
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const&, A const&) const {
        return detail::make_tensor(permute_op{{}, inverse()}, g);
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& da) const {
        return value(da);
    }
};

namespace detail {

/// torch's name for the backward of matmul on operands of ranks ra and rb.
inline std::string_view matmul_torch_name(std::size_t ra, std::size_t rb) {
    if (ra == 1 && rb == 1) {
        return "DotBackward0";
    }
    if (ra <= 2 && rb <= 2) {
        return ra == 1 ? "SqueezeBackward3" : rb == 1 ? "MvBackward0" : "MmBackward0";
    }
    return ra == 2 ? "CloneBackward0" : "UnsafeViewBackward0";
}

} // namespace detail

/// The matrix product with torch.matmul's semantics: a vector on the left is a row and on the
/// right a column, whose axis the result drops; operands of more than two dimensions are
/// batches of matrices, and their batch axes broadcast. Values of float and double go through
/// BLAS; the adjoints are products again (`dA = G Bᵀ`, `dB = Aᵀ G`), so second derivatives work.
template <class A, class B>
requires(Expression<A> || Expression<B>) && Operand<A>&& Operand<B> auto matmul(A&& x, B&& y) {
    auto na = detail::as_node(std::forward<A>(x));
    auto nb = detail::as_node(std::forward<B>(y));
    shape_t const sa = na.shape();
    shape_t const sb = nb.shape();
    if (sa.empty() || sb.empty()) {
        throw error("xtad::matmul: both operands need at least one dimension, not "
                    + detail::matmul_shapes(sa, sb));
    }
    matmul_op op;
    op.a.outer = sa.size() > 1; // a vector on the left: one row, dropped from the result
    op.b.outer = sb.size() > 1; // on the right: one column
    op.c = {false, op.a.outer, op.b.outer};
    op.torch_name = detail::matmul_torch_name(sa.size(), sb.size());
    return detail::make_tensor(op, std::move(na), std::move(nb));
}

namespace detail {

/// `x` and `y` as nodes, both vectors, or an xtad::error naming `op` and their shapes.
template <class A, class B>
auto two_vectors(char const* op, A&& x, B&& y) {
    auto na = as_node(std::forward<A>(x));
    auto nb = as_node(std::forward<B>(y));
    if (na.shape().size() != 1 || nb.shape().size() != 1) {
        throw error(std::string("xtad::") + op + ": needs two vectors, not "
                    + matmul_shapes(na.shape(), nb.shape()));
    }
    return std::pair{std::move(na), std::move(nb)};
}

} // namespace detail

/// The dot product of two vectors (torch.dot).
template <class A, class B>
requires(Expression<A> || Expression<B>) && Operand<A>&& Operand<B> auto dot(A&& x, B&& y) {
    auto [na, nb] = detail::two_vectors("dot", std::forward<A>(x), std::forward<B>(y));
    return matmul(std::move(na), std::move(nb));
}

/// The outer product of two vectors (torch.outer): x as a column times y as a row, elementwise.
template <class A, class B>
requires(Expression<A> || Expression<B>) && Operand<A>&& Operand<B> auto outer(A&& x, B&& y) {
    auto [na, nb] = detail::two_vectors("outer", std::forward<A>(x), std::forward<B>(y));
    return reshape(std::move(na), {-1, 1}) * std::move(nb);
}

/// `e` with its axes permuted as `axes` says (torch.permute): axis d of the result is axis
/// axes[d] of e; negative axes count from the end.
template <Expression E>
auto transpose(E&& e, std::vector<std::ptrdiff_t> const& axes) {
    auto n = detail::as_node(std::forward<E>(e));
    shape_t const s = n.shape();
    std::vector<std::size_t> perm;
    std::vector<bool> seen(s.size(), false);
    auto const fail = [&] {
        std::string list;
        for (std::size_t d = 0; d < axes.size(); ++d) {
            list += (d ? ", " : "") + std::to_string(axes[d]);
        }
        throw error("xtad::transpose: (" + list + (axes.size() == 1 ? ",)" : ")")
                    + " is not a permutation of the axes of a tensor of shape "
                    + detail::shape_str(s));
    };
    if (axes.size() != s.size()) {
        fail();
    }
    for (auto a : axes) {
        auto const k = a < 0 ? a + static_cast<std::ptrdiff_t>(s.size()) : a;
        if (k < 0 || k >= static_cast<std::ptrdiff_t>(s.size())
            || seen[static_cast<std::size_t>(k)]) {
            fail();
        }
        seen[static_cast<std::size_t>(k)] = true;
        perm.push_back(static_cast<std::size_t>(k));
    }
    return detail::make_tensor(permute_op{{}, std::move(perm)}, std::move(n));
}

/// `e` with its axes reversed (numpy's transpose; a matrix's transpose, torch's A.T).
template <Expression E>
auto transpose(E&& e) {
    auto n = detail::as_node(std::forward<E>(e));
    std::vector<std::ptrdiff_t> axes(n.shape().size());
    std::iota(axes.rbegin(), axes.rend(), std::ptrdiff_t(0));
    return transpose(std::move(n), axes);
}

} // namespace xtad
