// Adding a tensor op (docs/extending.md): a matrix-vector product, an op that is not elementwise,
// written as users write one, with its shape, value, vjp and jvp rules in one struct, and
// xtad::apply. It is checked the way xtad's own ops are: values and gradients against closed
// forms, forward mode against reverse mode, the three Hessian routes against each other, and
// gradcheck and gradgradcheck against finite differences; the printed forms and a shape error
// are checked too. A mismatch exits with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstddef>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

// [matvec]
/// y = A x for a matrix A of shape (m, n) and a vector x of shape (n,): torch.mv.
struct matvec_op : xtad::tensor_op<"matvec", "MvBackward0"> {
    // The result's shape from the operands' shapes; a mismatch is an xtad::error, thrown where
    // the expression is written.
    xtad::shape_t shape(xtad::shape_t const& a, xtad::shape_t const& x) const {
        if (a.size() != 2 || x.size() != 1 || a[1] != x[0]) {
            throw xtad::error("matvec: needs a matrix (m, n) and a vector (n,), not "
                              + xtad::shape_str(a) + " and " + xtad::shape_str(x));
        }
        return {a[0]};
    }
    // The value, on whole tensors of numbers: computed once per evaluation. (A real op would
    // call BLAS here for float and double; T is a dual number only when forward modes nest.)
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& a, xt::xarray<T> const& x) const {
        std::size_t const m = a.shape()[0];
        std::size_t const n = a.shape()[1];
        xt::xarray<T> y = xt::zeros<T>({m});
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                y(i) += a(i, j) * x(j);
            }
        }
        return y;
    }
    // Reverse mode: given g, the adjoint of y, the adjoints of A and x, one per operand, as
    // xtad expressions: dA = g xᵀ and dx = Aᵀ g. Being expressions, they are differentiated
    // again by derivative() and the second-order routes. (y is the node itself, for rules that
    // need the result, as inv's does.)
    template <class G, class Y, class A, class X>
    auto vjp(G const& g, Y const&, A const& a, X const& x) const {
        auto const column = xtad::reshape(g, {-1, 1});
        return std::tuple{column * x, xtad::sum(a * column, {0})};
    }
    // Forward mode: the tangent of y from the values and one direction's tangents of the
    // operands, on arrays: dy = dA x + A dx.
    template <class T>
    xt::xarray<T> jvp(xt::xarray<T> const&, xt::xarray<T> const& a, xt::xarray<T> const& x,
                      xt::xarray<T> const& da, xt::xarray<T> const& dx) const {
        return value(da, x) + value(a, dx);
    }
};

template <class A, class X>
auto matvec(A&& a, X&& x) {
    return xtad::apply<matvec_op>(std::forward<A>(a), std::forward<X>(x));
}
// [matvec]

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "extending_tensor.cpp: " << what << '\n';
        ++failures;
    }
}

std::string show(xt::xarray<double> const& x) {
    std::ostringstream out;
    out << x;
    return out.str();
}

void expect_close(xt::xarray<double> const& got, xt::xarray<double> const& want,
                  std::string const& what) {
    bool const ok = got.shape() == want.shape() && xt::allclose(got, want, 1e-13, 1e-14);
    expect(ok, what + ": " + show(got) + ", want " + show(want));
}

} // namespace

int main() {
    xt::xarray<double> const pa = {{1., -2., 0.5}, {0.25, 3., -1.}};
    xt::xarray<double> const px = {0.5, -1.5, 2.};

    // [use]
    auto a = xtad::var<"A">(pa);
    auto x = xtad::var<"x">(px);
    auto y = matvec(a, x);
    auto [ga, gx] = xtad::grad(xtad::sum(y * y), xtad::wrt(a, x));
    std::cout << y << '\n'; // tensor([...], grad_fn=<MvBackward0>)
    // [use]

    // The value and the gradients of |A x|² against the closed forms 2 (A x) xᵀ and 2 Aᵀ A x.
    xt::xarray<double> want_y = xt::zeros<double>({2});
    for (std::size_t i = 0; i < 2; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            want_y(i) += pa(i, j) * px(j);
        }
    }
    xt::xarray<double> want_ga = xt::zeros<double>({2, 3});
    xt::xarray<double> want_gx = xt::zeros<double>({3});
    for (std::size_t i = 0; i < 2; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            want_ga(i, j) = 2 * want_y(i) * px(j);
            want_gx(j) += 2 * pa(i, j) * want_y(i);
        }
    }
    expect_close(xtad::eval(y), want_y, "value");
    expect_close(ga, want_ga, "d |Ax|² / d A");
    expect_close(gx, want_gx, "d |Ax|² / d x");

    // Forward mode and reverse mode use the jvp and vjp rules; they agree.
    auto const g = [](auto const& m, auto const& v) { return matvec(m, xtad::sin(v)) * 2.; };
    auto const [jfa, jfx] = xtad::jacfwd(g, xtad::at(pa, px));
    auto const [jra, jrx] = xtad::jacrev(g, xtad::at(pa, px));
    expect_close(jfa, jra, "jacfwd against jacrev in A");
    expect_close(jfx, jrx, "jacfwd against jacrev in x");

    // Second derivatives by the three routes: forward over reverse runs the vjp rule's
    // expressions on dual numbers, forward over forward the value and jvp rules on nested duals,
    // reverse over reverse differentiates the vjp rule's expressions.
    auto const h = [&](auto const& v) { return xtad::sum(xtad::tanh(matvec(pa, v * v))); };
    xt::xarray<double> const h_fr = xtad::hessian(h, xtad::at(px));
    xt::xarray<double> const h_ff =
        xtad::hessian<xtad::route::forward_over_forward>(h, xtad::at(px));
    xt::xarray<double> const h_rr =
        xtad::hessian<xtad::route::reverse_over_reverse>(h, xtad::at(px));
    expect_close(h_ff, h_fr, "Hessian: forward over forward");
    expect_close(h_rr, h_fr, "Hessian: reverse over reverse");

    // Finite differences, first and second order, in both modes.
    xtad::gradcheck_options const loose{.raise_exception = false};
    auto const one = [](auto const& m, auto const& v) { return xtad::exp(matvec(m * m, v)); };
    expect(xtad::gradcheck(one, xtad::at(pa, px), loose).ok, "gradcheck");
    expect(xtad::gradgradcheck(one, xtad::at(pa, px), loose).ok, "gradgradcheck");

    // The printers know the op by the names given to tensor_op.
    expect(xtad::to_string(xtad::sum(y * y)) == "sum(matvec(A, x)*matvec(A, x))",
           "formula: " + xtad::to_string(xtad::sum(y * y)));
    expect(xtad::to_latex(y) == "\\operatorname{matvec}\\left(A, x\\right)",
           "LaTeX: " + xtad::to_latex(y));
    std::ostringstream printed;
    printed << y;
    expect(printed.str().find("grad_fn=<MvBackward0>") != std::string::npos,
           "grad_fn: " + printed.str());

    // A shape the rule rejects is an xtad::error where the expression is written.
    try {
        auto const bad = matvec(a, a);
        expect(false, "matvec(A, A) was built");
        (void)bad;
    } catch (xtad::error const& e) {
        expect(std::string(e.what())
                   == "matvec: needs a matrix (m, n) and a vector (n,), not "
                      "(2, 3) and (2, 3)",
               std::string("error: ") + e.what());
    }

    return failures == 0 ? 0 : 1;
}
