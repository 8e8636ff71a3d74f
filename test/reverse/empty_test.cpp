// Empty tensors, shapes (0,), (0, 3) and (3, 0), through every entry point: eval, grad,
// grad_into, backward, derivative, the reductions, broadcasting, jacfwd, jacrev, jacobian, jvp,
// vjp, hvp and the three Hessian routes. The values are PyTorch 1.13's (scripts/torch_empty.py
// prints them): the sum of nothing is 0, the product 1, the norm 0, the mean NaN; a gradient has
// its leaf's shape, and a leaf broadcast against an empty tensor gets zeros. Under the CI's UBSan
// these also check that xtensor is never handed an empty operand it cannot take (issue 17, 11).
#include <xtad/functional.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

using namespace xtad;

namespace {

std::vector<shape_t> const empty_shapes = {{0}, {0, 3}, {3, 0}};

std::string show(shape_t const& s) {
    return detail::shape_str(s);
}

/// `got` has shape `want` (and so, for an empty shape, no element).
template <class T>
void check_shape(T const& got, shape_t const& want) {
    CHECK_MESSAGE(std::equal(got.shape().begin(), got.shape().end(), want.begin(), want.end()),
                  "shape " << show(detail::to_shape(got.shape())) << ", want " << show(want));
}

/// `got` has shape `want` and every element equal to `v` (NaN matching NaN).
template <class T>
void check_filled(T const& got, shape_t const& want, double v) {
    check_shape(got, want);
    for (std::size_t i = 0; i < got.size(); ++i) {
        double const g = got.flat(i);
        CHECK_MESSAGE((std::isnan(v) ? std::isnan(g) : g == v),
                      "[" << i << "] = " << g << ", want " << v);
    }
}

/// The shape `s` with axis `a` removed.
shape_t without(shape_t s, std::size_t a) {
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(a));
    return s;
}

/// `s` twice: the shape of a Jacobian or Hessian of a function from and to shape `s`.
shape_t twice(shape_t const& s) {
    shape_t r = s;
    r.insert(r.end(), s.begin(), s.end());
    return r;
}

} // namespace

TEST_CASE("empty tensors: eval, grad, grad_into, backward and derivative of an elementwise tree") {
    for (shape_t const& s : empty_shapes) {
        INFO("x of shape " << show(s));
        auto x = var<"x">(xt::xarray<double>(s));
        auto e = sin(x) * x + exp(x) / 2.0;
        check_shape(eval(e), s);
        auto [g] = grad(e, wrt(x), ones_like(e));
        check_shape(g, s);
        xt::xarray<double> gi;
        grad_into(std::tie(gi), e, wrt(x), ones_like(e));
        check_shape(gi, s);
        backward(e, ones_like(e));
        check_shape(x.grad(), s);
        check_shape(eval(derivative(e, wrt(x), ones_like(e))), s);
    }
}

TEST_CASE("empty tensors: sum 0, prod 1, norm 0, mean NaN, over all elements and over an axis") {
    double const nan = std::nan("");
    for (shape_t const& s : empty_shapes) {
        auto x = var<"x">(xt::xarray<double>(s));
        auto const check = [&](auto const& r, shape_t const& rs, double v, char const* what) {
            INFO(what << " of x of shape " << show(s));
            check_filled(eval(r), rs, v);
            auto [g] = grad(r, wrt(x), ones_like(r));
            check_shape(g, s);
            backward(r, ones_like(r));
            check_shape(x.grad(), s);
        };
        check(sum(x), {}, 0., "sum");
        check(prod(x), {}, 1., "prod");
        check(norm(x), {}, 0., "norm");
        check(mean(x), {}, nan, "mean");
        for (std::size_t a = 0; a < s.size(); ++a) {
            auto const ax = static_cast<std::ptrdiff_t>(a);
            check(sum(x, {ax}), without(s, a), 0., "sum over an axis");
            check(prod(x, {ax}), without(s, a), 1., "prod over an axis");
            check(norm(x, {ax}), without(s, a), 0., "norm over an axis");
            check(mean(x, {ax}), without(s, a), nan, "mean over an axis");
        }
    }
}

TEST_CASE("empty tensors: a leaf broadcast against an empty tensor gets a gradient of zeros") {
    // torch: x (0, 3) * y (3,) has shape (0, 3), and y.grad is [0, 0, 0]
    for (shape_t const& s : empty_shapes) {
        INFO("x of shape " << show(s));
        auto x = var<"x">(xt::xarray<double>(s));
        std::vector<shape_t> y_shapes = {{1}, {}};
        if (s.back() != 0) {
            y_shapes.push_back({s.back()});
        }
        for (shape_t const& ys : y_shapes) {
            INFO("y of shape " << show(ys));
            auto y = var<"y">(xt::xarray<double>(ys, 2.));
            auto e = x * y;
            check_shape(eval(e), s);
            auto [gx, gy] = grad(e, wrt(x, y), ones_like(e));
            check_shape(gx, s);
            check_filled(gy, ys, 0.);
            xt::xarray<double> gx2, gy2;
            grad_into(std::tie(gx2, gy2), e, wrt(x, y), ones_like(e));
            check_filled(gy2, ys, 0.);
            backward(sum(e));
            check_filled(y.grad(), ys, 0.);
            check_filled(eval(derivative(e, wrt(y), ones_like(e))), ys, 0.);
        }
    }
}

TEST_CASE("empty tensors: stack, concatenate and reshape") {
    for (shape_t const& s : empty_shapes) {
        INFO("x of shape " << show(s));
        auto x = var<"x">(xt::xarray<double>(s));
        auto st = stack(x, x);
        shape_t ss = s;
        ss.insert(ss.begin(), 2);
        check_shape(eval(st), ss);
        check_shape(std::get<0>(grad(st, wrt(x), ones_like(st))), s);
        auto ca = concatenate(0, x, x);
        shape_t cs = s;
        cs[0] *= 2;
        check_shape(eval(ca), cs);
        check_shape(std::get<0>(grad(ca, wrt(x), ones_like(ca))), s);
        auto re = reshape(x, {0, 1});
        check_shape(eval(re), {0, 1});
        check_shape(std::get<0>(grad(re, wrt(x), ones_like(re))), s);
    }
}

TEST_CASE("empty tensors: jacfwd, jacrev, jacobian, jvp and vjp") {
    auto const f = [](auto const& v) { return sin(v) * 2.0; };
    auto const g = [](auto const& v, auto const& w) { return v * w; };
    for (shape_t const& s : empty_shapes) {
        INFO("x of shape " << show(s));
        xt::xarray<double> const x0(s);
        check_shape(jacfwd(f, at(x0)), twice(s));
        check_shape(jacrev(f, at(x0)), twice(s));
        check_shape(jacobian(f, at(x0)), twice(s));
        auto const [y, t] = jvp(f, at(x0), x0);
        check_shape(y, s);
        check_shape(t, s);
        auto const [y2, w] = vjp(f, at(x0), x0);
        check_shape(y2, s);
        check_shape(w, s);
        // a second input of one element, broadcast against the empty one
        xt::xarray<double> const y0 = {2.};
        shape_t s1 = s;
        s1.push_back(1);
        check_shape(std::get<1>(jacfwd(g, at(x0, y0))), s1);
        check_shape(std::get<1>(jacrev(g, at(x0, y0))), s1);
    }
}

TEST_CASE("empty tensors: hvp and the Hessian by its three routes (functorch: shape s + s)") {
    // torch.autograd.functional.hessian fails on an empty input ("stack expects a non-empty
    // TensorList"); functorch.hessian gives the empty Hessian of shape s + s, as xtad.
    auto const h = [](auto const& v) { return mean(v) + sum(sin(v) * v); };
    for (shape_t const& s : empty_shapes) {
        INFO("x of shape " << show(s));
        xt::xarray<double> const x0(s);
        check_shape(hessian(h, at(x0)), twice(s));
        check_shape(hessian<route::forward_over_forward>(h, at(x0)), twice(s));
        check_shape(hessian<route::reverse_over_reverse>(h, at(x0)), twice(s));
        auto const [value, hv] = hvp(h, at(x0), x0);
        check_filled(value, {}, std::nan(""));
        check_shape(hv, s);
    }
}
