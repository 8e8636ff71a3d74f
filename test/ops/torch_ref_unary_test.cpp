// Checks xtad's unary elementwise ops against PyTorch 1.13 (values and gradients in
// torch_refs.inc).
#include "ops/torch_ref.hpp"

namespace {

using torch_refs::check_op;
namespace refs = torch_refs;

} // namespace

TEST_CASE("operator- (unary)") {
    check_op<1>("operator- (unary)", refs::neg, [](auto const&, auto const& x) { return -x; });
}
TEST_CASE("square") {
    check_op<1>("square", refs::square, [](auto const&, auto const& x) { return xtad::square(x); });
}
TEST_CASE("sqrt") {
    check_op<1>("sqrt", refs::sqrt, [](auto const&, auto const& x) { return xtad::sqrt(x); });
}
// torch has no cbrt: the reference is sign(x) * |x|^(1/3), at points away from 0 only.
TEST_CASE("cbrt") {
    check_op<1>("cbrt", refs::cbrt, [](auto const&, auto const& x) { return xtad::cbrt(x); });
}
TEST_CASE("exp") {
    check_op<1>("exp", refs::exp, [](auto const&, auto const& x) { return xtad::exp(x); });
}
TEST_CASE("expm1") {
    check_op<1>("expm1", refs::expm1, [](auto const&, auto const& x) { return xtad::expm1(x); });
}
TEST_CASE("log") {
    check_op<1>("log", refs::log, [](auto const&, auto const& x) { return xtad::log(x); });
}
TEST_CASE("log1p") {
    check_op<1>("log1p", refs::log1p, [](auto const&, auto const& x) { return xtad::log1p(x); });
}
TEST_CASE("log2") {
    check_op<1>("log2", refs::log2, [](auto const&, auto const& x) { return xtad::log2(x); });
}
TEST_CASE("log10") {
    check_op<1>("log10", refs::log10, [](auto const&, auto const& x) { return xtad::log10(x); });
}
TEST_CASE("sin") {
    check_op<1>("sin", refs::sin, [](auto const&, auto const& x) { return xtad::sin(x); });
}
TEST_CASE("cos") {
    check_op<1>("cos", refs::cos, [](auto const&, auto const& x) { return xtad::cos(x); });
}
TEST_CASE("tan") {
    check_op<1>("tan", refs::tan, [](auto const&, auto const& x) { return xtad::tan(x); });
}
TEST_CASE("asin") {
    check_op<1>("asin", refs::asin, [](auto const&, auto const& x) { return xtad::asin(x); });
}
TEST_CASE("acos") {
    check_op<1>("acos", refs::acos, [](auto const&, auto const& x) { return xtad::acos(x); });
}
TEST_CASE("atan") {
    check_op<1>("atan", refs::atan, [](auto const&, auto const& x) { return xtad::atan(x); });
}
TEST_CASE("sinh") {
    check_op<1>("sinh", refs::sinh, [](auto const&, auto const& x) { return xtad::sinh(x); });
}
TEST_CASE("cosh") {
    check_op<1>("cosh", refs::cosh, [](auto const&, auto const& x) { return xtad::cosh(x); });
}
TEST_CASE("tanh") {
    check_op<1>("tanh", refs::tanh, [](auto const&, auto const& x) { return xtad::tanh(x); });
}
TEST_CASE("asinh") {
    check_op<1>("asinh", refs::asinh, [](auto const&, auto const& x) { return xtad::asinh(x); });
}
TEST_CASE("acosh") {
    check_op<1>("acosh", refs::acosh, [](auto const&, auto const& x) { return xtad::acosh(x); });
}
TEST_CASE("atanh") {
    check_op<1>("atanh", refs::atanh, [](auto const&, auto const& x) { return xtad::atanh(x); });
}
TEST_CASE("abs") {
    check_op<1>("abs", refs::abs, [](auto const&, auto const& x) { return xtad::abs(x); });
}
TEST_CASE("sign") {
    check_op<1>("sign", refs::sign, [](auto const&, auto const& x) { return xtad::sign(x); });
}
TEST_CASE("sigmoid") {
    check_op<1>("sigmoid", refs::sigmoid,
                [](auto const&, auto const& x) { return xtad::sigmoid(x); });
}
TEST_CASE("erf") {
    check_op<1>("erf", refs::erf, [](auto const&, auto const& x) { return xtad::erf(x); });
}
TEST_CASE("clamp") {
    check_op<1>("clamp", refs::clamp,
                [](auto const& p, auto const& x) { return xtad::clamp(x, p[0], p[1]); });
}
TEST_CASE("pow<-3>") {
    check_op<1>("pow<-3>", refs::pow_n3,
                [](auto const&, auto const& x) { return xtad::pow<-3>(x); });
}
TEST_CASE("pow<-2>") {
    check_op<1>("pow<-2>", refs::pow_n2,
                [](auto const&, auto const& x) { return xtad::pow<-2>(x); });
}
TEST_CASE("pow<-1>") {
    check_op<1>("pow<-1>", refs::pow_n1,
                [](auto const&, auto const& x) { return xtad::pow<-1>(x); });
}
TEST_CASE("pow<0>") {
    check_op<1>("pow<0>", refs::pow_0, [](auto const&, auto const& x) { return xtad::pow<0>(x); });
}
TEST_CASE("pow<1>") {
    check_op<1>("pow<1>", refs::pow_1, [](auto const&, auto const& x) { return xtad::pow<1>(x); });
}
TEST_CASE("pow<2>") {
    check_op<1>("pow<2>", refs::pow_2, [](auto const&, auto const& x) { return xtad::pow<2>(x); });
}
TEST_CASE("pow<3>") {
    check_op<1>("pow<3>", refs::pow_3, [](auto const&, auto const& x) { return xtad::pow<3>(x); });
}
TEST_CASE("pow<4>") {
    check_op<1>("pow<4>", refs::pow_4, [](auto const&, auto const& x) { return xtad::pow<4>(x); });
}
TEST_CASE("pow(x, c)") {
    check_op<1>("pow(x, c)", refs::pow_xc,
                [](auto const& p, auto const& x) { return xtad::pow(x, p[0]); });
}
