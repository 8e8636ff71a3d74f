// Elementwise ops with one argument, through the shared law checker (arithmetic and powers,
// exponentials and logarithms).
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
    // A real exponent that is an integer, at negative bases too (forward mode forms no partial
    // in the constant exponent, whose log(x) x^y is NaN there).
    law::unary(
        "pow(x, 2.0)", [](auto const& x) { return pow(x, 2.0); }, domain{-3, 3});
    law::unary(
        "pow(x, -1.0)", [](auto const& x) { return pow(x, -1.0); }, domain{0.2, 3});
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
