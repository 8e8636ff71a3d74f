// Anomaly mode (xtad::detect_anomaly): the first NaN of a value or of an adjoint throws
// xtad::error naming the op that made it and the leaf; with the switch off, the same programs
// give NaN and throw nothing. The checks are compiled only where XTAD_DETECT_ANOMALY is 1, so
// this file asks for them; anomaly_unchecked_test.cpp, linked into the same executable, does not.
#define XTAD_DETECT_ANOMALY 1
#include <xtad/functional.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include "support/error_of.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <tuple>

using namespace xtad;

// Defined in anomaly_unchecked_test.cpp, without XTAD_DETECT_ANOMALY: log(x) and the gradient of
// sum(sqrt(x) * z) by eval and grad, on trees of the same spelling as below.
xt::xarray<double> unchecked_log(xt::xarray<double> const& x);
xt::xarray<double> unchecked_sqrt_grad(xt::xarray<double> const& x, xt::xarray<double> const& z);

namespace {

double const infinity = std::numeric_limits<double>::infinity();
double const not_a_number = std::numeric_limits<double>::quiet_NaN();

bool has_nan(xt::xarray<double> const& x) {
    return std::any_of(x.begin(), x.end(), [](double v) { return std::isnan(v); });
}

/// `msg` contains every one of `parts`.
template <class... P>
void check_names(std::string const& msg, P const&... parts) {
    for (std::string const& part : {std::string(parts)...}) {
        CHECK_MESSAGE(msg.find(part) != std::string::npos, "message: " << msg);
    }
}

} // namespace

TEST_CASE("anomaly mode: the op whose value became NaN, and its leaf") {
    auto x = var<"x">(xt::xarray<double>{2., -1., 3.});
    auto y = var<"y">(xt::xarray<double>{1., 0., 2.});
    auto z = var<"z">(xt::xarray<double>{1., 0., 2.});
    auto w = var<"w">(xt::xarray<double>{infinity, 1.});
    detect_anomaly guard;
    check_names(error_of([&] { eval(exp(log(x)) + 1.); }),
                "the value of log became NaN at element 1", "-1", "leaf \"x\"");
    check_names(error_of([&] { eval(sqrt(x) * 2.); }), "the value of sqrt became NaN at element 1",
                "leaf \"x\"");
    check_names(error_of([&] { eval(z / y + x); }), "the value of div became NaN at element 1",
                "(0, 0", "leaves \"z\", \"y\"");
    check_names(error_of([&] { eval(w - w); }), "the value of sub became NaN at element 0",
                "(inf, inf", "leaf \"w\"");
    // through a reduction: sum passes the NaN on, log made it
    check_names(error_of([&] { eval(sum(log(x)) * 2.); }), "the value of log became NaN",
                "element 1");
    // grad computes the value first, and reports it the same way
    check_names(error_of([&] { grad(sum(sqrt(x)), wrt(x)); }), "the value of sqrt became NaN");
}

TEST_CASE("anomaly mode: a NaN that only the adjoint makes names the op and the leaf") {
    // sqrt(x) * z at x = 0, z = 0: the value is 0, but sqrt's derivative at 0 is inf
    // (docs/edge_cases.md), and the gradient reaching it is z = 0: 0 * inf = NaN.
    auto x = var<"x">(xt::xarray<double>{4., 1., 0.});
    auto z = var<"z">(xt::xarray<double>{1., 1., 0.});
    auto e = sum(sqrt(x) * z);
    detect_anomaly guard;
    CHECK(!has_nan(eval(e)));
    std::string const msg = error_of([&] { grad(e, wrt(x)); });
    CHECK(msg
          == "xtad: anomaly: the gradient of sqrt became NaN in the adjoint of leaf \"x\" at "
             "element 2 (input 0): the incoming gradient 0 times the local derivative inf");
    CHECK(error_of([&] { derivative(e, wrt(x)); }) == msg);
    // z's gradient is sqrt(x), finite: no anomaly on the way to z
    auto [gz] = grad(e, wrt(z));
    CHECK(!has_nan(gz));
    // the same through pow(x, 0.5), in grad_into and backward
    auto p = sum(pow(x, 0.5) * z);
    check_names(error_of([&] {
                    xt::xarray<double> g;
                    grad_into(std::tie(g), p, wrt(x));
                }),
                "the gradient of pow became NaN in the adjoint of leaf \"x\" at element 2");
    check_names(error_of([&] { backward(p); }), "the gradient of pow became NaN", "leaf \"x\"");
    CHECK_THROWS_AS(x.grad(), xtad::error); // backward threw before accumulating anything
    // a reduction's own rule: norm at (inf, 1) is inf, with the gradient (inf/inf, 0)
    auto v = var<"v">(xt::xarray<double>{infinity, 1.});
    CHECK(eval(norm(v))() == infinity);
    CHECK(error_of([&] { grad(norm(v), wrt(v)); })
          == "xtad: anomaly: the gradient of norm became NaN in the adjoint of leaf \"v\" at "
             "element 0 (input 0)");
}

TEST_CASE("anomaly mode: jacrev runs the checked reverse pass") {
    auto const f = [](auto const& v) { return sqrt(v) * 0.; };
    xt::xarray<double> const x0 = {1., 0.};
    detect_anomaly guard;
    check_names(error_of([&] { jacrev(f, at(x0)); }), "the gradient of sqrt became NaN",
                "at element 1 (input 0)");
}

TEST_CASE("anomaly mode: a NaN already in a leaf or in the seed is named as such") {
    auto x = var<"x">(xt::xarray<double>{1., 2., not_a_number});
    detect_anomaly guard;
    CHECK(error_of([&] { eval(exp(x) * 2.); })
          == std::string(
              "xtad: anomaly: leaf \"x\" holds NaN at element 2 (an input, not made by an op)"));
    auto y = var<"y">(xt::xarray<double>{1., 2.});
    auto e = exp(y);
    xt::xarray<double> const seed = {0., not_a_number};
    CHECK(error_of([&] { grad(e, wrt(y), seed); })
          == "xtad: anomaly: the seed given to xtad::grad holds NaN at element 1");
}

TEST_CASE("anomaly mode: the untaken branch of where is not an anomaly") {
    // where keeps sqrt away from x < 0: sqrt(-1) is computed, but neither the value nor the
    // gradient takes it (docs/edge_cases.md)
    auto x = var<"x">(xt::xarray<double>{-1., 4.});
    auto e = sum(where(x > 0., sqrt(x), x * 0.));
    detect_anomaly guard;
    CHECK(eval(e)() == doctest::Approx(2.));
    auto [g] = grad(e, wrt(x));
    CHECK(g(0) == 0.);
    CHECK(g(1) == doctest::Approx(0.25));
}

TEST_CASE("anomaly mode off: the same programs give NaN and throw nothing") {
    auto x = var<"x">(xt::xarray<double>{2., -1., 0.});
    auto z = var<"z">(xt::xarray<double>{1., 1., 0.});
    CHECK(!anomaly_mode());
    CHECK(has_nan(eval(log(x))));
    CHECK(has_nan(eval(sqrt(x))));
    CHECK(has_nan(eval(z / x)));
    auto [g] = grad(sum(sqrt(x * x) * z), wrt(x));
    CHECK(has_nan(g));
}

TEST_CASE("anomaly mode: guards nest and restore; the switch is per thread") {
    auto x = var<"x">(xt::xarray<double>{-1.});
    CHECK(!anomaly_mode());
    {
        detect_anomaly on;
        CHECK(anomaly_mode());
        {
            detect_anomaly off{false};
            CHECK(!anomaly_mode());
            CHECK(std::isnan(eval(log(x))(0)));
            bool other_thread_on = true;
            std::thread([&] { other_thread_on = anomaly_mode(); }).join();
            CHECK(!other_thread_on);
        }
        CHECK(anomaly_mode());
        CHECK_THROWS_AS(eval(log(x)), xtad::error);
        bool other_thread_on = true;
        std::thread([&] { other_thread_on = anomaly_mode(); }).join();
        CHECK(!other_thread_on);
    }
    CHECK(!anomaly_mode());
    CHECK(std::isnan(eval(log(x))(0)));
}

TEST_CASE(
    "anomaly mode: a translation unit without XTAD_DETECT_ANOMALY keeps its own eval and grad") {
    // The same trees, instantiated here with the checks and there without: each setting has its
    // own leaves and functions (inline namespaces), so the linker did not merge the two, and the
    // unchecked code neither reads the switch nor throws.
    xt::xarray<double> const x0 = {2., -1., 0.};
    xt::xarray<double> const z0 = {1., 1., 0.};
    detect_anomaly guard;
    CHECK(has_nan(unchecked_log(x0)));
    CHECK(has_nan(unchecked_sqrt_grad(x0 * x0, z0)));
    auto x = var<"x">(x0);
    auto z = var<"z">(z0);
    CHECK_THROWS_AS(eval(log(x)), xtad::error);
    auto xx = var<"x">(xt::xarray<double>(x0 * x0));
    CHECK_THROWS_AS(grad(sum(sqrt(xx) * z), wrt(xx)), xtad::error);
}
