// jacfwd, jacrev, jacobian, jvp, vjp: the notebook's Jacobian cells, and all routes agreeing.
#include <xtad/functional.hpp>

#include <doctest/doctest.h>

#include <random>

using namespace xtad;

namespace {

/// The notebook's function: z = [x0^2 + x1^3, x0^3 + x1^2].
auto const notebook = [](auto const& x) {
    return stack(pow<2>(x(0)) + pow<3>(x(1)), pow<3>(x(0)) + pow<2>(x(1)));
};

void check_close(xt::xarray<double> const& got, xt::xarray<double> const& want, double tol) {
    REQUIRE(got.shape() == want.shape());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(std::abs(got.flat(i) - want.flat(i)) <= tol * (1 + std::abs(want.flat(i))));
    }
}

} // namespace

TEST_CASE("the notebook: z = [9, 5] and J = [[2, 12], [3, 4]] at x = [1, 2], every way") {
    xt::xarray<double> const x0 = {1., 2.};
    xt::xarray<double> const J = {{2., 12.}, {3., 4.}};
    auto x = var<"x">(x0);
    auto z = notebook(x);
    CHECK(eval(z) == xt::xarray<double>{9., 5.});
    // The notebook's loop: row i of J is the gradient of z[i].
    xt::xarray<double> loop = xt::zeros<double>({2, 2});
    for (std::size_t i = 0; i < 2; ++i) {
        xt::view(loop, i) = std::get<0>(grad(index(z, i), wrt(x)));
    }
    CHECK(loop == J);
    CHECK(jacfwd(notebook, at(x0)) == J);
    CHECK(jacfwd<1>(notebook, at(x0)) == J);
    CHECK(jacrev(notebook, at(x0)) == J);
    CHECK(jacobian(notebook, at(x0)) == J);
    auto [y, t] = jvp(notebook, at(x0), xt::xarray<double>{1., 0.5});
    CHECK(y == xt::xarray<double>{9., 5.});
    CHECK(t == xt::xarray<double>{8., 5.});
    auto [y2, u] = vjp(notebook, at(x0), xt::xarray<double>{1., 0.5});
    CHECK(y2 == xt::xarray<double>{9., 5.});
    CHECK(u == xt::xarray<double>{3.5, 14.});
}

TEST_CASE("Jacobians have shape out.shape + in.shape, and one block per input") {
    auto const f = [](auto const& a, auto const& b) { return sin(a) * b + sum(a * a); };
    xt::xarray<double> const a0 = {{0.3, 0.7, 1.1}, {-0.2, 0.4, 0.9}};
    xt::xarray<double> const b0 = {2., -1., 0.5};
    auto [fa, fb] = jacfwd(f, at(a0, b0));
    auto [ra, rb] = jacrev(f, at(a0, b0));
    auto [ja, jb] = jacobian(f, at(a0, b0));
    CHECK(fa.shape() == std::vector<std::size_t>{2, 3, 2, 3});
    CHECK(fb.shape() == std::vector<std::size_t>{2, 3, 3});
    check_close(fa, ra, 1e-12);
    check_close(fb, rb, 1e-12);
    check_close(ja, ra, 1e-12);
    check_close(jb, rb, 1e-12);
    // d out[i, j] / d b[k] = sin(a[i, j]) [j == k]
    CHECK(fb(1, 2, 2) == doctest::Approx(std::sin(0.9)));
    CHECK(fb(1, 2, 1) == 0.);
}

TEST_CASE("random smooth functions R^n -> R^m: forward, reverse, jacobian and the loop agree") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (std::size_t n : {1u, 3u, 10u}) {
        for (std::size_t m : {1u, 4u, 12u}) {
            xt::xarray<double> A(std::vector<std::size_t>{m, n});
            for (auto& v : A) {
                v = u(rng);
            }
            xt::xarray<double> x0(std::vector<std::size_t>{n});
            for (auto& v : x0) {
                v = u(rng);
            }
            // f(x) = tanh(A sin(x) broadcast) summed per row, plus a coupling through sum(x^2).
            auto const f = [&](auto const& x) {
                return sum(tanh(A * sin(x)) * exp(-0.5 * x), {1}) + sqrt(sum(x * x) + 1.0);
            };
            auto const J_rev = jacrev(f, at(x0));
            INFO("n = " << n << ", m = " << m);
            check_close(jacfwd(f, at(x0)), J_rev, 1e-12);
            check_close(jacfwd<4>(f, at(x0)), J_rev, 1e-12);
            check_close(jacobian(f, at(x0)), J_rev, 1e-12);
            auto x = var<"x">(x0);
            auto y = f(x);
            for (std::size_t i = 0; i < m; ++i) {
                auto [row] = grad(index(y, i), wrt(x));
                for (std::size_t j = 0; j < n; ++j) {
                    CHECK(std::abs(row(j) - J_rev(i, j)) <= 1e-12 * (1 + std::abs(J_rev(i, j))));
                }
            }
        }
    }
}

TEST_CASE("bad input: a tangent of the wrong shape") {
    xt::xarray<double> const x0 = {1., 2.};
    CHECK_THROWS_WITH_AS(jvp(notebook, at(x0), xt::xarray<double>{1., 2., 3.}),
                         "xtad::jvp: the tangent has shape (3,) but the input has shape (2,)",
                         xtad::error);
    CHECK_THROWS_WITH_AS(
        vjp(notebook, at(x0), xt::xarray<double>{1.}),
        "xtad::vjp: the cotangent has shape (1,) but the function's output has shape (2,)",
        xtad::error);
    CHECK_THROWS_WITH_AS(jacrev([](auto const& x) { return x(2); }, at(x0)),
                         "xtad::index: index (2) is out of range for a tensor of shape (2,)",
                         xtad::error);
}

TEST_CASE("jacobian() picks forward mode for few inputs, reverse mode for few outputs") {
    // The cost model is fitted to bench/fwd_vs_rev.cpp; these are the clear cases of that grid.
    CHECK(detail::forward_is_cheaper(2, 2));
    CHECK(detail::forward_is_cheaper(1, 1000));
    CHECK(detail::forward_is_cheaper(10, 100));
    CHECK(detail::forward_is_cheaper(100, 100));
    CHECK_FALSE(detail::forward_is_cheaper(100, 1));
    CHECK_FALSE(detail::forward_is_cheaper(100, 10));
    CHECK_FALSE(detail::forward_is_cheaper(1000, 100));
}

TEST_CASE("an input the function ignores has a zero block, in every mode") {
    auto const g = [](auto const& a, auto const&) { return sin(a); };
    xt::xarray<double> const a0 = {1., 2.};
    xt::xarray<double> const b0 = {3.};
    auto [fa, fb] = jacfwd(g, at(a0, b0));
    auto [ra, rb] = jacrev(g, at(a0, b0));
    CHECK(fb == xt::zeros<double>({2, 1}));
    CHECK(rb == xt::zeros<double>({2, 1}));
    check_close(fa, ra, 1e-15);
}
