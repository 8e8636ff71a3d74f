// Loops (issue 16): fori_loop, while_loop and scan against PyTorch 1.13 running the same loops
// eagerly (scripts/gen_loop_refs.py writes loop_refs.inc): values, gradients, Jacobians by both
// modes, Hessians by the forward routes.
#include "loops/loops.hpp"

#include <string>

using namespace xtad;
using namespace loops_test;

TEST_CASE("fori_loop: explicit Euler over 1000 steps, value and gradients as torch's") {
    namespace r = loop_refs::euler;
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto xT = euler(x0, k);
    auto const loss = sum(xT * xT);
    check_close(eval(xT), ref(r::x_final, {3}));
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [gx, gk] = grad(loss, wrt(x0, k));
    check_close(gx, ref(r::grad_x0, {3}));
    check_close(gk, xt::xarray<double>(r::grad_k));

    // backward() accumulates into the leaves the body captured, as torch's.
    backward(loss);
    check_close(x0.grad(), ref(r::grad_x0, {3}));
    check_close(k.grad(), xt::xarray<double>(r::grad_k));
}

TEST_CASE("fori_loop: Jacobians by both modes and the Hessian by every forward route") {
    namespace r = loop_refs::euler;
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto last = [&](auto const& x) { return euler(x, k); };
    auto loss = [&](auto const& x) { return sum(pow<2>(euler(x, k))); };
    check_close(jacfwd(last, at(euler_x0)), ref(r::jac_x0, {3, 3}));
    check_close(jacrev(last, at(euler_x0)), ref(r::jac_x0, {3, 3}));
    check_close(hessian(loss, at(euler_x0)), ref(r::hess_x0, {3, 3}));
    check_close(hessian<route::forward_over_forward>(loss, at(euler_x0)), ref(r::hess_x0, {3, 3}));
    xt::xarray<double> const v{0.3, -1.0, 2.0};
    check_close(std::get<1>(hvp(loss, at(euler_x0), v)),
                xt::linalg::dot(ref(r::hess_x0, {3, 3}), v));
    auto [value, tangent] = jvp(last, at(euler_x0), v);
    check_close(value, ref(r::x_final, {3}));
    check_close(tangent, xt::linalg::dot(ref(r::jac_x0, {3, 3}), v));
}

TEST_CASE("fori_loop: the step index enters the body as a number") {
    namespace r = loop_refs::forcing;
    auto x0 = var<"x0">(xt::xarray<double>{0.3, -0.4});
    auto k = var<"k">(xt::xarray<double>(1.3));
    auto xT = fori_loop(
        0, 500,
        [&](auto const& x, std::size_t i) {
            return x + 0.01 * (-k * x + std::cos(0.05 * static_cast<double>(i)));
        },
        x0);
    auto const loss = sum(pow<3>(xT));
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [gx, gk] = grad(loss, wrt(x0, k));
    check_close(gx, ref(r::grad_x0, {2}));
    check_close(gk, xt::xarray<double>(r::grad_k));
}

TEST_CASE("fori_loop: a damped pendulum by RK4 steps") {
    namespace r = loop_refs::pendulum;
    auto s0 = var<"s0">(xt::xarray<double>{1.0, 0.0});
    auto c = var<"c">(xt::xarray<double>(0.3));
    auto w2 = var<"w2">(xt::xarray<double>(4.0));
    double const h = 0.05;
    // f(s) = (ω, −w2 sin θ − c ω).
    xt::xarray<double> const up{{0., 1.}, {0., 0.}};
    xt::xarray<double> const damp{{0., 0.}, {0., 1.}};
    xt::xarray<double> const down{{0., 0.}, {1., 0.}};
    auto f = [&](auto const& s) { return matmul(up - c * damp, s) - w2 * matmul(down, sin(s)); };
    // One RK4 step as a loop over its four stages, carrying the last stage k and the weighted
    // sum of the stages: k_j = f(s + a_j h k_{j−1}). (Written out, each stage holds the one
    // before it in its expression, twice in f, and the gradient's expression grows as 2⁴ paths
    // to the state: it takes the compiler minutes; issue 12 makes that linear.)
    auto rk4 = [&](auto const& s, std::size_t) {
        auto const stages = fori_loop(
            0, 4,
            [&](auto const& z, std::size_t j) {
                double const a[] = {0., 0.5, 0.5, 1.};
                double const b[] = {1., 2., 2., 1.};
                auto const k = f(s + a[j] * h * xtad::view(z, 0));
                return stack(k, xtad::view(z, 1) + b[j] * k);
            },
            xt::xarray<double>(xt::zeros<double>({2, 2})));
        return s + (h / 6) * xtad::view(stages, 1);
    };
    auto sT = fori_loop(0, 100, rk4, s0);
    auto const loss = sT(0) * sT(1) + sT(0);
    check_close(eval(sT), ref(r::s_final, {2}));
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [gs, gc, gw] = grad(loss, wrt(s0, c, w2));
    check_close(gs, ref(r::grad_s0, {2}));
    check_close(gc, xt::xarray<double>(r::grad_c));
    check_close(gw, xt::xarray<double>(r::grad_w2));
}

TEST_CASE("fori_loop: a linear recurrence through matmul") {
    namespace r = loop_refs::recurrence;
    auto a = var<"A">(xt::xarray<double>{{0.5, 0.1, -0.2}, {0.0, 0.4, 0.3}, {0.2, -0.1, 0.6}});
    auto b = var<"b">(xt::xarray<double>{1.0, -1.0, 0.5});
    auto x0 = var<"x0">(xt::xarray<double>{0.1, 0.2, 0.3});
    auto xT = fori_loop(
        0, 50, [&](auto const& x, std::size_t) { return matmul(a, x) + b; }, x0);
    auto const loss = sum(xT * xT);
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [ga, gb, gx] = grad(loss, wrt(a, b, x0));
    check_close(ga, ref(r::grad_A, {3, 3}));
    check_close(gb, ref(r::grad_b, {3}));
    // About 1e-13 (A's spectral radius is 0.54, and 0.54^50 ≈ 4e-14): compared on the scale of
    // the other gradients.
    xt::xarray<double> const want = ref(r::grad_x0, {3});
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(std::abs(gx(i) - want(i)) <= 1e-11 * 10);
    }
}

TEST_CASE("while_loop: Newton's square root, with the derivative 1/(2 sqrt a)") {
    namespace r = loop_refs::newton;
    xt::xarray<double> const a0{2.0, 9.0, 0.5};
    auto a = var<"a">(a0);
    auto const not_yet = [&](xt::xarray<double> const& y) {
        return xt::amax(xt::abs(y * y - a.value()))() >= 1e-14;
    };
    auto y = while_loop(
        not_yet, [&](auto const& y) { return 0.5 * (y + a / y); }, 1.0 * a);
    check_close(eval(y), ref(r::y_final, {3}), 0);
    auto [ga] = grad(sum(y), wrt(a));
    check_close(ga, ref(r::grad_a, {3}), 1e-15);
    check_close(ga, 0.5 / xt::sqrt(a0), 1e-15);

    // Forward mode through the same loop: the condition sees the values alone.
    auto root = [](auto const& x) {
        auto const stop = [&](xt::xarray<double> const& y) {
            xt::xarray<double> v(x.shape());
            std::transform(x.value().begin(), x.value().end(), v.begin(),
                           [](auto const& d) { return d.val; });
            return xt::amax(xt::abs(y * y - v))() >= 1e-14;
        };
        return while_loop(
            stop, [&](auto const& y) { return 0.5 * (y + x / y); }, 1.0 * x);
    };
    check_close(jacfwd(root, at(a0)), xt::diag(0.5 / xt::sqrt(a0)), 1e-15);
}

TEST_CASE("scan: a trajectory's outputs stacked, and the last carry") {
    namespace r = loop_refs::scan;
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto [xT, ys] = scan(
        [&](auto const& x, std::size_t) {
            auto next = x + 0.01 * (-k * x + sin(x));
            return std::pair{next, sin(next)};
        },
        x0, 100);
    CHECK(ys.shape() == shape_t{100, 3});
    auto const loss = sum(ys * ys) + sum(xT);
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [gx, gk] = grad(loss, wrt(x0, k));
    check_close(gx, ref(r::grad_x0, {3}));
    check_close(gk, xt::xarray<double>(r::grad_k));
}

TEST_CASE("fori_loop: a loop in a loop's body") {
    namespace r = loop_refs::nested;
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto xT = fori_loop(
        0, 20,
        [&](auto const& x, std::size_t) {
            // The inner loop runs after this body has returned: it captures the local kx by
            // value (an expression, small), the leaf k's tree holding k by reference.
            auto const kx = k * x;
            auto z = fori_loop(
                0, 5, [kx](auto const& z, std::size_t) { return z + 0.1 * (sin(z) - kx); }, x);
            return 0.5 * x + 0.5 * z;
        },
        x0);
    auto const loss = sum(xT * xT);
    check_close(eval(loss), xt::xarray<double>(r::loss));
    auto [gx, gk] = grad(loss, wrt(x0, k));
    check_close(gx, ref(r::grad_x0, {3}));
    check_close(gk, xt::xarray<double>(r::grad_k));
}
