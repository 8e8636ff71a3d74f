// Defines the differentiable inverses, solves, determinants and the Cholesky factorisation: inv,
// solve, det, slogdet, cholesky. Each is a tensor op (core/node.hpp). inv, solve, det and slogdet
// read the LU factorisation of their matrix from an operand of their own, an lu_op node: computed
// once per evaluation and shared by the value, the adjoint and the forward rule, so that a matrix
// is factorised once, and never inverted where a solve does. Values of float and double go
// through LAPACK (getrf, getrs, potrf); a plain loop serves other element types (a dual number's
// value type, where forward modes nest).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/node.hpp"
#include "xtad/ops/arithmetic.hpp"
#include "xtad/ops/exp_log.hpp"
#include "xtad/ops/indexing.hpp"
#include "xtad/ops/linalg.hpp"
#include "xtad/ops/reduction.hpp"
#include "xtad/ops/tensor.hpp"

#include <xtensor-blas/xlinalg.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xtad {

namespace detail {

template <class T>
constexpr bool lapack_type = std::is_same_v<T, double> || std::is_same_v<T, float>;

/// |x| of a number, or of a dual number's value: what a pivot is chosen by.
template <class T>
auto magnitude(T const& x) {
    if constexpr (std::is_arithmetic_v<T>) {
        return x < T(0) ? -x : x;
    } else {
        return magnitude(x.val);
    }
}

/// The LU factorisation with partial pivoting of the n × n matrix `a` (row-major), A = P L U, as
/// LAPACK's getrf leaves it, in an (n + 1) × n tensor: its first n² numbers are L (unit, below
/// the diagonal) and U in column-major order, its last n the rows swapped at each step (getrf's
/// 1-based ipiv, as numbers). `zero` is set to the 1-based step of the first pivot that is
/// exactly zero (getrf's info), 0 if none: the matrix is then singular.
template <class T>
xt::xarray<T> lu_packed(xt::xarray<T> const& a, std::size_t& zero) {
    std::size_t const n = a.shape()[0];
    xt::xarray<T> f(shape_t{n + 1, n});
    T* const lu = f.data();
    T* const piv = lu + n * n;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            lu[i + j * n] = a.data()[i * n + j];
        }
    }
    zero = 0;
    if (n == 0) {
        return f;
    }
    if constexpr (lapack_type<T>) {
        using I = xt::blas_index_t;
        std::vector<I> ip(n);
        I const in = static_cast<I>(n);
        I const info = cxxlapack::getrf<I>(in, in, lu, in, ip.data());
        zero = info > 0 ? static_cast<std::size_t>(info) : 0;
        for (std::size_t k = 0; k < n; ++k) {
            piv[k] = T(ip[k]);
        }
    } else {
        for (std::size_t k = 0; k < n; ++k) {
            std::size_t p = k;
            for (std::size_t i = k + 1; i < n; ++i) {
                if (magnitude(lu[i + k * n]) > magnitude(lu[p + k * n])) {
                    p = i;
                }
            }
            piv[k] = T(p + 1);
            if (p != k) {
                for (std::size_t j = 0; j < n; ++j) {
                    std::swap(lu[k + j * n], lu[p + j * n]);
                }
            }
            if (lu[k + k * n] == T(0)) {
                zero = zero ? zero : k + 1;
                continue; // as getrf: the column below stays as it is
            }
            for (std::size_t i = k + 1; i < n; ++i) {
                lu[i + k * n] /= lu[k + k * n];
            }
            for (std::size_t j = k + 1; j < n; ++j) {
                for (std::size_t i = k + 1; i < n; ++i) {
                    lu[i + j * n] -= lu[i + k * n] * lu[k + j * n];
                }
            }
        }
    }
    return f;
}

/// The row swapped with row k at step k of a factorisation `f` (lu_packed), 0-based.
template <class T>
std::size_t pivot_row(xt::xarray<T> const& f, std::size_t n, std::size_t k) {
    return static_cast<std::size_t>(magnitude(f.data()[n * n + k])) - 1;
}

/// Solves op(A) X = B in place, B column-major n × k, from A's factorisation `f` (lu_packed):
/// op(A) is A, or Aᵀ where `trans` (getrs).
template <class T>
void lu_solve(xt::xarray<T> const& f, bool trans, std::size_t k, T* b) {
    std::size_t const n = f.shape()[1];
    if (n == 0 || k == 0) {
        return;
    }
    T const* const lu = f.data();
    if constexpr (lapack_type<T>) {
        using I = xt::blas_index_t;
        std::vector<I> ip(n);
        for (std::size_t i = 0; i < n; ++i) {
            ip[i] = static_cast<I>(pivot_row(f, n, i) + 1);
        }
        I const in = static_cast<I>(n);
        cxxlapack::getrs<I>(trans ? 'T' : 'N', in, static_cast<I>(k), lu, in, ip.data(), b, in);
    } else {
        auto const swap_rows = [&](std::size_t i) {
            std::size_t const p = pivot_row(f, n, i);
            if (p != i) {
                for (std::size_t c = 0; c < k; ++c) {
                    std::swap(b[i + c * n], b[p + c * n]);
                }
            }
        };
        if (!trans) { // A = P L U: x = U⁻¹ L⁻¹ Pᵀ b
            for (std::size_t i = 0; i < n; ++i) {
                swap_rows(i);
            }
        }
        for (std::size_t c = 0; c < k; ++c) {
            T* const x = b + c * n;
            if (!trans) {
                for (std::size_t i = 0; i < n; ++i) { // L, unit lower
                    for (std::size_t j = 0; j < i; ++j) {
                        x[i] -= lu[i + j * n] * x[j];
                    }
                }
                for (std::size_t i = n; i-- > 0;) { // U, upper
                    for (std::size_t j = i + 1; j < n; ++j) {
                        x[i] -= lu[i + j * n] * x[j];
                    }
                    x[i] /= lu[i + i * n];
                }
            } else { // Aᵀ = Uᵀ Lᵀ Pᵀ: x = P L⁻ᵀ U⁻ᵀ b
                for (std::size_t i = 0; i < n; ++i) { // Uᵀ, lower
                    for (std::size_t j = 0; j < i; ++j) {
                        x[i] -= lu[j + i * n] * x[j];
                    }
                    x[i] /= lu[i + i * n];
                }
                for (std::size_t i = n; i-- > 0;) { // Lᵀ, unit upper
                    for (std::size_t j = i + 1; j < n; ++j) {
                        x[i] -= lu[j + i * n] * x[j];
                    }
                }
            }
        }
        if (trans) {
            for (std::size_t i = n; i-- > 0;) {
                swap_rows(i);
            }
        }
    }
}

/// op(A)⁻¹ B for B of shape (n) or (n, k), row-major, from A's factorisation `f`.
template <class T>
xt::xarray<T> lu_solve(xt::xarray<T> const& f, bool trans, xt::xarray<T> const& b) {
    std::size_t const n = f.shape()[1];
    std::size_t const k = b.dimension() == 1 ? 1 : b.shape()[1];
    std::vector<T> cols(n * k); // column-major, as LAPACK reads it
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < k; ++c) {
            cols[i + c * n] = b.data()[i * k + c];
        }
    }
    lu_solve(f, trans, k, cols.data());
    xt::xarray<T> x(b.shape());
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < k; ++c) {
            x.data()[i * k + c] = cols[i + c * n];
        }
    }
    return x;
}

/// op(A)⁻¹ from A's factorisation `f` (row-major).
template <class T>
xt::xarray<T> lu_inverse(xt::xarray<T> const& f, bool trans) {
    std::size_t const n = f.shape()[1];
    xt::xarray<T> eye = xt::zeros<T>(shape_t{n, n});
    for (std::size_t i = 0; i < n; ++i) {
        eye(i, i) = T(1);
    }
    return lu_solve(f, trans, eye);
}

/// det A from A's factorisation `f`: the product of U's diagonal, negated once per swap.
template <class T>
T lu_det(xt::xarray<T> const& f) {
    std::size_t const n = f.shape()[1];
    T d(1);
    for (std::size_t k = 0; k < n; ++k) {
        d *= f.data()[k + k * n];
        if (pivot_row(f, n, k) != k) {
            d = -d;
        }
    }
    return d;
}

/// The cofactor matrix of A, d det A / dA: det A · A⁻ᵀ where A is regular. Where it is singular
/// (a zero pivot), from its minors, each the determinant of an (n−1) × (n−1) matrix, for n up to
/// `by_minors` and for an element type LAPACK does not take (O(n⁵), exact for a small integer
/// matrix); above that, from the singular value decomposition A = U Σ Vᵀ as
/// det U det V · U adj(Σ) Vᵀ, adj(Σ) holding the products of all singular values but one.
template <class T>
xt::xarray<T> cofactors(xt::xarray<T> const& a, xt::xarray<T> const& f) {
    constexpr std::size_t by_minors = 8;
    std::size_t const n = a.shape()[0];
    std::size_t zero = 0;
    for (std::size_t k = 0; k < n; ++k) {
        zero = zero || f.data()[k + k * n] == T(0);
    }
    if (!zero) {
        xt::xarray<T> c = lu_inverse(f, true);
        c *= lu_det(f);
        return c;
    }
    auto const det_of = [](xt::xarray<T> const& m) {
        std::size_t z = 0;
        return lu_det(lu_packed(m, z));
    };
    xt::xarray<T> c = xt::zeros<T>(shape_t{n, n});
    if constexpr (lapack_type<T>) {
        if (n > by_minors) {
            auto [u, s, vt] = xt::linalg::svd(a, true, true);
            xt::xarray<T> const uu = u;
            xt::xarray<T> const vv = vt;
            T const sign = det_of(uu) * det_of(vv);
            for (std::size_t k = 0; k < n; ++k) {
                T others(1);
                for (std::size_t j = 0; j < n; ++j) {
                    others *= j == k ? T(1) : T(s(j));
                }
                for (std::size_t i = 0; i < n; ++i) {
                    for (std::size_t j = 0; j < n; ++j) {
                        c(i, j) += sign * uu(i, k) * others * vv(k, j);
                    }
                }
            }
            return c;
        }
    }
    xt::xarray<T> minor(shape_t{n - 1, n - 1});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            for (std::size_t r = 0, mr = 0; r < n; ++r) {
                if (r == i) {
                    continue;
                }
                for (std::size_t q = 0, mq = 0; q < n; ++q) {
                    if (q != j) {
                        minor(mr, mq++) = a(r, q);
                    }
                }
                ++mr;
            }
            T const m = n == 1 ? T(1) : det_of(minor);
            c(i, j) = (i + j) % 2 ? T(-m) : m;
        }
    }
    return c;
}

/// `use(factors)`, A's factorisation for a rule on element type T: `f`, the lu_op operand, for
/// float and double; for a dual number's value type (forward modes nested), A factorised again,
/// as `f` carries no tangents of that inner level (lu_op's jvp is zero).
template <class T, class F>
decltype(auto) with_factors(xt::xarray<T> const& a, xt::xarray<T> const& f, F&& use) {
    if constexpr (lapack_type<T>) {
        return use(f);
    } else {
        std::size_t zero = 0;
        return use(lu_packed(a, zero));
    }
}

/// The lower Cholesky factor L of the symmetric positive definite `a` (row-major), A = L Lᵀ,
/// reading A's lower triangle only (LAPACK's potrf with 'L', as torch.linalg.cholesky); `bad` is
/// set to the order of the first leading minor that is not positive (potrf's info), 0 if none.
template <class T>
xt::xarray<T> cholesky_lower(xt::xarray<T> const& a, std::size_t& bad) {
    std::size_t const n = a.shape()[0];
    xt::xarray<T> l = xt::zeros<T>(a.shape());
    bad = 0;
    if (n == 0) {
        return l;
    }
    if constexpr (lapack_type<T>) {
        using I = xt::blas_index_t;
        std::vector<T> c(n * n); // column-major: its lower triangle is A's
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j <= i; ++j) {
                c[i + j * n] = a.data()[i * n + j];
            }
        }
        I const in = static_cast<I>(n);
        I const info = cxxlapack::potrf<I>('L', in, c.data(), in);
        if (info != 0) {
            bad = static_cast<std::size_t>(info);
            return l;
        }
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j <= i; ++j) {
                l(i, j) = c[i + j * n];
            }
        }
    } else {
        using std::sqrt;
        for (std::size_t j = 0; j < n; ++j) {
            T d = a(j, j);
            for (std::size_t k = 0; k < j; ++k) {
                d -= l(j, k) * l(j, k);
            }
            if (!(d > T(0))) {
                bad = j + 1;
                return l;
            }
            l(j, j) = sqrt(d);
            for (std::size_t i = j + 1; i < n; ++i) {
                T v = a(i, j);
                for (std::size_t k = 0; k < j; ++k) {
                    v -= l(i, k) * l(j, k);
                }
                l(i, j) = v / l(j, j);
            }
        }
    }
    return l;
}

/// L⁻¹ B for a lower triangular L (n × n) and B n × k, row-major: forward substitution.
template <class T>
xt::xarray<T> lower_solve(xt::xarray<T> const& l, xt::xarray<T> b) {
    std::size_t const n = l.shape()[0];
    std::size_t const k = b.size() / std::max<std::size_t>(n, 1);
    for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t i = 0; i < n; ++i) {
            T v = b.data()[i * k + c];
            for (std::size_t j = 0; j < i; ++j) {
                v -= l(i, j) * b.data()[j * k + c];
            }
            b.data()[i * k + c] = v / l(i, i);
        }
    }
    return b;
}

/// "(2, 3)" is not square: an xtad::error naming the op.
inline void check_square(char const* op, shape_t const& s) {
    if (s.size() != 2 || s[0] != s[1]) {
        throw error(std::string("xtad::") + op + ": needs a square matrix, not a tensor of shape "
                    + shape_str(s));
    }
}

/// The shape of a number of a square matrix (det, log |det|, the sign of det), or an xtad::error.
inline shape_t scalar_of_square(char const* op, shape_t const& a) {
    check_square(op, a);
    return {};
}

} // namespace detail

/// The LU factorisation of a square matrix (detail::lu_packed), the state the decompositions
/// share: computed once per evaluation as a node of its own, an operand of each op that reads it.
/// It is not differentiated: the ops that read it have the matrix as an operand as well, and
/// their rules differentiate through that.
struct lu_op : tensor_op<"lu", "LinalgLuFactorExBackward0"> {
    char const* caller = "solve"; // the public op whose matrix it is, for messages
    bool singular_ok = false;     // det of a singular matrix is 0; inv and solve have none

    bool operator==(lu_op const&) const = default;

    shape_t shape(shape_t const& a) const {
        detail::check_square(caller, a);
        return {a[0] + 1, a[0]};
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        std::size_t zero = 0;
        xt::xarray<T> f = detail::lu_packed(a, zero);
        if (zero && !singular_ok) {
            throw error(std::string("xtad::") + caller + ": the matrix is singular: pivot U["
                        + std::to_string(zero - 1) + ", " + std::to_string(zero - 1)
                        + "] of its LU factorisation is exactly zero (LAPACK getrf info = "
                        + std::to_string(zero) + ")");
        }
        return f;
    }
    template <class G, class Y, class A>
    zero_t vjp(G const&, Y const&, A const&) const {
        return {};
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const&, xt::xarray<T> const&) const {
        return xt::zeros<T>(y.shape());
    }
};

namespace detail {

/// `a` as a node, with the node of its factorisation beside it: what inv, solve and det build on.
template <class E>
auto with_lu(char const* op, bool singular_ok, E&& a) {
    auto n = as_node(std::forward<E>(a));
    check_square(op, n.shape());
    auto f = make_tensor(lu_op{{}, op, singular_ok}, n);
    return std::pair{std::move(n), std::move(f)};
}

/// `e` as an (n, k) matrix: a vector as a column.
template <class E>
auto as_columns(E const& e, std::size_t n) {
    return reshape(e, {static_cast<std::ptrdiff_t>(n), -1});
}

} // namespace detail

/// What the ops that read a factorisation share: their operands are the matrix, printed, and
/// its factorisation (an lu_op node), not printed.
template <fixed_string Name, fixed_string GradFn>
struct reads_lu : tensor_op<Name, GradFn> {
    static constexpr std::size_t shown = 1;
};

/// op(A)⁻¹ B (torch.linalg.solve), op(A) = A, or Aᵀ where `trans`; B a vector or a matrix of
/// right-hand sides. The operands are A, B and A's factorisation (not printed).
struct solve_op : tensor_op<"solve", "LinalgSolveExBackward0"> {
    static constexpr std::size_t shown = 2;
    bool trans = false;

    bool operator==(solve_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const& b, shape_t const&) const {
        detail::check_square("solve", a);
        if (b.empty() || b.size() > 2 || b[0] != a[0]) {
            throw error("xtad::solve: the right-hand side has shape " + detail::shape_str(b)
                        + " but the matrix has shape " + detail::shape_str(a) + "; it needs "
                        + std::to_string(a[0]) + " rows");
        }
        return b;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& b,
                        xt::xarray<T> const& f) const {
        return detail::with_factors(a, f,
                                    [&](auto const& lu) { return detail::lu_solve(lu, trans, b); });
    }
    // X = op(A)⁻¹ B, G its adjoint: dB = op(A)⁻ᵀ G (a solve with the same factorisation), and
    // dA = −dB Xᵀ (−X dBᵀ where op(A) = Aᵀ), B's vectors taken as columns.
    template <class G, class Y, class A, class B, class F>
    auto vjp(G const& g, Y const& y, A const& a, B const&, F const& f) const {
        auto db = detail::make_tensor(solve_op{{}, !trans}, a, g, f);
        std::size_t const n = a.shape()[0];
        matmul_op outer; // dB Xᵀ, stored transposed where op(A) = Aᵀ: BLAS's transposes
        outer.b.t = true;
        outer.c.t = trans;
        auto da = -detail::make_tensor(outer, detail::as_columns(db, n), detail::as_columns(y, n));
        return std::tuple{std::move(da), std::move(db), zero_t{}};
    }
    // dX = op(A)⁻¹ (dB − op(dA) X)
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const& a, xt::xarray<T> const&,
                      xt::xarray<T> const& f, xt::xarray<T> const& da, xt::xarray<T> const& db,
                      xt::xarray<T> const&) const {
        std::size_t const n = f.shape()[1];
        std::size_t const k = y.dimension() == 1 ? 1 : y.shape()[1];
        xt::xarray<T> r(y.shape());
        detail::gemm(trans, false, n, k, n, da.data(), y.data(), r.data());
        r = db - r;
        return detail::with_factors(a, f,
                                    [&](auto const& lu) { return detail::lu_solve(lu, trans, r); });
    }
};

/// A⁻¹ (torch.linalg.inv).
struct inv_op : reads_lu<"inv", "LinalgInvExBackward0"> {

    bool operator==(inv_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const&) const {
        detail::check_square("inv", a);
        return a;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& f) const {
        return detail::with_factors(a, f,
                                    [](auto const& lu) { return detail::lu_inverse(lu, false); });
    }
    // Y = A⁻¹: dA = −Yᵀ G Yᵀ, products of the value (no second factorisation)
    template <class G, class Y, class A, class F>
    auto vjp(G const& g, Y const& y, A const&, F const&) const {
        auto const yt = transpose(y);
        return std::tuple{-matmul(yt, matmul(g, yt)), zero_t{}};
    }
    // dY = −Y dA Y
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const&, xt::xarray<T> const&,
                      xt::xarray<T> const& da, xt::xarray<T> const&) const {
        std::size_t const n = y.shape()[0];
        xt::xarray<T> t(y.shape());
        xt::xarray<T> out(y.shape());
        detail::gemm(false, false, n, n, n, da.data(), y.data(), t.data());
        detail::gemm(false, false, n, n, n, y.data(), t.data(), out.data());
        return -out;
    }
};

/// The cofactor matrix of A, d det A / dA (detail::cofactors): det's adjoint, exact also where
/// A is singular.
struct cofactor_op : reads_lu<"cofactor", "LinalgDetBackwardBackward0"> {

    bool operator==(cofactor_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const&) const { return a; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& f) const {
        return detail::with_factors(a, f, [&](auto const& lu) { return detail::cofactors(a, lu); });
    }
    // C = det A · A⁻ᵀ: dC = (⟨C, dA⟩ C − C dAᵀ C) / det A, so dA = (⟨G, C⟩ C − C Gᵀ C) / det A.
    // Where A is singular these divide by zero: the second derivatives of det there are NaN.
    template <class G, class Y, class A, class F>
    auto vjp(G const& g, Y const& y, A const& a, F const& f) const;
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const& a, xt::xarray<T> const& f,
                      xt::xarray<T> const& da, xt::xarray<T> const&) const {
        std::size_t const n = y.shape()[0];
        T const inner = xt::sum(y * da)();
        xt::xarray<T> t(y.shape());
        xt::xarray<T> out(y.shape());
        detail::gemm(false, true, n, n, n, y.data(), da.data(), t.data()); // C dAᵀ
        detail::gemm(false, false, n, n, n, t.data(), y.data(), out.data());
        return (inner * y - out)
               / detail::with_factors(a, f, [](auto const& lu) { return detail::lu_det(lu); });
    }
};

/// det A (torch.linalg.det), from A's LU factorisation; 0 where A is singular, with the exact
/// cofactor matrix as its gradient there.
struct det_op : reads_lu<"det", "LinalgDetBackward0"> {

    bool operator==(det_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const&) const {
        return detail::scalar_of_square("det", a);
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& f) const {
        return detail::with_factors(
            a, f, [](auto const& lu) { return xt::xarray<T>(detail::lu_det(lu)); });
    }
    // d det A / dA = the cofactor matrix
    template <class G, class Y, class A, class F>
    auto vjp(G const& g, Y const&, A const& a, F const& f) const {
        return std::tuple{g * detail::make_tensor(cofactor_op{}, a, f), zero_t{}};
    }
    // d det A = ⟨C, dA⟩
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const& a, xt::xarray<T> const& f,
                      xt::xarray<T> const& da, xt::xarray<T> const&) const {
        return detail::with_factors(a, f, [&](auto const& lu) {
            return xt::xarray<T>(xt::sum(detail::cofactors(a, lu) * da)());
        });
    }
};

template <class G, class Y, class A, class F>
auto cofactor_op::vjp(G const& g, Y const& y, A const& a, F const& f) const {
    auto const d = detail::make_tensor(det_op{}, a, f);
    return std::tuple{(sum(g * y) * y - matmul(y, matmul(transpose(g), y))) / d, zero_t{}};
}

/// log |det A|, the second result of torch.linalg.slogdet, from A's LU factorisation: the sum of
/// log |U[k, k]|, which neither overflows nor underflows where det A would.
struct logabsdet_op : reads_lu<"logabsdet", "LinalgSlogdetBackward0"> {

    bool operator==(logabsdet_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const&) const {
        return detail::scalar_of_square("slogdet", a);
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& f) const {
        return detail::with_factors(a, f, [](auto const& lu) {
            using std::abs, std::log;
            std::size_t const n = lu.shape()[1];
            T s(0);
            for (std::size_t k = 0; k < n; ++k) {
                s += log(abs(lu.data()[k + k * n]));
            }
            return xt::xarray<T>(s);
        });
    }
    // d log |det A| / dA = A⁻ᵀ: an inverse from the same factorisation
    template <class G, class Y, class A, class F>
    auto vjp(G const& g, Y const&, A const& a, F const& f) const {
        return std::tuple{g * transpose(detail::make_tensor(inv_op{}, a, f)), zero_t{}};
    }
    // d log |det A| = ⟨A⁻ᵀ, dA⟩
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const& a, xt::xarray<T> const& f,
                      xt::xarray<T> const& da, xt::xarray<T> const&) const {
        return detail::with_factors(a, f, [&](auto const& lu) {
            return xt::xarray<T>(xt::sum(detail::lu_inverse(lu, true) * da)());
        });
    }
};

/// The sign of det A (−1, 0 or 1), the first result of torch.linalg.slogdet: piecewise constant,
/// its gradient 0.
struct det_sign_op : reads_lu<"sign_det", "LinalgSlogdetBackward0"> {

    bool operator==(det_sign_op const&) const = default;

    shape_t shape(shape_t const& a, shape_t const&) const {
        return detail::scalar_of_square("slogdet", a);
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& f) const {
        return detail::with_factors(a, f, [](auto const& lu) {
            T const d = detail::lu_det(lu);
            return xt::xarray<T>(d > T(0) ? T(1) : d < T(0) ? T(-1) : T(0));
        });
    }
    template <class G, class Y, class A, class F>
    std::tuple<zero_t, zero_t> vjp(G const&, Y const&, A const&, F const&) const {
        return {};
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const&, xt::xarray<T> const&,
                      xt::xarray<T> const&, xt::xarray<T> const&) const {
        return xt::zeros<T>(y.shape());
    }
};

/// The lower Cholesky factor L of a symmetric positive definite A, A = L Lᵀ
/// (torch.linalg.cholesky): A's lower triangle is read, and A is taken as symmetric in the
/// derivatives, as torch takes it: the gradient is symmetric, and a tangent dA counts as
/// (dA + dAᵀ) / 2.
struct cholesky_op : tensor_op<"cholesky", "LinalgCholeskyExBackward0"> {
    bool operator==(cholesky_op const&) const = default;

    shape_t shape(shape_t const& a) const {
        detail::check_square("cholesky", a);
        return a;
    }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a) const {
        std::size_t bad = 0;
        xt::xarray<T> l = detail::cholesky_lower(a, bad);
        if (bad) {
            throw error("xtad::cholesky: the matrix is not positive definite: its leading minor "
                        "of order "
                        + std::to_string(bad)
                        + " is not positive (LAPACK potrf info = " + std::to_string(bad) + ")");
        }
        return l;
    }
    // With S = sym(Φ(Lᵀ G)), Φ the lower triangle with its diagonal halved and sym(X) = (X + Xᵀ)/2:
    // dA = L⁻ᵀ S L⁻¹, two solves with Lᵀ from one factorisation of it. Expressions, so that the
    // second derivatives differentiate them again.
    template <class G, class Y, class A>
    auto vjp(G const& g, Y const& y, A const&) const {
        using V = typename Y::value_type;
        std::size_t const n = y.shape()[0];
        xt::xarray<V> w = xt::zeros<V>(shape_t{n, n}); // Φ's weights
        for (std::size_t i = 0; i < n; ++i) {
            w(i, i) = V(0.5);
            for (std::size_t j = 0; j < i; ++j) {
                w(i, j) = V(1);
            }
        }
        auto const p = matmul(transpose(y), g) * std::move(w);
        auto const sym = (p + transpose(p)) * 0.5;
        auto [lt, f] = detail::with_lu("cholesky", false, transpose(y));
        auto const left = detail::make_tensor(solve_op{}, lt, sym, f);             // L⁻ᵀ S
        return transpose(detail::make_tensor(solve_op{}, lt, transpose(left), f)); // (L⁻ᵀ Sᵀ L⁻¹)ᵀ
    }
    // dL = L Φ(L⁻¹ sym(dA) L⁻ᵀ)
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const& y, xt::xarray<T> const&, xt::xarray<T> const& da) const {
        std::size_t const n = y.shape()[0];
        xt::xarray<T> const ds = (da + xt::transpose(da)) * T(0.5);
        xt::xarray<T> const m1 = detail::lower_solve(y, ds); // L⁻¹ dA
        xt::xarray<T> m1t = xt::transpose(m1);
        xt::xarray<T> m = xt::transpose(detail::lower_solve(y, std::move(m1t))); // L⁻¹ dA L⁻ᵀ
        for (std::size_t i = 0; i < n; ++i) {
            m(i, i) *= T(0.5);
            for (std::size_t j = i + 1; j < n; ++j) {
                m(i, j) = T(0);
            }
        }
        xt::xarray<T> out(y.shape());
        detail::gemm(false, false, n, n, n, y.data(), m.data(), out.data());
        return out;
    }
};

/// A⁻¹ (torch.linalg.inv, torch.inverse), through A's LU factorisation; an xtad::error naming the
/// zero pivot where A is singular. Its adjoint is products of the inverse (−A⁻ᵀ G A⁻ᵀ).
template <Expression E>
auto inv(E&& a) {
    auto [m, f] = detail::with_lu("inv", false, std::forward<E>(a));
    return detail::make_tensor(inv_op{}, std::move(m), std::move(f));
}

/// A⁻¹ B (torch.linalg.solve) for a square A and B a vector or a matrix of right-hand sides,
/// through one LU factorisation of A, which the adjoint's solve with Aᵀ and the forward rule
/// reuse; an xtad::error naming the zero pivot where A is singular.
template <class A, class B>
requires(Expression<A> || Expression<B>) && Operand<A>&& Operand<B> auto solve(A&& a, B&& b) {
    auto [m, f] = detail::with_lu("solve", false, std::forward<A>(a));
    return detail::make_tensor(solve_op{}, std::move(m), std::forward<B>(b), std::move(f));
}

/// det A (torch.linalg.det), through A's LU factorisation: 0 where A is singular, and its
/// gradient the cofactor matrix, also there (torch 1.13 gives zeros at a singular matrix).
template <Expression E>
auto det(E&& a) {
    auto [m, f] = detail::with_lu("det", true, std::forward<E>(a));
    return detail::make_tensor(det_op{}, std::move(m), std::move(f));
}

/// The lower Cholesky factor of a symmetric positive definite matrix, A = L Lᵀ
/// (torch.linalg.cholesky): A's lower triangle is read; an xtad::error names the leading minor
/// that is not positive. Its gradient is symmetric, as torch's.
template <Expression E>
auto cholesky(E&& a) {
    auto n = detail::as_node(std::forward<E>(a));
    detail::check_square("cholesky", n.shape());
    return detail::make_tensor(cholesky_op{}, std::move(n));
}

/// (sign det A, log |det A|) (torch.linalg.slogdet), both from one LU factorisation of A: the
/// sign has the gradient 0, log |det A| the gradient A⁻ᵀ. A singular A has the sign 0 and
/// log |det A| = −inf.
template <Expression E>
auto slogdet(E&& a) {
    auto [m, f] = detail::with_lu("slogdet", true, std::forward<E>(a));
    return std::pair{detail::make_tensor(det_sign_op{}, m, f),
                     detail::make_tensor(logabsdet_op{}, std::move(m), std::move(f))};
}

} // namespace xtad
