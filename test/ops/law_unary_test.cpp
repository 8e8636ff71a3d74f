// Every elementwise op with one argument, through the shared law checker.
#include "support/law.hpp"

#include <xtad/ops.hpp>

using law::domain;
using namespace xtad;

TEST_CASE("law: arithmetic and powers") {
    law::unary("neg", [](auto const& x) { return -x; });
    law::unary("scale", [](auto const& x) { return 3 * x - 2.5; });
    law::unary(
        "reciprocal", [](auto const& x) { return 1.0 / x; }, domain{0.2, 3});
    law::unary("pow<3>", [](auto const& x) { return pow<3>(x); });
    law::unary("pow<0>", [](auto const& x) { return pow<0>(x) * x; });
    law::unary(
        "pow<-2>", [](auto const& x) { return pow<-2>(x); }, domain{0.3, 3});
    law::unary("square", [](auto const& x) { return square(x); });
    law::unary(
        "sqrt", [](auto const& x) { return sqrt(x); }, domain{0, 4, 1e-2});
    law::unary(
        "cbrt", [](auto const& x) { return cbrt(x); }, domain{0.05, 4});
    law::unary(
        "cbrt of negatives", [](auto const& x) { return cbrt(x); }, domain{-4, -0.05});
    law::unary(
        "pow(x, 2.5)", [](auto const& x) { return pow(x, 2.5); }, domain{0, 3, 1e-2});
    law::unary("pow(2, x)", [](auto const& x) { return pow(2.0, x); });
}

TEST_CASE("law: exponentials and logarithms") {
    law::unary("exp", [](auto const& x) { return exp(x); });
    law::unary("expm1", [](auto const& x) { return expm1(x); });
    law::unary(
        "log", [](auto const& x) { return log(x); }, domain{0, 5, 1e-2});
    law::unary(
        "log1p", [](auto const& x) { return log1p(x); }, domain{-1, 4, 1e-2});
    law::unary(
        "log2", [](auto const& x) { return log2(x); }, domain{0, 5, 1e-2});
    law::unary(
        "log10", [](auto const& x) { return log10(x); }, domain{0, 5, 1e-2});
}

TEST_CASE("law: trigonometric") {
    law::unary(
        "sin", [](auto const& x) { return sin(x); }, domain{-6, 6});
    law::unary(
        "cos", [](auto const& x) { return cos(x); }, domain{-6, 6});
    law::unary(
        "tan", [](auto const& x) { return tan(x); }, domain{-1.5, 1.5});
    law::unary(
        "asin", [](auto const& x) { return asin(x); }, domain{-1, 1, 1e-2});
    law::unary(
        "acos", [](auto const& x) { return acos(x); }, domain{-1, 1, 1e-2});
    law::unary(
        "atan", [](auto const& x) { return atan(x); }, domain{-5, 5});
}

TEST_CASE("law: hyperbolic") {
    law::unary("sinh", [](auto const& x) { return sinh(x); });
    law::unary("cosh", [](auto const& x) { return cosh(x); });
    law::unary("tanh", [](auto const& x) { return tanh(x); });
    law::unary(
        "asinh", [](auto const& x) { return asinh(x); }, domain{-5, 5});
    law::unary(
        "acosh", [](auto const& x) { return acosh(x); }, domain{1, 5, 1e-2});
    law::unary(
        "atanh", [](auto const& x) { return atanh(x); }, domain{-1, 1, 1e-2});
}

TEST_CASE("law: piecewise and special") {
    // Kinks (0 for abs, the bounds for clamp) are kept away from the points; the values at the
    // kinks are pinned by the PyTorch references instead.
    law::unary(
        "abs", [](auto const& x) { return abs(x); }, domain{0.01, 3});
    law::unary(
        "abs of negatives", [](auto const& x) { return abs(x); }, domain{-3, -0.01});
    law::unary(
        "sign", [](auto const& x) { return sign(x) * x; }, domain{0.01, 3});
    law::unary("clamp", [](auto const& x) { return clamp(x, -0.5, 0.7) * x; });
    law::unary(
        "sigmoid", [](auto const& x) { return sigmoid(x); }, domain{-8, 8});
    law::unary("erf", [](auto const& x) { return erf(x); });
    law::unary(
        "where", [](auto const& x) { return where(x > 0.3, sqrt(x), 2 * x); }, domain{0, 2, 1e-2});
}
