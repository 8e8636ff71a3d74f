// Checks xtad's reductions against PyTorch 1.13 (values and gradients in torch_refs.inc).
#include "ops/torch_ref.hpp"

namespace {

using torch_refs::check_op;
namespace refs = torch_refs;

} // namespace

TEST_CASE("sum(x)") {
    check_op<1>("sum(x)", refs::sum, [](auto const&, auto const& x) { return xtad::sum(x); });
}
TEST_CASE("sum(x, {0})") {
    check_op<1>("sum(x, {0})", refs::sum_0,
                [](auto const&, auto const& x) { return xtad::sum(x, {0}); });
}
TEST_CASE("sum(x, {1})") {
    check_op<1>("sum(x, {1})", refs::sum_1,
                [](auto const&, auto const& x) { return xtad::sum(x, {1}); });
}
TEST_CASE("sum(x, {0, 2})") {
    check_op<1>("sum(x, {0, 2})", refs::sum_02, [](auto const&, auto const& x) {
        return xtad::sum(x, {0, 2});
    });
}
TEST_CASE("sum(x, {0, 1})") {
    check_op<1>("sum(x, {0, 1})", refs::sum_01, [](auto const&, auto const& x) {
        return xtad::sum(x, {0, 1});
    });
}
TEST_CASE("mean(x)") {
    check_op<1>("mean(x)", refs::mean, [](auto const&, auto const& x) { return xtad::mean(x); });
}
TEST_CASE("mean(x, {0})") {
    check_op<1>("mean(x, {0})", refs::mean_0,
                [](auto const&, auto const& x) { return xtad::mean(x, {0}); });
}
TEST_CASE("mean(x, {1})") {
    check_op<1>("mean(x, {1})", refs::mean_1,
                [](auto const&, auto const& x) { return xtad::mean(x, {1}); });
}
TEST_CASE("mean(x, {0, 2})") {
    check_op<1>("mean(x, {0, 2})", refs::mean_02, [](auto const&, auto const& x) {
        return xtad::mean(x, {0, 2});
    });
}
// With one zero torch's gradient is the product of the others there and 0 elsewhere; with two
// zeros it is 0 everywhere.
TEST_CASE("prod(x)") {
    check_op<1>("prod(x)", refs::prod, [](auto const&, auto const& x) { return xtad::prod(x); });
}
TEST_CASE("prod(x, {0})") {
    check_op<1>("prod(x, {0})", refs::prod_0,
                [](auto const&, auto const& x) { return xtad::prod(x, {0}); });
}
TEST_CASE("prod(x, {1})") {
    check_op<1>("prod(x, {1})", refs::prod_1,
                [](auto const&, auto const& x) { return xtad::prod(x, {1}); });
}
// At the zero vector torch's gradient is 0.
TEST_CASE("norm(x)") {
    check_op<1>("norm(x)", refs::norm, [](auto const&, auto const& x) { return xtad::norm(x); });
}
