// gradcheck and gradgradcheck: they pass on xtad's own ops and fail, pointing at the right
// element, on ops defined here with deliberately wrong derivative rules.
#include <xtad/functional/gradcheck.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <type_traits>

using namespace xtad;

namespace {

/// An op's value: f on a number; on a dual, the op's own derivative rule applied by
/// forward_apply (as xtad's ops do, through their functions), so that the wrong rules below are
/// used by forward mode too.
template <class Op, class T, class F>
T on_number_or_dual(Op const& op, T const& x, F const& f) {
    if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(f(x));
    } else {
        return forward_apply(op, x);
    }
}

// sin with a wrong rule: d/dx sin(x) given as sin(x) (it is cos(x)).
struct wrong_sin_op : function_op<"wrong_sin", "WrongSinBackward0"> {
    template <class T>
    T value(T const& x) const {
        return on_number_or_dual(*this, x, [](double v) { return std::sin(v); });
    }
    template <class X>
    auto partial(X const& x) const {
        return xtad::sin(x);
    }
};

// cos with a wrong rule: d/dx cos(x) given as sin(x) (it is -sin(x)).
struct wrong_cos_op : function_op<"wrong_cos", "WrongCosBackward0"> {
    template <class T>
    T value(T const& x) const {
        return on_number_or_dual(*this, x, [](double v) { return std::cos(v); });
    }
    template <class X>
    auto partial(X const& x) const {
        return xtad::sin(x);
    }
};

// sin whose rule is right, cos(x), but computed by wrong_cos: right first derivatives, wrong
// second ones.
struct sin_wrong_second_op : function_op<"sin2", "Sin2Backward0"> {
    template <class T>
    T value(T const& x) const {
        return on_number_or_dual(*this, x, [](double v) { return std::sin(v); });
    }
    template <class X>
    auto partial(X const& x) const {
        return detail::call_unary<wrong_cos_op>(x);
    }
};

template <class X>
auto wrong_sin(X const& x) {
    return detail::call_unary<wrong_sin_op>(x);
}
template <class X>
auto sin_wrong_second(X const& x) {
    return detail::call_unary<sin_wrong_second_op>(x);
}

gradcheck_options quiet() {
    gradcheck_options o;
    o.raise_exception = false;
    return o;
}

/// The element where |a - n| / (atol + rtol |n|) is largest, for analytical values a(x) and
/// numerical (true) values n(x) of an elementwise function: the one gradcheck must report.
template <class A, class N>
std::size_t worst_element(xt::xarray<double> const& x, A const& a, N const& n) {
    std::size_t worst = 0;
    double most = -1;
    for (std::size_t i = 0; i < x.size(); ++i) {
        double const ex =
            std::abs(a(x.flat(i)) - n(x.flat(i))) / (1e-5 + 1e-3 * std::abs(n(x.flat(i))));
        if (ex > most) {
            most = ex;
            worst = i;
        }
    }
    return worst;
}

} // namespace

TEST_CASE("gradcheck passes on xtad's ops, one input and several, by both modes") {
    xt::xarray<double> const x = {{0.3, -0.7, 1.1}, {0.5, 1.9, -1.2}};
    xt::xarray<double> const y = {2., -1., 0.5};
    auto const r1 = gradcheck([](auto const& a) { return sin(a) * exp(a); }, at(x));
    CHECK(r1.ok);
    CHECK(r1.excess < 1);
    CHECK(r1.message.rfind("xtad::gradcheck: ok", 0) == 0);
    auto const r2 = gradcheck(
        [](auto const& a, auto const& b) { return a * b / (b * b + 1.0) + sum(pow<3>(a)); },
        at(x, y));
    CHECK(r2);
    // A function that ignores an input has a zero block, which finite differences confirm.
    CHECK(gradcheck([](auto const& a, auto const&) { return tanh(a); }, at(x, y)));
    // Float points are checked in double.
    xt::xarray<float> const xf = {0.25f, 0.5f, 2.f};
    CHECK(gradcheck([](auto const& a) { return norm(a) * a; }, at(xf)));
}

TEST_CASE("gradcheck fails on a wrong derivative rule and names the worst element") {
    xt::xarray<double> const x = {0.1, 0.8, 1.5, 2.5, -0.4};
    auto const f = [](auto const& a) { return wrong_sin(a); };
    auto const r = gradcheck(f, at(x), quiet());
    CHECK_FALSE(r.ok);
    CHECK_FALSE(static_cast<bool>(r));
    std::size_t const k = worst_element(
        x, [](double v) { return std::sin(v); }, [](double v) { return std::cos(v); });
    CHECK(k == 2); // |sin - cos| is large where cos is small: at 1.5
    CHECK(r.route == "reverse mode");
    CHECK(r.input == 0);
    CHECK(r.input_element == k);
    CHECK(r.output == 0);
    CHECK(r.output_element == k);
    CHECK(r.analytical == doctest::Approx(std::sin(x(k))));
    CHECK(r.numerical == doctest::Approx(std::cos(x(k))).epsilon(1e-8));
    CHECK(r.excess > 1);
    CHECK(r.message.find("reverse mode Jacobian and finite differences differ at input 0 "
                         "element 2, output element 2")
          != std::string::npos);
    // Forward mode uses the same wrong rule.
    auto const rf = gradcheck<ad_modes::forward>(f, at(x), quiet());
    CHECK_FALSE(gradcheck<ad_modes::reverse>(f, at(x), quiet()).ok);
    CHECK_FALSE(rf.ok);
    CHECK(rf.route == "forward mode");
    CHECK(rf.input_element == k);
    // The wrong op among right ones, as the second input.
    xt::xarray<double> const y = {{0.2, 1.4}, {0.3, -0.5}};
    auto const r2 = gradcheck(
        [](auto const& a, auto const& b) { return sum(a * a) + exp(a(0)) * wrong_sin(b); },
        at(x, y), quiet());
    CHECK_FALSE(r2.ok);
    CHECK(r2.input == 1);
    CHECK(r2.input_element == 1);
    CHECK(r2.output_element == 1);
}

TEST_CASE("gradcheck throws by default, and its tolerances are the options'") {
    xt::xarray<double> const x = {0.1, 0.8, 1.5};
    auto const f = [](auto const& a) { return wrong_sin(a); };
    std::string what;
    try {
        (void)gradcheck(f, at(x));
    } catch (error const& e) {
        what = e.what();
    }
    CHECK(what.find("xtad::gradcheck: the reverse mode Jacobian and finite differences differ")
          == 0);
    gradcheck_options loose = quiet();
    loose.atol = 10;
    CHECK(gradcheck(f, at(x), loose).ok);
    // No tolerance at all: finite differences are never exact.
    gradcheck_options exact = quiet();
    exact.atol = 0;
    exact.rtol = 0;
    CHECK_FALSE(gradcheck([](auto const& a) { return exp(a); }, at(x), exact).ok);
    // A larger step is less accurate: exp's truncation error is eps^2/6 exp(x).
    gradcheck_options coarse = quiet();
    coarse.eps = 0.1;
    coarse.rtol = 1e-4;
    coarse.atol = 0;
    CHECK_FALSE(gradcheck([](auto const& a) { return exp(a); }, at(x), coarse).ok);
    coarse.rtol = 2e-3;
    CHECK(gradcheck([](auto const& a) { return exp(a); }, at(x), coarse).ok);
}

TEST_CASE("gradgradcheck passes on xtad's ops") {
    xt::xarray<double> const x = {{0.3, -0.7, 1.1}, {0.5, 1.9, -1.2}};
    xt::xarray<double> const y = {2., -1., 0.5};
    auto const r = gradgradcheck(
        [](auto const& a, auto const& b) { return sin(a) * b + pow<3>(a) / (b * b + 1.0); },
        at(x, y));
    CHECK(r.ok);
    CHECK(r.route == "forward over reverse");
    CHECK(r.message.rfind("xtad::gradgradcheck: ok", 0) == 0);
    CHECK(gradgradcheck([](auto const& a) { return sum(exp(a)) * norm(a); }, at(x)));
    // The first derivatives of the op with the wrong second derivative are right.
    CHECK(gradcheck([](auto const& a) { return sin_wrong_second(a); }, at(y)));
}

TEST_CASE("gradgradcheck fails on a wrong second derivative and names the worst element") {
    xt::xarray<double> const x = {0.1, 0.8, 1.5, 2.5, -0.4};
    xt::xarray<double> const y = {0.7, -1.3};
    gradcheck_options o = quiet();
    o.grad_outputs = xt::ones<double>({5});
    auto const r = gradgradcheck([](auto const& a) { return sin_wrong_second(a); }, at(x), o);
    CHECK_FALSE(r.ok);
    // d2/dx2 sin(x) is -sin(x); the wrong rule gives +sin(x).
    std::size_t const k = worst_element(
        x, [](double v) { return std::sin(v); }, [](double v) { return -std::sin(v); });
    CHECK(k == 2);
    CHECK(r.input == 0);
    CHECK(r.input_element == k);
    CHECK(r.output == 0);
    CHECK(r.output_element == k);
    CHECK(r.analytical == doctest::Approx(std::sin(x(k))));
    CHECK(r.numerical == doctest::Approx(-std::sin(x(k))).epsilon(1e-6));
    // Two inputs: only d/dx of x's gradient is wrong (the cross terms use the right cos).
    auto const r2 =
        gradgradcheck([](auto const& a, auto const& b) { return sum(sin_wrong_second(b)) * a; },
                      at(x, y), quiet());
    CHECK_FALSE(r2.ok);
    CHECK(r2.input == 1);
    CHECK(r2.output == 1);
    CHECK(r2.message.find("the gradient of input 1") != std::string::npos);
    // grad_outputs of the wrong shape.
    gradcheck_options bad = quiet();
    bad.grad_outputs = xt::ones<double>({4});
    CHECK_THROWS_AS((void)gradgradcheck([](auto const& a) { return sin(a); }, at(x), bad), error);
}
