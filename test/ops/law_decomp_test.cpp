// inv, solve, det, slogdet and cholesky through the shared law checker, in double and float, to
// second order (forward over forward, which runs the factorisation's plain loop on dual numbers,
// included), at random well-conditioned matrices of sizes 1, 2 and 5; their values against closed
// forms, det's exact cofactor gradient at singular matrices, one factorisation per matrix, their
// errors and printed forms. Their values and Jacobians against PyTorch are in
// test/functional/torch_jacobian_test.cpp.
#include "support/error_of.hpp"
#include "support/law.hpp"
#include "support/printed.hpp"

#include <xtad/io.hpp>
#include <xtad/ops.hpp>

#include <set>
#include <string>
#include <vector>

using namespace xtad;

namespace {

/// A random n × n matrix, made well-conditioned by adding n to its diagonal.
xt::xarray<double> regular(std::size_t n, std::mt19937& rng) {
    xt::xarray<double> a = law::draw({n, n}, {}, rng);
    for (std::size_t i = 0; i < n; ++i) {
        a(i, i) += static_cast<double>(n) + 1.;
    }
    return a;
}

template <class F>
void law_matrix(std::string const& name, F const& f) {
    std::mt19937 rng(2026);
    for (std::size_t n : {1, 2, 5}) {
        auto const a = regular(n, rng);
        std::string const what = name + " n = " + std::to_string(n);
        law::check_at<double>(what + " (double)", f, a);
        law::check_at<float>(what + " (float)", f, a);
    }
}

/// f(A, B) at a random regular A (n × n) and B of shape (n) and (n, 2).
template <class F>
void law_system(std::string const& name, F const& f) {
    std::mt19937 rng(7);
    for (std::size_t n : {1, 2, 5}) {
        auto const a = regular(n, rng);
        for (shape_t const& sb : {shape_t{n}, shape_t{n, 2}}) {
            auto const b = law::draw(sb, {}, rng);
            std::string const what =
                name + " " + detail::shape_str(a.shape()) + " and " + detail::shape_str(sb);
            law::check_at<double>(what + " (double)", f, a, b);
            law::check_at<float>(what + " (float)", f, a, b);
        }
    }
}

/// The number of distinct factorisations (lu nodes with their own cache) in `e`.
template <class E>
std::size_t factorisations(E const& e) {
    std::set<void const*> slots;
    for_each_node(e, [&](auto const& node) {
        using N = std::remove_cvref_t<decltype(node)>;
        if constexpr (requires { node.operands; }) {
            if constexpr (std::is_same_v<typename N::op_type, lu_op>) {
                slots.insert(node.cache.identity());
            }
        }
    });
    return slots.size();
}

} // namespace

TEST_CASE("law: inv") {
    law_matrix("inv(a)", [](auto const& a) { return inv(a); });
    law_matrix("inv(a) * a", [](auto const& a) { return sum(inv(a) * a, {0}); });
}

TEST_CASE("law: solve") {
    law_system("solve(a, b)", [](auto const& a, auto const& b) { return solve(a, b); });
    law_system("solve(a, b) * b",
               [](auto const& a, auto const& b) { return solve(a, sin(b)) * b; });
}

TEST_CASE("law: det") {
    law_matrix("det(a)", [](auto const& a) { return det(a); });
    law_matrix("det(sin(a)) * sum(a)", [](auto const& a) { return det(sin(a)) * sum(a); });
}

TEST_CASE("law: slogdet") {
    law_matrix("slogdet(a)", [](auto const& a) { return slogdet(a).second; });
    law_matrix("sign * exp(logabsdet)", [](auto const& a) {
        auto [sign, logabs] = slogdet(sin(a));
        return sign * exp(logabs);
    });
}

TEST_CASE("law: cholesky") {
    // of a symmetric positive definite matrix made from a: the derivatives in a are those of a
    // function of all of a's elements, whatever convention holds for a matrix that is not
    // symmetric
    law_matrix("cholesky(a aᵀ + I)", [](auto const& a) {
        std::size_t const n = a.shape()[0];
        return cholesky(matmul(a, transpose(a)) + xt::eye<double>(n));
    });
}

TEST_CASE("inv, solve and det: values as closed forms, the notebook's residual") {
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = var<"b">(xt::xarray<double>{1., 1.});
    CHECK(xt::allclose(eval(inv(a)), xt::xarray<double>{{-2., 1.}, {1.5, -0.5}}));
    CHECK(xt::allclose(eval(solve(a, b)), xt::xarray<double>{-1., 1.}));
    CHECK(xt::allclose(eval(det(a)), xt::xarray<double>(-2.)));
    // The notebook's check A x − b, with x = solve(A, b): zero, and so is its gradient in b.
    auto const r = matmul(a, solve(a, b)) - b;
    CHECK(xt::allclose(eval(r), xt::xarray<double>{0., 0.}));
    auto [ga, gb] = grad(sum(r), wrt(a, b));
    CHECK(xt::allclose(ga, xt::zeros<double>({2, 2}), 0., 1e-15));
    CHECK(xt::allclose(gb, xt::zeros<double>({2}), 0., 1e-15));
    // d det / dA = det · A⁻ᵀ, the cofactors
    auto [gd] = grad(det(a), wrt(a));
    CHECK(xt::allclose(gd, xt::xarray<double>{{4., -3.}, {-2., 1.}}));
    auto [sign, logabs] = slogdet(a);
    CHECK(eval(sign) == xt::xarray<double>(-1.));
    CHECK(xt::allclose(eval(logabs), xt::xarray<double>(std::log(2.))));
    auto [gl] = grad(logabs, wrt(a));
    CHECK(xt::allclose(gl, xt::xarray<double>{{-2., 1.5}, {1., -0.5}})); // A⁻ᵀ
    auto s = var<"S">(xt::xarray<double>{{4., 2.}, {2., 5.}});
    CHECK(xt::allclose(eval(cholesky(s)), xt::xarray<double>{{2., 0.}, {1., 2.}}));
    // the gradient is symmetric, as torch's (torch 1.13's d sum(L) / dS at this S)
    auto [gs] = grad(sum(cholesky(s)), wrt(s));
    CHECK(xt::allclose(gs, xt::xarray<double>{{0.1875, 0.125}, {0.125, 0.25}}));
    // an empty matrix: det 1, as torch
    auto e = var<"E">(xt::xarray<double>(xt::zeros<double>({0, 0})));
    CHECK(eval(det(e)) == xt::xarray<double>(1.));
}

TEST_CASE("det at a singular matrix: 0, and its gradient the exact cofactor matrix") {
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {2., 4.}});
    CHECK(eval(det(a)) == xt::xarray<double>(0.));
    auto [g] = grad(det(a), wrt(a));
    CHECK(xt::allclose(g, xt::xarray<double>{{4., -2.}, {-2., 1.}}, 1e-14, 1e-14));
    auto const fwd = jacfwd([](auto const& m) { return det(m); }, at(a.value()));
    CHECK(xt::allclose(xt::reshape_view(fwd, {2, 2}), g, 1e-14, 1e-14));
    // Rank 1 of 3: every 2 × 2 minor is zero, and so is the gradient.
    auto c = var<"C">(xt::xarray<double>{{1., 2., 3.}, {2., 4., 6.}, {-1., -2., -3.}});
    auto [gc] = grad(det(c), wrt(c));
    CHECK(xt::allclose(gc, xt::zeros<double>({3, 3}), 0., 1e-12));
    // Rank 2 of 3: the cofactors of the minors that are not zero.
    auto s = var<"S">(xt::xarray<double>{{2., 0., 1.}, {1., 3., 2.}, {3., 3., 3.}});
    auto [gs] = grad(det(s), wrt(s));
    xt::xarray<double> const cof = {{3., 3., -6.}, {3., 3., -6.}, {-3., -3., 6.}};
    CHECK(xt::allclose(gs, cof, 1e-12, 1e-12));
}

TEST_CASE("a matrix is factorised once: the adjoint and the value read one factorisation") {
    auto a = var<"A">(xt::xarray<double>{{3., 1.}, {1., 2.}});
    auto b = var<"b">(xt::xarray<double>{1., 2.});
    CHECK(factorisations(solve(a, b)) == 1);
    CHECK(factorisations(derivative(sum(solve(a, b) * 2.), wrt(a))) == 1);
    CHECK(factorisations(derivative(det(a), wrt(a))) == 1);
    CHECK(factorisations(derivative(sum(inv(a)), wrt(a))) == 1);
}

TEST_CASE("inv, solve and det: errors name the op, the shapes and the zero pivot") {
    auto a = var<"A">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto s = var<"S">(xt::xarray<double>{{1., 2.}, {2., 4.}});
    auto b = var<"b">(xt::xarray<double>{1., 2., 3.});
    CHECK(error_of([&] { (void)inv(a); })
          == "xtad::inv: needs a square matrix, not a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)det(b); })
          == "xtad::det: needs a square matrix, not a tensor of shape (3,)");
    CHECK(error_of([&] { (void)solve(s, b); })
          == "xtad::solve: the right-hand side has shape (3,) but the matrix has shape (2, 2); it "
             "needs 2 rows");
    CHECK(error_of([&] { (void)eval(inv(s)); })
          == "xtad::inv: the matrix is singular: pivot U[1, 1] of its LU factorisation is "
             "exactly zero (LAPACK getrf info = 2)");
    CHECK(error_of([&] { (void)eval(cholesky(s)); })
          == "xtad::cholesky: the matrix is not positive definite: its leading minor of order 2 "
             "is not positive (LAPACK potrf info = 2)");
    auto c = var<"c">(xt::xarray<double>{1., 2.});
    CHECK(error_of([&] { (void)eval(solve(s, c)); })
          == "xtad::solve: the matrix is singular: pivot U[1, 1] of its LU factorisation is "
             "exactly zero (LAPACK getrf info = 2)");
}

TEST_CASE("inv, solve and det print as torch names them") {
    auto a = var<"A">(xt::xarray<double>{{2., 0.}, {0., 4.}});
    auto b = var<"b">(xt::xarray<double>{1., 2.});
    CHECK(printed(inv(a))
          == "tensor([[0.5000, 0.0000],\n        [0.0000, 0.2500]], "
             "grad_fn=<LinalgInvExBackward0>)");
    CHECK(printed(solve(a, b)) == "tensor([0.5000, 0.5000], grad_fn=<LinalgSolveExBackward0>)");
    CHECK(printed(det(a)) == "tensor(8., grad_fn=<LinalgDetBackward0>)");
    CHECK(printed(cholesky(a))
          == "tensor([[1.4142, 0.0000],\n        [0.0000, 2.0000]], "
             "grad_fn=<LinalgCholeskyExBackward0>)");
    CHECK(printed(slogdet(a).second) == "tensor(2.0794, grad_fn=<LinalgSlogdetBackward0>)");
    CHECK(to_string(solve(a, b) * det(a)) == "solve(A, b)*det(A)");
    CHECK(to_latex(inv(a)) == "\\operatorname{inv}\\left(A\\right)");
}
