// The "Second derivatives" part of the tutorial (docs/tutorial.md): derivative() (torch's
// create_graph=True), printed and differentiated again; hessian() by its three routes, and hvp().
// Every value is checked against what PyTorch 1.13 computes and prints for the same program; a
// mismatch exits with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "second_order.cpp: " << what << '\n';
        ++failures;
    }
}

void expect_text(const std::string& text, const std::string& torch_printed) {
    expect(text == torch_printed, "printed\n" + text + "\nbut expected\n" + torch_printed);
}

template <class E>
std::string printed(const E& e) {
    std::ostringstream out;
    out << e;
    return out.str();
}

void derivatives() {
    // [derivative]
    auto a = xtad::var<"a">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = xtad::var<"b">(xt::xarray<double>{{4., 5.}, {6., 7.}});
    auto Q = 3 * xtad::pow<3>(a) - xtad::pow<2>(b);

    // torch.autograd.grad(Q, a, grad_outputs=torch.ones_like(a), create_graph=True)
    auto dQ_da = xtad::derivative(Q, xtad::wrt(a), xtad::ones_like(Q));
    std::cout << xtad::to_string(dQ_da) << '\n'; // 9*a^2
    std::cout << dQ_da << '\n';                  // tensor([[  9.,  36.],
                                                 //         [ 81., 144.]], grad_fn=<MulBackward0>)

    // Differentiated again: an expression as well, or values with grad().
    auto d2Q_da2 = xtad::derivative(dQ_da, xtad::wrt(a), xtad::ones_like(a));
    std::cout << xtad::to_string(d2Q_da2) << '\n'; // 18*a
    auto [d2] = xtad::grad(dQ_da, xtad::wrt(a), xtad::ones_like(a));
    std::cout << xtad::repr(d2) << '\n'; // tensor([[18., 36.],
                                         //         [54., 72.]])
    // [derivative]
    expect_text(xtad::to_string(dQ_da), "9*a^2");
    expect_text(printed(dQ_da), "tensor([[  9.,  36.],\n        [ 81., 144.]], "
                                "grad_fn=<MulBackward0>)");
    expect_text(xtad::to_string(d2Q_da2), "18*a");
    expect_text(xtad::repr(d2), "tensor([[18., 36.],\n        [54., 72.]])");
    expect(xtad::eval(d2Q_da2) == d2, "derivative and grad of dQ_da differ");

    // [reduced]
    // A gradient through a reduction, kept as an expression, then one row of the Hessian.
    auto x = xtad::var<"x">(xt::xarray<double>{0., 1., 2.});
    auto f = xtad::sum(xtad::pow<2>(x) * xtad::sin(x));
    auto g = xtad::derivative(f, xtad::wrt(x));
    std::cout << xtad::to_string(g) << '\n'; // sin(x)*2*x + x^2*cos(x)
    std::cout << g << '\n';                  // tensor([0.0000, 2.2232, 1.9726],
                                             //        grad_fn=<AddBackward0>)
    xt::xarray<double> e0 = {1., 0., 0.};
    auto [h0] = xtad::grad(g, xtad::wrt(x), e0); // row 0 of the Hessian
    std::cout << xtad::repr(h0) << '\n';         // tensor([0., 0., 0.])
    // [reduced]
    expect_text(xtad::to_string(g), "sin(x)*2*x + x^2*cos(x)");
    expect_text(printed(g), "tensor([0.0000, 2.2232, 1.9726], grad_fn=<AddBackward0>)");
    expect_text(xtad::repr(h0), "tensor([0., 0., 0.])");
}

void hessians() {
    // [hessian]
    auto f = [](auto const& x) { return xtad::sum(xtad::pow<2>(x) * xtad::sin(x)); };
    xt::xarray<double> x0 = {0., 1., 2.};

    // Forward over reverse (the default): the adjoint pass run on dual numbers.
    xt::xarray<double> H = xtad::hessian(f, xtad::at(x0));
    std::cout << xtad::repr(H) << '\n'; // tensor([[ 0.0000,  0.0000,  0.0000],
                                        //         [ 0.0000,  3.0027,  0.0000],
                                        //         [ 0.0000,  0.0000, -5.1478]])
    // The other two routes give the same numbers.
    auto H_ff = xtad::hessian<xtad::route::forward_over_forward>(f, xtad::at(x0));
    auto H_rr = xtad::hessian<xtad::route::reverse_over_reverse>(f, xtad::at(x0));

    // H v without forming H: one adjoint pass on dual numbers.
    xt::xarray<double> v = {1., 0., 0.5};
    auto [value, Hv] = xtad::hvp(f, xtad::at(x0), v);
    std::cout << xtad::repr(value) << '\n'; // tensor(4.4787)
    std::cout << xtad::repr(Hv) << '\n';    // tensor([ 0.0000,  0.0000, -2.5739])
    // [hessian]
    expect_text(xtad::repr(H), "tensor([[ 0.0000,  0.0000,  0.0000],\n"
                               "        [ 0.0000,  3.0027,  0.0000],\n"
                               "        [ 0.0000,  0.0000, -5.1478]])");
    expect_text(xtad::repr(value), "tensor(4.4787)");
    expect_text(xtad::repr(Hv), "tensor([ 0.0000,  0.0000, -2.5739])");
    for (std::size_t i = 0; i < H.size(); ++i) {
        expect(std::abs(H_ff.flat(i) - H.flat(i)) <= 1e-14 * (1 + std::abs(H.flat(i))),
               "forward over forward differs");
        expect(std::abs(H_rr.flat(i) - H.flat(i)) <= 1e-14 * (1 + std::abs(H.flat(i))),
               "reverse over reverse differs");
    }
    // d2/dx2 (x^2 sin x) = 2 sin x + 4 x cos x - x^2 sin x on the diagonal
    for (std::size_t i = 0; i < 3; ++i) {
        double const xi = x0(i);
        double const want = 2 * std::sin(xi) + 4 * xi * std::cos(xi) - xi * xi * std::sin(xi);
        expect(std::abs(H(i, i) - want) <= 1e-13, "the Hessian's diagonal is wrong");
    }

    // [quadratic]
    // A quadratic form x^T A x has the Hessian A + A^T.
    xt::xarray<double> A = {{2., 1.}, {1., 3.}};
    auto q = [&A](auto const& x) {
        return xtad::sum(x * xtad::sum(A * xtad::reshape(x, {1, 2}), {1}));
    };
    std::cout << xtad::repr(xtad::hessian(q, xtad::at(xt::xarray<double>{1., -1.}))) << '\n';
    // tensor([[4., 2.],
    //         [2., 6.]])
    // [quadratic]
    expect_text(xtad::repr(xtad::hessian(q, xtad::at(xt::xarray<double>{1., -1.}))),
                "tensor([[4., 2.],\n        [2., 6.]])");

    // [several]
    // With several inputs, H[a][b] is the block d2f / dx_a dx_b, of shape x_a.shape + x_b.shape.
    auto g = [](auto const& a, auto const& b) { return xtad::sum(xtad::pow<2>(a) * b); };
    xt::xarray<double> a0 = {1., 2.};
    xt::xarray<double> b0 = {3., 4.};
    auto Hg = xtad::hessian(g, xtad::at(a0, b0)); // a 2 x 2 array of blocks
    std::cout << xtad::repr(Hg[0][0]) << '\n';    // tensor([[6., 0.],   2 diag(b)
                                                  //         [0., 8.]])
    std::cout << xtad::repr(Hg[0][1]) << '\n';    // tensor([[2., 0.],   2 diag(a)
                                                  //         [0., 4.]])
    std::cout << xtad::repr(Hg[1][1]) << '\n';    // tensor([[0., 0.],   g is linear in b
                                                  //         [0., 0.]])
    // hvp takes a vector per input and gives (H v)_a = sum_b H[a][b] v_b, one per input.
    xt::xarray<double> va = {1., 0.}, vb = {0., 1.};
    auto [g0, Hgv] = xtad::hvp(g, xtad::at(a0, b0), std::tie(va, vb));
    auto const& [Hv_a, Hv_b] = Hgv;
    std::cout << xtad::repr(Hv_a) << ' ' << xtad::repr(Hv_b)
              << '\n'; // tensor([6., 4.]) tensor([2., 0.])
    // [several]
    expect_text(xtad::repr(Hg[0][0]), "tensor([[6., 0.],\n        [0., 8.]])");
    expect_text(xtad::repr(Hg[0][1]), "tensor([[2., 0.],\n        [0., 4.]])");
    expect(Hg[1][0] == xt::transpose(Hg[0][1]), "the Hessian's blocks are not symmetric");
    expect_text(xtad::repr(Hg[1][1]), "tensor([[0., 0.],\n        [0., 0.]])");
    expect_text(xtad::repr(g0), "tensor(19.)");
    expect_text(xtad::repr(Hv_a), "tensor([6., 4.])");
    expect_text(xtad::repr(Hv_b), "tensor([2., 0.])");

    // [fixed]
    // At a fixed-size point, a function written element by element: one pass on dual numbers
    // with 2 tangents, fixed-size results, and no allocation (a solver's inner loop).
    auto r = [](auto const& x) { return xtad::pow<2>(x(0)) * x(1) + xtad::sin(x(1)); };
    xt::xtensor_fixed<double, xt::xshape<2>> const p = {1., 2.};
    xt::xtensor_fixed<double, xt::xshape<2, 2>> const H_fixed = xtad::hessian(r, xtad::at(p));
    std::cout << xtad::repr(H_fixed) << '\n';           // tensor([[ 4.0000,  2.0000],
                                                        //         [ 2.0000, -0.9093]])
    auto const [r0, Hp] = xtad::hvp(r, xtad::at(p), p); // both xt::xtensor_fixed
    std::cout << xtad::repr(Hp) << '\n';                // tensor([8.0000, 0.1814])
    // [fixed]
    expect_text(xtad::repr(H_fixed), "tensor([[ 4.0000,  2.0000],\n        [ 2.0000, -0.9093]])");
    expect_text(xtad::repr(Hp), "tensor([8.0000, 0.1814])");
    expect(H_fixed == xtad::hessian(r, xtad::at(xt::xarray<double>(p))),
           "the fixed-size Hessian differs from the xarray one");
    for (auto const& Hr : {xtad::hessian<xtad::route::forward_over_forward>(g, xtad::at(a0, b0)),
                           xtad::hessian<xtad::route::reverse_over_reverse>(g, xtad::at(a0, b0))}) {
        for (std::size_t i = 0; i < 2; ++i) {
            for (std::size_t j = 0; j < 2; ++j) {
                expect(Hr[i][j] == Hg[i][j], "the Hessian routes differ on two inputs");
            }
        }
    }
}

} // namespace

int main() {
    derivatives();
    hessians();
    return failures == 0 ? 0 : 1;
}
