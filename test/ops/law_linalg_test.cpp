// Products, transposes and slices through the shared law checker, in double and float, to
// second order: matmul in its 1-D, 2-D and batched forms (1 x 1 and non-square included), dot,
// outer, transpose, permute, view, diagonal, trace, filter and element access on expressions;
// and their errors and printed forms. Their values and Jacobians against PyTorch are in
// test/functional/torch_jacobian_test.cpp, their Hessians in torch_hessian_test_6.cpp.
#include "support/error_of.hpp"
#include "support/law.hpp"
#include "support/printed.hpp"

#include <xtad/io.hpp>
#include <xtad/ops.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace xtad;

namespace {

std::string shapes_str(shape_t const& a, shape_t const& b) {
    return detail::shape_str(a) + " @ " + detail::shape_str(b);
}

/// The law of f(x, y) at random points of each pair of shapes, in double and float.
template <class F>
void law_pairs(std::string const& name, F const& f,
               std::vector<std::pair<shape_t, shape_t>> const& shapes) {
    std::mt19937 rng(2026);
    for (auto const& [sa, sb] : shapes) {
        auto const x = law::draw(sa, {}, rng);
        auto const y = law::draw(sb, {}, rng);
        std::string const what = name + " " + shapes_str(sa, sb);
        law::check_at<double>(what + " (double)", f, x, y);
        law::check_at<float>(what + " (float)", f, x, y);
    }
}

} // namespace

TEST_CASE("law: matmul") {
    using S = shape_t;
    law_pairs("matmul", [](auto const& a, auto const& b) { return matmul(a, b); },
              {
                  {S{1, 1}, S{1, 1}},          // 1 x 1
                  {S{2, 3}, S{3, 4}},          // matrix @ matrix, non-square
                  {S{3, 2}, S{2}},             // matrix @ vector
                  {S{3}, S{3, 2}},             // vector @ matrix
                  {S{4}, S{4}},                // vector @ vector: a 0-d result
                  {S{1}, S{1, 1}},             // a vector of one element
                  {S{2, 2, 3}, S{3, 2}},       // a batch @ a matrix
                  {S{2, 3}, S{2, 3, 1}},       // a matrix @ a batch
                  {S{3, 1, 2, 3}, S{2, 3, 2}}, // batch axes that broadcast
                  {S{2, 2, 3}, S{3}},          // a batch @ a vector
                  {S{3}, S{2, 3, 2}},          // a vector @ a batch
              });
    // Products of products and of their transposes, so that the second derivatives go through
    // the adjoints' own products.
    law_pairs("matmul(transpose(a), matmul(a, b))",
              [](auto const& a, auto const& b) { return matmul(transpose(a), matmul(a, b)); },
              {{S{2, 3}, S{3, 2}}, {S{1, 1}, S{1, 1}}, {S{3, 2}, S{2}}});
    law_pairs("matmul(b, transpose(a)) * matmul(a, transpose(b))",
              [](auto const& a, auto const& b) {
                  return matmul(b, transpose(a)) * matmul(a, transpose(b));
              },
              {{S{2, 3}, S{2, 3}}, {S{1, 1}, S{1, 1}}});
}

TEST_CASE("law: dot and outer") {
    using S = shape_t;
    law_pairs("dot", [](auto const& a, auto const& b) { return dot(a, b * b); },
              {{S{5}, S{5}}, {S{1}, S{1}}});
    law_pairs("outer", [](auto const& a, auto const& b) { return outer(exp(a), b); },
              {{S{3}, S{2}}, {S{1}, S{4}}});
}

TEST_CASE("law: transpose") {
    law::unary("transpose", [](auto const& x) { return transpose(x) * 2.0; }, law::domain{},
               {{1, 1}, {2, 3}, {2, 3, 4}, {5}, {}});
    law::unary("transpose(x, {1, 2, 0})",
               [](auto const& x) {
                   return transpose(sin(x), {1, 2, 0});
               },
               law::domain{}, {{2, 3, 4}, {1, 2, 1}});
    law::unary("transpose(x, {-1, 0})",
               [](auto const& x) {
                   return transpose(x, {-1, 0}) * x(0, 0);
               },
               law::domain{}, {{3, 2}, {1, 1}});
}

TEST_CASE("products and transposes: errors name the op and the shapes as written") {
    auto a = var<"A">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    auto x = var<"x">(xt::xarray<double>{1., 2.});
    auto s = var<"s">(xt::xarray<double>(2.));
    CHECK(error_of([&] { (void)matmul(a, a); })
          == "xtad::matmul: the inner dimensions do not match (3 and 2): (2, 3) @ (2, 3)");
    CHECK(error_of([&] { (void)matmul(a, x); })
          == "xtad::matmul: the inner dimensions do not match (3 and 2): (2, 3) @ (2,)");
    CHECK(error_of([&] { (void)matmul(s, x); })
          == "xtad::matmul: both operands need at least one dimension, not () @ (2,)");
    CHECK(error_of([&] { (void)dot(a, x); }) == "xtad::dot: needs two vectors, not (2, 3) @ (2,)");
    CHECK(error_of([&] { (void)outer(x, a); })
          == "xtad::outer: needs two vectors, not (2,) @ (2, 3)");
    CHECK(
        error_of([&] {
            (void)transpose(a, {0, 0});
        })
        == "xtad::transpose: (0, 0) is not a permutation of the axes of a tensor of shape (2, 3)");
    CHECK(
        error_of([&] {
            (void)transpose(a, {1, 2});
        })
        == "xtad::transpose: (1, 2) is not a permutation of the axes of a tensor of shape (2, 3)");
    CHECK(
        error_of([&] {
            (void)transpose(a, {-3, 1});
        })
        == "xtad::transpose: (-3, 1) is not a permutation of the axes of a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)transpose(a, {0}); })
          == "xtad::transpose: (0,) is not a permutation of the axes of a tensor of shape (2, 3)");
    // Batch axes that do not broadcast.
    auto b = var<"B">(xt::xarray<double>(xt::ones<double>({3, 2, 2})));
    auto c = var<"C">(xt::xarray<double>(xt::ones<double>({2, 2, 2})));
    CHECK(error_of([&] { (void)matmul(b, c); }).find("xtad::matmul: ") == 0);
}

TEST_CASE("products and transposes print as torch names them") {
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto x = var<"x">(xt::xarray<double>{1., -1.});
    auto b = var<"B">(xt::xarray<double>(xt::ones<double>({2, 2, 2})));
    CHECK(printed(matmul(a, a)).find("grad_fn=<MmBackward0>") != std::string::npos);
    CHECK(printed(matmul(a, x)).find("grad_fn=<MvBackward0>") != std::string::npos);
    CHECK(printed(matmul(x, a)).find("grad_fn=<SqueezeBackward3>") != std::string::npos);
    CHECK(printed(dot(x, x)) == "tensor(2., grad_fn=<DotBackward0>)");
    CHECK(printed(matmul(b, a)).find("grad_fn=<UnsafeViewBackward0>") != std::string::npos);
    CHECK(printed(matmul(a, b)).find("grad_fn=<CloneBackward0>") != std::string::npos);
    CHECK(printed(transpose(a))
          == "tensor([[1., 3.],\n        [2., 4.]], grad_fn=<PermuteBackward0>)");
    CHECK(to_string(matmul(a, transpose(a))) == "matmul(A, transpose(A))");
    CHECK(to_latex(matmul(a, x)) == "\\operatorname{matmul}\\left(A, x\\right)");
}

TEST_CASE("law: view") {
    using xt::placeholders::_;
    law::unary("view(x, xt::all(), 0)", [](auto const& x) { return view(x, xt::all(), 0); },
               law::domain{}, {{2, 3}, {1, 1}});
    law::unary("view(x, -1)", [](auto const& x) { return view(x * x, -1); }, law::domain{},
               {{2, 3}, {3}});
    law::unary(
        "view(x, xt::range(1, _)) - view(x, xt::range(_, -1))",
        [](auto const& x) { return view(x, xt::range(1, _)) - pow<2>(view(x, xt::range(_, -1))); },
        law::domain{}, {{7}, {2, 3}});
    law::unary("view(x, xt::range(_, _, 2), xt::newaxis(), xt::ellipsis())",
               [](auto const& x) {
                   return sin(view(x, xt::range(_, _, 2), xt::newaxis(), xt::ellipsis()));
               },
               law::domain{}, {{5, 2}, {3, 1, 2}});
    law::unary("view(x, xt::range(-1, _, -2))",
               [](auto const& x) { return view(x, xt::range(-1, _, -2)); }, law::domain{},
               {{7}, {4, 2}});
}

TEST_CASE("view: errors name the slice as written, and torch names its backward") {
    using xt::placeholders::_;
    auto a = var<"A">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    CHECK(error_of([&] { (void)view(a, 2); })
          == "xtad::view: index 2 of [2] is out of range for axis 0 of size 2");
    CHECK(error_of([&] { (void)view(a, xt::all(), -4); })
          == "xtad::view: index -4 of [:, -4] is out of range for axis 1 of size 3");
    CHECK(error_of([&] { (void)view(a, 0, 0, 0); })
          == "xtad::view: [0, 0, 0] has more indices than a tensor of shape (2, 3) has axes");
    CHECK(printed(view(a, xt::all(), 0)) == "tensor([1., 4.], grad_fn=<SelectBackward0>)");
    CHECK(printed(view(a, 1, xt::all())) == "tensor([4., 5., 6.], grad_fn=<SliceBackward0>)");
    CHECK(printed(view(a, xt::range(1, _))) == "tensor([[4., 5., 6.]], grad_fn=<SliceBackward0>)");
    CHECK(printed(view(a, 0, xt::newaxis()))
          == "tensor([[1., 2., 3.]], grad_fn=<UnsqueezeBackward0>)");
    CHECK(printed(view(a, -1)) == "tensor([4., 5., 6.], grad_fn=<SelectBackward0>)");
    // The leaf changes shape after the view was built: the view says so.
    auto x = var<"x">(xt::xarray<double>{1., 2., 3.});
    auto const v = view(x, xt::range(1, _));
    x.value() = xt::xarray<double>{1., 2.};
    CHECK(error_of([&] { (void)eval(v); })
          == "xtad::view: the view [1:] was made for a tensor of shape (3,), which now has shape "
             "(2,)");
}

TEST_CASE("law: diagonal and trace") {
    law::unary("diagonal(x)", [](auto const& x) { return diagonal(x * x); }, law::domain{},
               {{3, 3}, {2, 4}, {4, 2}, {1, 1}});
    law::unary("diagonal(x, 1) and diagonal(x, -1)",
               [](auto const& x) { return diagonal(x, 1) * exp(diagonal(x, -1)); }, law::domain{},
               {{3, 3}, {4, 4}});
    law::unary("diagonal(x, 0, -2, -1) of a batch",
               [](auto const& x) { return sin(diagonal(x, 0, -2, -1)); }, law::domain{},
               {{2, 3, 3}, {3, 2, 4}});
    law::unary("diagonal(x, -1, 2, 0)", [](auto const& x) { return diagonal(x, -1, 2, 0); },
               law::domain{}, {{3, 2, 4}});
    law::unary("trace(x)", [](auto const& x) { return trace(x) * trace(x * x); }, law::domain{},
               {{3, 3}, {2, 4}, {1, 1}});
    // At random points only, as the products above: at an infinite element, BLAS's sums meet
    // 0 · inf in one mode and not in the other.
    std::mt19937 rng(2026);
    for (shape_t const& s : {shape_t{2, 3}, shape_t{3, 3}}) {
        auto const x = law::draw(s, {}, rng);
        auto const f = [](auto const& a) { return trace(matmul(a, transpose(a))); };
        law::check_at<double>("trace(matmul(x, transpose(x)))", f, x);
        law::check_at<float>("trace(matmul(x, transpose(x))) (float)", f, x);
    }
}

TEST_CASE("diagonal and trace: values, gradients, errors and names as torch's") {
    auto a = var<"A">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});
    CHECK(eval(diagonal(a)) == xt::xarray<double>{1., 5.});
    CHECK(eval(diagonal(a, 1)) == xt::xarray<double>{2., 6.});
    CHECK(eval(diagonal(a, -1)) == xt::xarray<double>{4.});
    CHECK(eval(diagonal(a, 3)).shape() == xt::xarray<double>::shape_type{0});
    CHECK(eval(diagonal(a, 0, 1, 0)) == xt::xarray<double>{1., 5.});
    CHECK(eval(trace(a)) == xt::xarray<double>(6.));
    auto [g] = grad(trace(a) + sum(diagonal(a, 1) * 2.), wrt(a));
    CHECK(g == xt::xarray<double>{{1., 2., 0.}, {0., 1., 2.}});
    CHECK(printed(diagonal(a)) == "tensor([1., 5.], grad_fn=<DiagonalBackward0>)");
    CHECK(printed(trace(a)) == "tensor(6., grad_fn=<TraceBackward0>)");
    CHECK(to_string(trace(a * a)) == "trace(A*A)");
    CHECK(error_of([&] { (void)diagonal(a, 0, 0, 2); })
          == "xtad::diagonal: axes 0 and 2 are not two axes of a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)diagonal(a, 0, 1, -1); })
          == "xtad::diagonal: axes 1 and -1 are not two axes of a tensor of shape (2, 3)");
    CHECK(error_of([&] { (void)trace(sum(a, {0})); })
          == "xtad::trace: needs a matrix, not a tensor of shape (3,)");
    auto const t = trace(a);
    a.value() = xt::xarray<double>{{1., 2.}, {3., 4.}};
    CHECK(error_of([&] { (void)eval(t); })
          == "xtad::trace: the trace was made for a tensor of shape (2, 3), which now has shape "
             "(2, 2)");
}

TEST_CASE("element access z(i, j) on any expression, with torch's negative indices") {
    auto x = var<"x">(xt::xarray<double>{1., 2., 3.});
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto const z = x * x;
    CHECK(eval(z(-1)) == xt::xarray<double>(9.));
    CHECK(eval(matmul(a, a)(1, 0)) == xt::xarray<double>(15.));
    CHECK(eval(sum(a, {0})(0)) == xt::xarray<double>(4.));
    CHECK(eval(transpose(a)(0, 1)) == xt::xarray<double>(3.));
    auto [g] = grad(z(1) + exp(x)(0), wrt(x));
    CHECK(g == xt::xarray<double>{std::exp(1.), 4., 0.});
    // the derivative of an expression is an expression: its elements are read the same way
    CHECK(eval(derivative(sum(z * x), wrt(x))(2)) == xt::xarray<double>(27.));
    CHECK(error_of([&] { (void)z(3); })
          == "xtad::index: index (3) is out of range for a tensor of shape (3,)");
    law::unary("(x * x)(-1, 0) + sin(x)(0, 1)",
               [](auto const& v) { return (v * v)(-1, 0) + sin(v)(0, 1); }, law::domain{},
               {{2, 2}, {3, 2}});
}

TEST_CASE("law: filter") {
    law::unary("filter(x * x, x > 0)", [](auto const& x) { return filter(x * x, x > 0.); },
               law::domain{}, {{7}, {2, 3}});
    law::unary("sin(filter(x, abs(x) < 1)) * 2",
               [](auto const& x) { return sin(filter(x, abs(x) < 1.)) * 2.; }, law::domain{},
               {{7}, {3, 1, 2}});
}

TEST_CASE("filter: its mask is counted when it is built, and checked at each evaluation") {
    auto a = var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto const f = filter(a, a > 2.);
    CHECK(printed(f) == "tensor([3., 4.], grad_fn=<IndexBackward0>)");
    CHECK(to_string(f) == "filter(A, A > 2)");
    // A mask of a constant tensor: the gradient reaches the selected elements only.
    xt::xarray<bool> const keep = {{true, false}, {false, true}};
    auto [g] = grad(sum(xtad::filter(a * a, keep)), wrt(a)); // qualified: keep brings in xt::filter
    CHECK(g == xt::xarray<double>{{2., 0.}, {0., 8.}});
    CHECK(error_of([&] {
              (void)xtad::filter(a, xt::xarray<bool>{true, false});
          })
          == "xtad::filter: the mask has shape (2,) but the tensor has shape (2, 2)");
    // The leaf changes so that the mask selects three elements, not two.
    a.value() = xt::xarray<double>{{1., 5.}, {3., 4.}};
    CHECK(error_of([&] { (void)eval(f); })
          == "xtad::filter: the mask selects 3 elements now, but 2 when the expression was "
             "built; build it again");
    // Two elements still, but others: the value and the gradient follow the mask's new value.
    a.value() = xt::xarray<double>{{5., 1.}, {3., 0.}};
    CHECK(eval(f) == xt::xarray<double>{5., 3.});
    auto [h] = grad(sum(f * f), wrt(a));
    CHECK(h == xt::xarray<double>{{10., 0.}, {6., 0.}});
}
