// Elementwise ops with one argument, through the shared law checker (piecewise and special).
#include "support/law.hpp"

#include <xtad/ops.hpp>

using law::domain;
using namespace xtad;

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
