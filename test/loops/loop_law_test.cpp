// Loops (issue 16): forward mode = reverse mode = finite differences through every loop kind and
// through cond, first and second order; checkpointing bit for bit; how many times each step's
// body is evaluated; errors and printed forms.
#include "loops/loops.hpp"

#include "support/error_of.hpp"

#include <atomic>
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <sstream>
#include <string>

using namespace xtad;
using namespace loops_test;

// Every allocation of this test program is counted (live bytes and their peak), so that a test
// can say what a loop keeps for its reverse pass, and that it is freed with the evaluation.
namespace {
std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
} // namespace

void* operator new(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (!p) {
        throw std::bad_alloc();
    }
    std::size_t const now = live_bytes += malloc_usable_size(p);
    std::size_t peak = peak_bytes.load();
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
    }
    return p;
}
void operator delete(void* p) noexcept {
    if (p) {
        live_bytes -= malloc_usable_size(p);
        std::free(p);
    }
}
void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}

TEST_CASE("while_loop: more steps than max_steps is an error naming the limit") {
    auto x = var<"x">(xt::xarray<double>{1.0});
    auto forever = while_loop([](xt::xarray<double> const&) { return true; },
                              [](auto const& y) { return y + 1.0; }, x, {.max_steps = 10});
    CHECK(error_of([&] { (void)eval(forever); })
          == "xtad::while_loop: the condition still holds after max_steps = 10 steps; raise "
             "while_options::max_steps if the loop converges");
}

TEST_CASE("loops: forward = reverse = finite differences, first and second order") {
    xt::xarray<double> const x{0.5, -1.2, 2.0};
    xt::xarray<double> const k(0.7);
    auto const euler_f = [](auto const& x, auto const& k) { return euler(x, k, 20); };
    CHECK(gradcheck(euler_f, at(x, k)).ok);
    CHECK(gradgradcheck(euler_f, at(x, k)).ok);
    auto const scan_f = [](auto const& x, auto const& k) {
        auto [last, ys] = scan(
            [&](auto const& c, std::size_t i) {
                auto next = c * cos(k * c) + 0.1 * static_cast<double>(i);
                return std::pair{next, exp(-next * next)};
            },
            x, 6, checkpoint::every(4));
        return sum(ys, {0}) * last;
    };
    CHECK(gradcheck(scan_f, at(x, k)).ok);
    CHECK(gradgradcheck(scan_f, at(x, k)).ok);
    // A trip count that depends on the values: halve until every element is below 1.
    auto const halving_f = [](auto const& a) {
        return while_loop([](xt::xarray<double> const& y) { return xt::amax(y)() >= 1.0; },
                          [&](auto const& y) { return 0.5 * y + 0.01 * sin(a * y); }, 3.0 * a);
    };
    xt::xarray<double> const a{2.0, 9.0, 0.5};
    CHECK(gradcheck(halving_f, at(a)).ok);
    CHECK(gradgradcheck(halving_f, at(a)).ok);
}

TEST_CASE("checkpointing: the gradients bit for bit those of keeping every carry") {
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto [gx, gk] = grad(sum(pow<2>(euler(x0, k, 101))), wrt(x0, k));
    for (checkpoint keep : {checkpoint::every(1), checkpoint::every(3), checkpoint::every(10),
                            checkpoint::every(101), checkpoint::every(500), checkpoint::sqrt()}) {
        INFO("every " << keep.every_k);
        auto [cx, ck] = grad(sum(pow<2>(euler(x0, k, 101, keep))), wrt(x0, k));
        CHECK(same_bits(cx, gx));
        CHECK(same_bits(ck, gk));
    }
}

TEST_CASE("checkpointing: the memory a gradient holds, and none kept after it") {
    std::size_t const n = 1000;
    std::size_t const steps = 100;
    std::size_t const carry = n * sizeof(double);
    auto x0 = var<"x0">(xt::xarray<double>(xt::linspace(-2., 2., n)));
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto const held = [&](checkpoint keep) {
        auto const loss = sum(pow<2>(euler(x0, k, steps, keep)));
        xt::xarray<double> gx(x0.value().shape());
        xt::xarray<double> gk(k.value().shape());
        // A first gradient, for what the program allocates once (and not again).
        grad_into(std::tie(gx, gk), loss, wrt(x0, k));
        std::size_t const before = live_bytes.load();
        peak_bytes = before;
        grad_into(std::tie(gx, gk), loss, wrt(x0, k));
        // Nothing of the evaluation is kept once grad returns.
        CHECK(live_bytes.load() == before);
        return peak_bytes.load() - before;
    };
    // Every carry: 100 of them at least.
    CHECK(held(checkpoint::all()) >= steps * carry);
    // An evaluation without an adjoint keeps none but the first.
    {
        auto const loss = sum(pow<2>(euler(x0, k, steps)));
        (void)eval(loss);
        std::size_t const before = live_bytes.load();
        peak_bytes = before;
        (void)eval(loss);
        CHECK(peak_bytes.load() - before < 6 * carry);
    }
    // Every 10th: 10 kept, and a segment of 10 computed again, with a few temporaries.
    std::size_t const sparse = held(checkpoint::sqrt());
    CHECK(sparse >= 20 * carry);
    CHECK(sparse < 30 * carry);
    // while_loop does not know its trip count: it thins the kept carries as they come, to at
    // most 2·every, every doubling (here to 8: at most 16 kept, and a segment of 8).
    std::size_t counter = 0;
    auto const stop = [&](xt::xarray<double> const&) { return counter++ < steps; };
    auto const w = while_loop([&](xt::xarray<double> const& c) { return stop(c); },
                              [&](auto const& x) { return x + 0.01 * (-k * x + sin(x)); }, x0,
                              {.keep = checkpoint::sqrt()});
    xt::xarray<double> gx(x0.value().shape());
    xt::xarray<double> gk(k.value().shape());
    counter = 0;
    grad_into(std::tie(gx, gk), sum(pow<2>(w)), wrt(x0, k));
    counter = 0;
    std::size_t const before = live_bytes.load();
    peak_bytes = before;
    grad_into(std::tie(gx, gk), sum(pow<2>(w)), wrt(x0, k));
    CHECK(peak_bytes.load() - before < 30 * carry);
    CHECK(live_bytes.load() == before);
    // The same gradients as the fori_loop's with every carry kept, bit for bit.
    auto [fx, fk] = grad(sum(pow<2>(euler(x0, k, steps))), wrt(x0, k));
    CHECK(same_bits(gx, fx));
    CHECK(same_bits(gk, fk));
}

TEST_CASE("loops: what a body captures is computed anew at each evaluation") {
    auto w = var<"w">(xt::xarray<double>{1.0, 2.0});
    auto x0 = var<"x0">(xt::xarray<double>{0.5, -0.5});
    // s is an expression of the leaf w, captured by the body and read at each step.
    auto const s = sum(w * w);
    auto xT = fori_loop(
        0, 3, [&](auto x) { return x + s; }, x0); // the carry taken by value
    check_close(eval(xT), xt::xarray<double>{15.5, 14.5}, 0);
    auto [gw] = grad(sum(xT), wrt(w));
    check_close(gw, xt::xarray<double>{12., 24.}, 0); // 2 elements x 3 steps x 2 w
    w.value() = xt::xarray<double>{2.0, 0.0};
    check_close(eval(xT), xt::xarray<double>{12.5, 11.5}, 0);
    auto [hw] = grad(sum(xT), wrt(w));
    check_close(hw, xt::xarray<double>{24., 0.}, 0);
}

TEST_CASE("loops: a leaf captured by value is an error that says how to capture it") {
    auto x0 = var<"x0">(xt::xarray<double>{0.5, -0.5});
    auto k = var<"k">(xt::xarray<double>(2.0));
    CHECK(error_of([&] {
              (void)fori_loop(
                  0, 3, [k](auto const& x) { return k * x; }, x0);
          })
          == "xtad::fori_loop: the body captures the leaf 'k' by value, a copy that gradients do "
             "not reach: capture leaves by reference ([&] or [&k])");
}

TEST_CASE("loops: a negative bound is an error, not a huge trip count") {
    auto x0 = var<"x0">(xt::xarray<double>{0.5, -0.5});
    int const n = 0;
    CHECK(error_of([&] {
              (void)fori_loop(
                  0, n - 1, [](auto const& x) { return 2. * x; }, x0);
          })
          == "xtad::fori_loop: hi is -1; step indices are from 0 (a std::size_t)");
    CHECK(error_of([&] {
              (void)scan([](auto const& x) { return std::pair{2. * x, x}; }, x0, n - 1);
          })
          == "xtad::scan: n is -1; step indices are from 0 (a std::size_t)");
}

TEST_CASE("loops: no steps give the initial carry, and its gradient the seed") {
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto x = fori_loop(
        3, 3, [&](auto const& x) { return k * x; }, x0);
    check_close(eval(x), euler_x0, 0);
    auto [gx, gk] = grad(sum(x), wrt(x0, k));
    check_close(gx, xt::ones<double>({3}), 0);
    check_close(gk, xt::xarray<double>(0.), 0);
}

namespace {

long body_values = 0;

/// A tensor op that counts its value's computations: twice its operand.
struct counted_twice_op : tensor_op<"ctwice", "MulBackward0"> {
    shape_t shape(shape_t const& x) const { return x; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& x) const {
        ++body_values;
        return 2. * x;
    }
    template <class G, class Y, class X>
    auto vjp(G const& g, Y const&, X const&) const {
        return 2. * g;
    }
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const&, xt::xarray<T> const& dx) const {
        return 2. * dx;
    }
};

template <class F>
long values_of(F&& f) {
    body_values = 0;
    f();
    return body_values;
}

} // namespace

TEST_CASE("loops: each step's body is evaluated once forward, once more in the reverse pass") {
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    std::size_t const n = 40;
    // The reverse pass reads the counted value: sin's derivative is taken at it.
    auto const loop = [&](checkpoint keep) {
        return fori_loop(
            0, n,
            [&](auto const& x, std::size_t) {
                return x + 0.01 * k * sin(apply<counted_twice_op>(x));
            },
            x0, keep);
    };
    auto const xT = loop(checkpoint::all());
    CHECK(values_of([&] { (void)eval(xT); }) == long(n));
    // One reverse pass serves both leaves.
    CHECK(values_of([&] { (void)grad(sum(pow<2>(xT)), wrt(x0, k)); }) == long(2 * n));
    // Keeping every 8th carry: the others are computed once more.
    auto const kept = loop(checkpoint::every(8));
    CHECK(values_of([&] { (void)grad(sum(pow<2>(kept)), wrt(x0, k)); }) == long(3 * n - n / 8));
    // The reverse pass runs once per seed: xT * xT * xT reaches the loop by three paths with
    // the same seed (3 xT²), one pass; xT * exp(xT) by two paths with two seeds, two passes
    // (issue 12's one adjoint pass, which sums the paths first, would make that one).
    CHECK(values_of([&] { (void)grad(sum(xT * xT * xT), wrt(x0, k)); }) == long(2 * n));
    CHECK(values_of([&] { (void)grad(sum(xT * exp(xT)), wrt(x0, k)); }) == long(3 * n));
}

TEST_CASE("loops: a body's carry that changes shape is an error naming the step") {
    auto x0 = var<"x0">(xt::xarray<double>{1.0, 2.0, 3.0});
    auto grows = fori_loop(
        0, 5,
        [](auto const& x, std::size_t i) {
            return x * xt::xarray<double>(xt::ones<double>(i < 3 ? shape_t{3} : shape_t{2, 3}));
        },
        x0);
    CHECK(error_of([&] { (void)eval(grows); })
          == "xtad::fori_loop: at step 3 the body returned a carry of shape (2, 3) where the first "
             "step's is (3,); a loop's carry (and a scan's output) keeps its shape");
    CHECK(error_of([&] {
              (void)fori_loop(
                  0, 5, [](auto const& x) { return sum(x); }, x0);
          })
          == "xtad::fori_loop: the body returns a carry of shape () for a carry of shape (3,); "
             "the carry must keep its shape");
    CHECK(error_of([&] {
              (void)fori_loop(
                  0, 5, [](auto const& x) { return x * var<"z">(xt::xarray<double>(2.)); }, x0);
          })
          == "xtad::fori_loop: the body's expression owns the leaf 'z' (a leaf made in the body, "
             "or moved into it): capture leaves by reference, and use constants for values made "
             "per step");
}

TEST_CASE("loops: printed forms") {
    auto x0 = var<"x0">(euler_x0);
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto xT = euler(x0, k, 10);
    CHECK(to_string(sum(xT * xT)) == "sum(fori_loop(x0)*fori_loop(x0))");
    // torch's grad_fn is that of the body's last op.
    std::ostringstream out;
    out << xT;
    CHECK(out.str().find("grad_fn=<AddBackward0>") != std::string::npos);
    // derivative() holds the reverse pass as a node.
    auto const d = derivative(sum(xT), wrt(k));
    CHECK(to_string(d).find("loop_vjp") != std::string::npos);
    auto [gk] = grad(sum(xT), wrt(k));
    check_close(eval(d), gk, 0);
}

TEST_CASE("cond: the branch taken, chosen at each evaluation, and its derivatives alone") {
    auto x = var<"x">(xt::xarray<double>{0.5, -1.5, 2.0});
    auto k = var<"k">(xt::xarray<double>(0.7));
    auto const positive = [](xt::xarray<double> const& v) { return xt::sum(v)() > 0; };
    auto y = cond(
        positive, [&](auto const& z) { return k * z * z; },
        [&](auto const& z) { return sin(apply<counted_twice_op>(z)); }, x);
    xt::xarray<double> const x0 = x.value();
    CHECK(values_of([&] { check_close(eval(y), 0.7 * x0 * x0, 0); }) == 0);
    auto [gx, gk] = grad(sum(y), wrt(x, k));
    check_close(gx, 1.4 * x0, 0);
    check_close(gk, xt::xarray<double>(xt::sum(x0 * x0)()), 0);
    // The leaf changes; the next evaluation takes the other branch.
    x.value() = -x0;
    CHECK(values_of([&] { check_close(eval(y), xt::sin(-2. * x0), 0); }) == 1);
    auto [hx, hk] = grad(sum(y), wrt(x, k));
    check_close(hx, 2. * xt::cos(-2. * x0), 0);
    check_close(hk, xt::xarray<double>(0.), 0);
    // Forward mode and second derivatives through either branch.
    for (double sign : {1., -1.}) {
        auto const f = [&](auto const& z) {
            return cond(
                positive, [&](auto const& u) { return u * exp(u) * k; },
                [&](auto const& u) { return sin(2. * u); }, z);
        };
        CHECK(gradcheck(f, at(xt::xarray<double>(sign * x0))).ok);
        CHECK(gradgradcheck(f, at(xt::xarray<double>(sign * x0))).ok);
    }
    CHECK(error_of([&] {
              (void)cond(
                  true, [](auto const& z) { return sum(z); }, [](auto const& z) { return 2. * z; },
                  x);
          })
          == "xtad::cond: the branches return shapes () and (3,); both must return one shape");
}
