// Checks xtad's binary elementwise ops, comparisons and where() against PyTorch 1.13 (values and
// gradients in torch_refs.inc), broadcast shapes and a double on either side included.
#include "ops/torch_ref.hpp"

namespace {

using torch_refs::check_op;
namespace refs = torch_refs;

} // namespace

TEST_CASE("operator+") {
    check_op<2>("operator+", refs::add,
                [](auto const&, auto const& x, auto const& y) { return x + y; });
}
TEST_CASE("operator-") {
    check_op<2>("operator-", refs::sub,
                [](auto const&, auto const& x, auto const& y) { return x - y; });
}
TEST_CASE("operator*") {
    check_op<2>("operator*", refs::mul,
                [](auto const&, auto const& x, auto const& y) { return x * y; });
}
TEST_CASE("operator/") {
    check_op<2>("operator/", refs::div,
                [](auto const&, auto const& x, auto const& y) { return x / y; });
}
TEST_CASE("pow(x, y)") {
    check_op<2>("pow(x, y)", refs::pow_xy,
                [](auto const&, auto const& x, auto const& y) { return xtad::pow(x, y); });
}
TEST_CASE("atan2") {
    check_op<2>("atan2", refs::atan2,
                [](auto const&, auto const& x, auto const& y) { return xtad::atan2(x, y); });
}
// At ties torch gives each side half the gradient.
TEST_CASE("minimum") {
    check_op<2>("minimum", refs::minimum,
                [](auto const&, auto const& x, auto const& y) { return xtad::minimum(x, y); });
}
TEST_CASE("maximum") {
    check_op<2>("maximum", refs::maximum,
                [](auto const&, auto const& x, auto const& y) { return xtad::maximum(x, y); });
}

// A double on either side; c is the case's params[0].
TEST_CASE("x + c") {
    check_op<1>("x + c", refs::add_xc, [](auto const& p, auto const& x) { return x + p[0]; });
}
TEST_CASE("c + x") {
    check_op<1>("c + x", refs::add_cx, [](auto const& p, auto const& x) { return p[0] + x; });
}
TEST_CASE("x - c") {
    check_op<1>("x - c", refs::sub_xc, [](auto const& p, auto const& x) { return x - p[0]; });
}
TEST_CASE("c - x") {
    check_op<1>("c - x", refs::sub_cx, [](auto const& p, auto const& x) { return p[0] - x; });
}
TEST_CASE("x * c") {
    check_op<1>("x * c", refs::mul_xc, [](auto const& p, auto const& x) { return x * p[0]; });
}
TEST_CASE("c * x") {
    check_op<1>("c * x", refs::mul_cx, [](auto const& p, auto const& x) { return p[0] * x; });
}
TEST_CASE("x / c") {
    check_op<1>("x / c", refs::div_xc, [](auto const& p, auto const& x) { return x / p[0]; });
}
TEST_CASE("c / x") {
    check_op<1>("c / x", refs::div_cx, [](auto const& p, auto const& x) { return p[0] / x; });
}
TEST_CASE("pow(c, y)") {
    check_op<1>("pow(c, y)", refs::pow_cx,
                [](auto const& p, auto const& y) { return xtad::pow(p[0], y); });
}
TEST_CASE("atan2(y, c)") {
    check_op<1>("atan2(y, c)", refs::atan2_yc,
                [](auto const& p, auto const& y) { return xtad::atan2(y, p[0]); });
}
TEST_CASE("atan2(c, x)") {
    check_op<1>("atan2(c, x)", refs::atan2_cx,
                [](auto const& p, auto const& x) { return xtad::atan2(p[0], x); });
}
TEST_CASE("maximum(x, c)") {
    check_op<1>("maximum(x, c)", refs::maximum_xc,
                [](auto const& p, auto const& x) { return xtad::maximum(x, p[0]); });
}
TEST_CASE("minimum(c, x)") {
    check_op<1>("minimum(c, x)", refs::minimum_cx,
                [](auto const& p, auto const& x) { return xtad::minimum(p[0], x); });
}

// Comparisons as the condition of where; ties decide which side gets the gradient.
TEST_CASE("where(x < y, x, y)") {
    check_op<2>("where(x < y, x, y)", refs::where_lt,
                [](auto const&, auto const& x, auto const& y) { return xtad::where(x < y, x, y); });
}
TEST_CASE("where(x <= y, x, y)") {
    check_op<2>(
        "where(x <= y, x, y)", refs::where_le,
        [](auto const&, auto const& x, auto const& y) { return xtad::where(x <= y, x, y); });
}
TEST_CASE("where(x > y, x, y)") {
    check_op<2>("where(x > y, x, y)", refs::where_gt,
                [](auto const&, auto const& x, auto const& y) { return xtad::where(x > y, x, y); });
}
TEST_CASE("where(x >= y, x, y)") {
    check_op<2>(
        "where(x >= y, x, y)", refs::where_ge,
        [](auto const&, auto const& x, auto const& y) { return xtad::where(x >= y, x, y); });
}
TEST_CASE("where(x == y, x, y)") {
    check_op<2>("where(x == y, x, y)", refs::where_eq,
                [](auto const&, auto const& x, auto const& y) {
                    return xtad::where(xtad::eq(x, y), x, y);
                });
}
TEST_CASE("where(x != y, x, y)") {
    check_op<2>("where(x != y, x, y)", refs::where_ne,
                [](auto const&, auto const& x, auto const& y) {
                    return xtad::where(xtad::ne(x, y), x, y);
                });
}
TEST_CASE("where(x > 0, x, y)") {
    check_op<2>(
        "where(x > 0, x, y)", refs::where_gt0,
        [](auto const&, auto const& x, auto const& y) { return xtad::where(x > 0.0, x, y); });
}
// xtad differs from torch here on purpose: the untaken branch of where never leaks NaN into the
// gradient. At x <= 0 torch's gradient is NaN (0 times sqrt's infinite or NaN derivative); xtad's
// is 0. Those cases carry xtad's value in xtad_grads, and check_op expects it.
TEST_CASE("where(x > 0, sqrt(x), 0)") {
    check_op<1>("where(x > 0, sqrt(x), 0)", refs::where_sqrt, [](auto const&, auto const& x) {
        return xtad::where(x > 0.0, xtad::sqrt(x), 0.0);
    });
}
// As above: at x = 0 torch's gradient is 0 * (1/0) = NaN; xtad's is 0.
TEST_CASE("where(x > 0, log(x), y)") {
    check_op<2>("where(x > 0, log(x), y)", refs::where_log,
                [](auto const&, auto const& x, auto const& y) {
                    return xtad::where(x > 0.0, xtad::log(x), y);
                });
}
