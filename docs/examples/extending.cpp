// Adding an elementwise op (docs/extending.md): softplus, a function of one argument, and
// logaddexp, of two, written as users write them, with xtad::apply. Each is checked the way
// xtad's own ops are: the values and first derivatives against their closed forms, forward mode
// against reverse mode, and gradcheck and gradgradcheck against finite differences; the printed
// forms are checked too. A mismatch exits with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

// [softplus]
/// softplus(x) = log(1 + e^x), torch.nn.functional.softplus.
struct softplus_op : xtad::function_op<"softplus", "SoftplusBackward0"> {
    // The value, on numbers (double, float, ...).
    template <class T>
    T value(T const& x) const {
        using std::exp, std::log1p;
        return log1p(exp(x));
    }
    // d/dx softplus(x) = sigmoid(x), as an xtad expression of the argument: reverse mode
    // multiplies it into the adjoint, forward mode evaluates it at each point, and derivative()
    // and the second-order routes differentiate it again.
    template <class X>
    auto partial(X const& x) const {
        return xtad::sigmoid(x);
    }
};

template <class X>
auto softplus(X&& x) {
    return xtad::apply<softplus_op>(std::forward<X>(x));
}
// [softplus]

// [logaddexp]
/// logaddexp(x, y) = log(e^x + e^y), torch.logaddexp; computed without overflow.
struct logaddexp_op : xtad::function_op<"logaddexp", "LogaddexpBackward0"> {
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        using std::abs, std::exp, std::log1p, std::max, std::isnan;
        if (isnan(x) || isnan(y)) {
            return x + y; // NaN
        }
        if (x == y) {
            return x + std::log(2.0); // also inf + log 2 for two infinities of one sign
        }
        return max(x, y) + log1p(exp(-abs(x - y)));
    }
    // d/dx = e^x / (e^x + e^y) = sigmoid(x - y); d/dy = sigmoid(y - x)
    template <class X, class Y>
    auto partial_l(X const& x, Y const& y) const {
        return xtad::sigmoid(x - y);
    }
    template <class X, class Y>
    auto partial_r(X const& x, Y const& y) const {
        return xtad::sigmoid(y - x);
    }
};

template <class X, class Y>
auto logaddexp(X&& x, Y&& y) {
    return xtad::apply<logaddexp_op>(std::forward<X>(x), std::forward<Y>(y));
}
// [logaddexp]

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "extending.cpp: " << what << '\n';
        ++failures;
    }
}

bool close(xt::xarray<double> const& got, xt::xarray<double> const& want) {
    return got.shape() == want.shape() && xt::allclose(got, want, 1e-14, 1e-15);
}

std::string show(xt::xarray<double> const& x) {
    std::ostringstream out;
    out << x;
    return out.str();
}

void expect_close(xt::xarray<double> const& got, xt::xarray<double> const& want,
                  std::string const& what) {
    expect(close(got, want), what + ": " + show(got) + ", want " + show(want));
}

double sigmoid(double v) {
    return 1. / (1. + std::exp(-v));
}

} // namespace

int main() {
    xt::xarray<double> const p = {-3., -0.5, 0., 0.25, 4.};
    xt::xarray<double> const q = {1., -0.5, 2., -1., 30.};

    // [use]
    auto x = xtad::var<"x">(p);
    auto y = xtad::var<"y">(q);
    auto f = xtad::sum(softplus(x * y) + logaddexp(x, 2. * y));
    auto [gx, gy] = xtad::grad(f, xtad::wrt(x, y));
    std::cout << xtad::to_string(f) << '\n'; // sum(softplus(x*y) + logaddexp(x, 2*y))
    std::cout << softplus(x) << '\n';        // tensor([...], grad_fn=<SoftplusBackward0>)
    // [use]

    // The values and the gradients against the closed forms.
    xt::xarray<double> const v = xtad::eval(softplus(x * y) + logaddexp(x, 2. * y));
    xt::xarray<double> want_v = xt::zeros<double>(p.shape());
    xt::xarray<double> want_gx = want_v;
    xt::xarray<double> want_gy = want_v;
    for (std::size_t i = 0; i < p.size(); ++i) {
        double const a = p(i);
        double const b = q(i);
        want_v(i) = std::log1p(std::exp(a * b)) + std::log(std::exp(a) + std::exp(2 * b));
        want_gx(i) = sigmoid(a * b) * b + sigmoid(a - 2 * b);
        want_gy(i) = sigmoid(a * b) * a + 2 * sigmoid(2 * b - a);
    }
    expect_close(v, want_v, "value");
    expect_close(gx, want_gx, "d f / d x");
    expect_close(gy, want_gy, "d f / d y");
    expect(softplus(0.0) == std::log(2.0), "softplus on a number");

    // Forward mode, reverse mode and the transforms use the same rules.
    auto const g = [](auto const& a, auto const& b) { return softplus(a * b) + logaddexp(a, b); };
    auto const [jfx, jfy] = xtad::jacfwd(g, xtad::at(p, q));
    auto const [jrx, jry] = xtad::jacrev(g, xtad::at(p, q));
    expect_close(jfx, jrx, "jacfwd against jacrev in x");
    expect_close(jfy, jry, "jacfwd against jacrev in y");
    auto const h = [](auto const& a) { return xtad::sum(softplus(a) * logaddexp(a, 0.5)); };
    xt::xarray<double> const h_fr = xtad::hessian(h, xtad::at(p));
    xt::xarray<double> const h_ff =
        xtad::hessian<xtad::route::forward_over_forward>(h, xtad::at(p));
    xt::xarray<double> const h_rr =
        xtad::hessian<xtad::route::reverse_over_reverse>(h, xtad::at(p));
    expect(xt::allclose(h_fr, h_ff, 1e-13, 1e-15), "Hessian: forward over forward");
    expect(xt::allclose(h_fr, h_rr, 1e-13, 1e-15), "Hessian: reverse over reverse");

    // Finite differences, first and second order, in both modes.
    xtad::gradcheck_options const loose{.raise_exception = false};
    auto const one = [](auto const& a, auto const& b) { return logaddexp(softplus(a), b); };
    expect(xtad::gradcheck(one, xtad::at(p, q), loose).ok, "gradcheck");
    expect(xtad::gradgradcheck(one, xtad::at(p, q), loose).ok, "gradgradcheck");

    // The printers know the ops by the names given to function_op.
    expect(xtad::to_string(f) == "sum(softplus(x*y) + logaddexp(x, 2*y))",
           "formula: " + xtad::to_string(f));
    expect(xtad::to_latex(softplus(x)) == "\\operatorname{softplus}\\left(x\\right)",
           "LaTeX: " + xtad::to_latex(softplus(x)));
    std::ostringstream printed;
    printed << logaddexp(x, y);
    expect(printed.str().find("grad_fn=<LogaddexpBackward0>") != std::string::npos,
           "grad_fn: " + printed.str());
    auto const d = xtad::derivative(softplus(x), xtad::wrt(x), xtad::ones_like(x));
    expect(xtad::to_string(d) == "sigmoid(x)", "derivative: " + xtad::to_string(d));

    return failures == 0 ? 0 : 1;
}
