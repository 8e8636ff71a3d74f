// The reductions through the shared law checker, over all elements and over axes, to second order.
#include "support/law.hpp"

#include <xtad/ops.hpp>

using law::domain;
using namespace xtad;

TEST_CASE("law: sum") {
    law::unary("sum", [](auto const& x) { return sum(x * x); });
    law::unary(
        "sum over axis 0", [](auto const& x) { return sum(sin(x), {0}); }, domain{},
        law::with_axes);
    law::unary(
        "sum over the last axis", [](auto const& x) { return sum(x * x, {-1}) * 2.0; }, domain{},
        law::with_axes);
}

TEST_CASE("law: mean") {
    law::unary("mean", [](auto const& x) { return mean(exp(x)); });
    law::unary(
        "mean over axis 0", [](auto const& x) { return mean(x * x, {0}); }, domain{},
        law::with_axes);
}

TEST_CASE("law: prod") {
    law::unary(
        "prod", [](auto const& x) { return prod(x); }, domain{0.5, 1.5});
    law::unary(
        "prod over axis 0", [](auto const& x) { return prod(x, {0}); }, domain{}, law::with_axes);
}

TEST_CASE("law: norm") {
    law::unary("norm", [](auto const& x) { return norm(x); });
    law::unary(
        "norm over axis 0", [](auto const& x) { return norm(x, {0}); }, domain{}, law::with_axes);
}

TEST_CASE("law: reductions inside elementwise expressions") {
    law::unary("x * sum(x)", [](auto const& x) { return x * sum(x); });
    law::unary(
        "x - mean(x, {0})", [](auto const& x) { return sin(x - mean(x, {0})); }, domain{},
        law::with_axes);
    law::binary("sum(x * y) * y", [](auto const& x, auto const& y) { return sum(x * y) * y; });
    law::binary("norm(x) + y", [](auto const& x, auto const& y) { return norm(x) + y; });
}

TEST_CASE("law: reshape and flatten") {
    law::unary("flatten", [](auto const& x) { return flatten(sin(x)) * 2.0; });
    law::unary("reshape to a column", [](auto const& x) { return reshape(x * x, {-1, 1}); });
}
