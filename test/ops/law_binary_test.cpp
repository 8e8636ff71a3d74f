// Every elementwise op with two arguments, through the shared law checker, on broadcast shapes.
#include "support/law.hpp"

#include <xtad/ops.hpp>

using law::domain;
using namespace xtad;

TEST_CASE("law: arithmetic") {
    law::binary("add", [](auto const& x, auto const& y) { return x + y; });
    law::binary("sub", [](auto const& x, auto const& y) { return x - y; });
    law::binary("mul", [](auto const& x, auto const& y) { return x * y; });
    law::binary(
        "div", [](auto const& x, auto const& y) { return x / y; }, domain{}, domain{0.3, 3});
    law::binary("mixed", [](auto const& x, auto const& y) { return (x * y - x) / (y * y + 1.0); });
}

TEST_CASE("law: pow, atan2, minimum, maximum, where") {
    law::binary(
        "pow", [](auto const& x, auto const& y) { return pow(x, y); }, domain{0.1, 3},
        domain{-2, 3});
    law::binary(
        "atan2", [](auto const& x, auto const& y) { return atan2(x, y); }, domain{0.1, 2},
        domain{-2, 2});
    // Ties are kept away (different ranges); the split at ties is pinned by the references.
    law::binary(
        "maximum", [](auto const& x, auto const& y) { return maximum(x, y); }, domain{-2, 0},
        domain{0.1, 2});
    law::binary(
        "minimum", [](auto const& x, auto const& y) { return minimum(x * 1.0, y); }, domain{-2, 0},
        domain{0.1, 2});
    law::binary(
        "where", [](auto const& x, auto const& y) { return where(x > y, x * y, y - x); },
        domain{-2, -1}, domain{1, 2});
}
