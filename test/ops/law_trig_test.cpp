// Elementwise ops with one argument, through the shared law checker (trigonometric, hyperbolic).
#include "support/law.hpp"

#include <xtad/ops.hpp>

using law::domain;
using namespace xtad;

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
