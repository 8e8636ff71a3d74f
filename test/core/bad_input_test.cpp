// Misuse that only the data shows: each throws xtad::error, whose message names the op and the
// shapes or values at fault. (grad_test.cpp has the first cases: add, sum's axis, grad's seed,
// backward without a seed, reshape, concatenate's shapes, stack and an index out of range.)
#include <xtad/functional.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include "support/error_of.hpp"

#include <string>
#include <tuple>
#include <type_traits>

using namespace xtad;

namespace {

xt::xarray<double> const v3 = {1., 2., 3.};
xt::xarray<double> const v2 = {1., 2.};
xt::xarray<double> const m23 = {{1., 2., 3.}, {4., 5., 6.}};
xt::xarray<double> const m32 = {{1., 2.}, {3., 4.}, {5., 6.}};

} // namespace

TEST_CASE("every binary op names itself and both shapes when they do not broadcast") {
    auto a = var<"a">(v3);
    auto b = var<"b">(v2);
    CHECK(error_of([&] { (void)(a - b); }) == "xtad::sub: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)(a * b); }) == "xtad::mul: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)(a / b); }) == "xtad::div: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)pow(a, b); }) == "xtad::pow: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)maximum(a, b); })
          == "xtad::maximum: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)minimum(a, b); })
          == "xtad::minimum: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)atan2(a, b); })
          == "xtad::atan2: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)(a < b); }) == "xtad::lt: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)eq(a, b); }) == "xtad::eq: shapes (3,) and (2,) do not broadcast");
    CHECK(error_of([&] { (void)((a > 0.) & (b > 0.)); })
          == "xtad::logical_and: shapes (3,) and (2,) do not broadcast");
}

TEST_CASE("a shape mismatch with a plain tensor, in 2-d, and inside a larger tree") {
    auto a = var<"a">(m23);
    CHECK(error_of([&] { (void)(a * m32); })
          == "xtad::mul: shapes (2, 3) and (3, 2) do not broadcast");
    CHECK(error_of([&] { (void)(m32 + a); })
          == "xtad::add: shapes (3, 2) and (2, 3) do not broadcast");
    // The innermost node at fault is named, with its own operands' shapes.
    auto b = var<"b">(v2);
    CHECK(error_of([&] { (void)sin(2. * a + exp(b)); })
          == "xtad::add: shapes (2, 3) and (2,) do not broadcast");
    // A reduction's result that does not fit.
    CHECK(error_of([&] { (void)(a * sum(a, {1})); })
          == "xtad::mul: shapes (2, 3) and (2,) do not broadcast");
}

TEST_CASE("where: a mask that does not broadcast with the branches, or branches that do not") {
    auto a = var<"a">(v3);
    auto b = var<"b">(v2);
    xt::xarray<bool> const mask2 = {true, false};
    CHECK(error_of([&] { (void)where(mask2, a, 0.); })
          == "xtad::where: shapes (2,) and (3,) do not broadcast");
    CHECK(error_of([&] { (void)where(b > 0., a, a); })
          == "xtad::where: shapes (2,) and (3,) do not broadcast");
    CHECK(error_of([&] { (void)where(a > 0., a, b); })
          == "xtad::where: shapes (3,) and (2,) do not broadcast");
    // A mask of the same number of elements but another shape does not broadcast either.
    auto m = var<"m">(m23);
    xt::xarray<bool> const mask32 = xt::ones<bool>({3, 2});
    CHECK(error_of([&] { (void)where(mask32, m, 0.); })
          == "xtad::where: shapes (3, 2) and (2, 3) do not broadcast");
}

TEST_CASE("indices, axes and shapes out of range") {
    auto x = var<"x">(m23);
    auto y = var<"y">(m23);
    CHECK(error_of([&] { (void)x(0, 3); })
          == "xtad::index: index (0, 3) is out of range for a tensor of shape (2, 3)");
    // Too few or too many indices for the rank.
    CHECK(error_of([&] { (void)x(1); })
          == "xtad::index: index (1) is out of range for a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)x(0, 0, 0); })
          == "xtad::index: index (0, 0, 0) is out of range for a tensor of shape (2, 3)");
    // Negative indices count from the end, as in torch; out of range, they print as written.
    CHECK(eval(x(-1, -1))() == m23(1, 2));
    CHECK(eval(index(x * 2., -2, 0))() == 2. * m23(0, 0));
    auto [g] = grad(x(-1, 0), wrt(x));
    CHECK(g(1, 0) == 1.);
    CHECK(xt::sum(g)() == 1.);
    CHECK(error_of([&] { (void)x(-3, 0); })
          == "xtad::index: index (-3, 0) is out of range for a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)concatenate(2, x, y); })
          == "xtad::concatenate: axis 2 is out of range for tensors of shape (2, 3)");
    auto z = var<"z">(v3);
    CHECK(error_of([&] { (void)concatenate(0, x, z); })
          == "xtad::concatenate: expression 1 has shape (3,), which does not match the others "
             "but along axis 0");
    CHECK(error_of([&] {
              (void)reshape(x, {4, 2});
          })
          == "xtad::reshape: a tensor of shape (2, 3) cannot be reshaped to (4, 2)");
    CHECK(error_of([&] {
              (void)reshape(x, {-1, -1});
          })
          == "xtad::reshape: a tensor of shape (2, 3) cannot be reshaped to (-1, -1)");
    CHECK(error_of([&] {
              (void)reshape(x, {-2, 3});
          })
          == "xtad::reshape: a tensor of shape (2, 3) cannot be reshaped to (-2, 3)");
    CHECK(error_of([&] {
              (void)reshape(x, {0, -1});
          })
          == "xtad::reshape: a tensor of shape (2, 3) cannot be reshaped to (0, -1)");
    CHECK(error_of([&] { (void)mean(x, {-3}); })
          == "xtad::mean: axis -3 is out of range for a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)prod(x, {2}); })
          == "xtad::prod: axis 2 is out of range for a tensor of shape (2, 3)");
    CHECK(error_of([&] {
              (void)norm(x, {0, 5});
          })
          == "xtad::norm: axis 5 is out of range for a tensor of shape (2, 3)");
    CHECK(error_of([&] {
              (void)sum(x, {1, -1});
          })
          == "xtad::sum: axes 1 and -1 are the same axis of a tensor of shape (2, 3)");
}

TEST_CASE("seeds and tangents of the wrong shape name the function and both shapes") {
    auto a = var<"a">(m23);
    auto e = 2. * a;
    xt::xarray<double> const bad = xt::ones<double>({3, 2});
    CHECK(error_of([&] { (void)grad(e, wrt(a), bad); })
          == "xtad::grad: the seed has shape (3, 2) but the expression has shape (2, 3); pass a "
             "seed of the expression's shape");
    CHECK(error_of([&] { backward(e, bad); })
          == "xtad::backward: the seed has shape (3, 2) but the expression has shape (2, 3); pass "
             "a seed of the expression's shape");
    xt::xarray<double> out;
    CHECK(error_of([&] { grad_into(std::tie(out), e, wrt(a), bad); })
          == "xtad::grad_into: the seed has shape (3, 2) but the expression has shape (2, 3); "
             "pass a seed of the expression's shape");
    // A seed of the right number of elements in the wrong shape, and a 0-d seed for a tensor.
    CHECK(error_of([&] {
              (void)grad(e, wrt(a), xt::xarray<double>::from_shape({6}));
          }).find("xtad::grad: the seed has shape (6,) but the expression has shape (2, 3)")
          == 0);
    CHECK(error_of([&] {
              (void)grad(e, wrt(a), xt::xarray<double>(1.));
          }).find("xtad::grad: the seed has shape () but the expression has shape (2, 3)")
          == 0);
    // backward(e) without a seed, at run time: e is not one element.
    CHECK(error_of([&] { backward(e); })
          == "xtad::backward: the expression has shape (2, 3) (6 elements); without a seed it "
             "needs exactly one element. Pass a seed of shape (2, 3), e.g. ones_like(e)");
    // Nothing was accumulated by the failed calls.
    CHECK_FALSE(a.has_grad());

    auto f = [](auto const& x) { return sin(x) * 2.; };
    CHECK(error_of([&] { (void)jvp(f, at(m23), bad); })
          == "xtad::jvp: the tangent has shape (3, 2) but the input has shape (2, 3)");
    CHECK(error_of([&] { (void)vjp(f, at(m23), bad); })
          == "xtad::vjp: the cotangent has shape (3, 2) but the function's output has shape "
             "(2, 3)");
}
