// The "Jacobians" part of the tutorial (docs/tutorial.md): the notebook's Jacobian by a loop of
// grad() and by jacfwd, jacrev and jacobian; jvp and vjp; several inputs and matrix-shaped inputs;
// dual numbers directly, nested for second derivatives, and perturbation confusion. The notebook's
// values are what its PyTorch session printed; the others are derivatives worked by hand, written
// beside the code. Every one is checked; a mismatch exits with 1.
#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cstddef>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "jacobians.cpp: " << what << '\n';
        ++failures;
    }
}

void expect_text(const std::string& text, const std::string& want) {
    expect(text == want, "printed\n" + text + "\nbut expected\n" + want);
}

template <class E>
std::string printed(const E& e) {
    std::ostringstream out;
    out << e;
    return out.str();
}

const std::string notebook_J = "tensor([[ 2., 12.],\n        [ 3.,  4.]])";

void notebook() {
    // [loop]
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto z = xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)), // x(i) is torch's x[i]
                         xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
    std::cout << z << '\n'; // tensor([9., 5.], grad_fn=<StackBackward0>)

    // Row i of the Jacobian is the gradient of z[i]: one reverse pass per row.
    xt::xarray<double> J = xt::zeros<double>({z.shape()[0], x.shape()[0]});
    for (std::size_t i = 0; i < z.shape()[0]; ++i) {
        xt::view(J, i) = std::get<0>(xtad::grad(z(i), xtad::wrt(x)));
    }
    std::cout << xtad::repr(J) << '\n'; // tensor([[ 2., 12.],
                                        //         [ 3.,  4.]])
    // [loop]
    expect_text(printed(z), "tensor([9., 5.], grad_fn=<StackBackward0>)");
    expect_text(xtad::repr(J), notebook_J);

    // [transforms]
    // The function, for any kind of leaf the transform passes it (of doubles, of dual numbers).
    auto f = [](auto const& x) {
        return xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)),
                           xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
    };
    xt::xarray<double> x0 = {1., 2.};

    xt::xarray<double> J_fwd = xtad::jacfwd(f, xtad::at(x0));   // forward mode: dual numbers
    xt::xarray<double> J_rev = xtad::jacrev(f, xtad::at(x0));   // reverse mode: a pass per row
    xt::xarray<double> J_any = xtad::jacobian(f, xtad::at(x0)); // the cheaper of the two

    std::cout << xtad::repr(J_any) << '\n'; // tensor([[ 2., 12.],
                                            //         [ 3.,  4.]])
    // [transforms]
    expect_text(xtad::repr(J_fwd), notebook_J);
    expect_text(xtad::repr(J_rev), notebook_J);
    expect_text(xtad::repr(J_any), notebook_J);
    expect(xtad::jacfwd<1>(f, xtad::at(x0)) == J, "jacfwd<1> differs from the loop");
    expect(xtad::jacfwd<4>(f, xtad::at(x0)) == J, "jacfwd<4> differs from the loop");

    // [fixed]
    // A point of a size known at compile time: the Jacobian's size is known too, and the call
    // allocates nothing (a solver's inner loop).
    xt::xtensor_fixed<double, xt::xshape<2>> const p0 = {1., 2.};
    xt::xtensor_fixed<double, xt::xshape<2, 2>> const J_fixed = xtad::jacfwd(f, xtad::at(p0));
    xt::xtensor_fixed<double, xt::xshape<2, 2>> const J_swept = xtad::jacrev(f, xtad::at(p0));
    // [fixed]
    static_assert(std::is_same_v<decltype(xtad::jacfwd(f, xtad::at(p0))),
                                 xt::xtensor_fixed<double, xt::xshape<2, 2>>>);
    expect(J_fixed == J, "jacfwd at a fixed-size point differs from the loop");
    static_assert(std::is_same_v<decltype(xtad::jacrev(f, xtad::at(p0))),
                                 xt::xtensor_fixed<double, xt::xshape<2, 2>>>);
    expect(J_swept == J, "jacrev at a fixed-size point differs from the loop");

    // [jvp_vjp]
    // J v, a column combination, in one forward pass; w^T J, a row combination, in one reverse
    // pass. Both return the value f(x0) too.
    xt::xarray<double> v = {1., 0.5};
    auto [y, Jv] = xtad::jvp(f, xtad::at(x0), v);
    auto [y2, wJ] = xtad::vjp(f, xtad::at(x0), v);

    std::cout << xtad::repr(y) << '\n';  // tensor([9., 5.])
    std::cout << xtad::repr(Jv) << '\n'; // tensor([8., 5.])    [2 + 12/2, 3 + 4/2]
    std::cout << xtad::repr(wJ) << '\n'; // tensor([ 3.5000, 14.0000])  [2 + 3/2, 12 + 4/2]
    // [jvp_vjp]
    expect_text(xtad::repr(y), "tensor([9., 5.])");
    expect(y2 == y, "vjp's value differs from jvp's");
    expect_text(xtad::repr(Jv), "tensor([8., 5.])");
    expect(Jv == xt::xarray<double>(xt::linalg::dot(J, v)), "jvp is not J v");
    expect_text(xtad::repr(wJ), "tensor([ 3.5000, 14.0000])");
    expect(wJ == xt::xarray<double>(xt::linalg::dot(v, J)), "vjp is not v^T J");
}

void shapes() {
    // [several]
    // g(a, b) = a * b^2 with a of shape (3,) and b a 0-d tensor (a number), broadcast.
    auto g = [](auto const& a, auto const& b) { return a * xtad::pow<2>(b); };
    xt::xarray<double> a0 = {1., 2., 3.};
    xt::xarray<double> b0 = 2.;

    auto [Ja, Jb] = xtad::jacrev(g, xtad::at(a0, b0)); // one Jacobian per input
    std::cout << xtad::repr(Ja) << '\n'; // tensor([[4., 0., 0.],   shape (3, 3): b^2 I
                                         //         [0., 4., 0.],
                                         //         [0., 0., 4.]])
    std::cout << xtad::repr(Jb) << '\n'; // tensor([ 4.,  8., 12.])   shape (3,) + () = (3,): 2 a b
    // [several]
    expect_text(xtad::repr(Ja),
                "tensor([[4., 0., 0.],\n        [0., 4., 0.],\n        [0., 0., 4.]])");
    expect_text(xtad::repr(Jb), "tensor([ 4.,  8., 12.])");
    auto [Fa, Fb] = xtad::jacfwd(g, xtad::at(a0, b0));
    expect(Fa == Ja && Fb == Jb, "jacfwd and jacrev differ on two inputs");
    auto [Ca, Cb] = xtad::jacobian(g, xtad::at(a0, b0));
    expect(Ca == Ja && Cb == Jb, "jacobian and jacrev differ on two inputs");

    // [several_products]
    // jvp takes a tangent per input, as a tuple, and sums their products: Ja va + Jb vb.
    xt::xarray<double> va = {1., 0., -1.};
    xt::xarray<double> vb = 0.5;
    auto [y, Jv] = xtad::jvp(g, xtad::at(a0, b0), std::tie(va, vb));
    std::cout << xtad::repr(Jv) << '\n'; // tensor([6., 4., 2.])   b^2 va + 2 a b vb
    // vjp gives a cotangent's product with each block: a tuple, one per input.
    auto [y2, wJ] = xtad::vjp(g, xtad::at(a0, b0), xt::xarray<double>{1., 1., 1.});
    auto const& [wJa, wJb] = wJ;
    std::cout << xtad::repr(wJa) << ' ' << xtad::repr(wJb)
              << '\n'; // tensor([4., 4., 4.]) tensor(24.)
    // [several_products]
    expect_text(xtad::repr(Jv), "tensor([6., 4., 2.])");
    expect(Jv == xt::xarray<double>(xt::linalg::dot(Ja, va) + Jb * vb()),
           "jvp is not Ja va + Jb vb");
    expect(y == y2 && y == xt::xarray<double>(a0 * 4.), "the value of jvp or vjp is not g(a0, b0)");
    expect_text(xtad::repr(wJa), "tensor([4., 4., 4.])");
    expect_text(xtad::repr(wJb), "tensor(24.)");

    // [matrix]
    // The squared norm of each row of X: R^(2x3) -> R^2.
    auto row_norms = [](auto const& X) { return xtad::sum(X * X, {1}); };
    xt::xarray<double> X0 = {{1., 2., 3.}, {4., 5., 6.}};

    xt::xarray<double> J = xtad::jacobian(row_norms, xtad::at(X0));
    // J(i, k, l) = d out[i] / d X[k, l] = 2 X[k, l] if k == i, else 0.
    std::cout << xtad::repr(J) << '\n'; // tensor([[[ 2.,  4.,  6.],
                                        //          [ 0.,  0.,  0.]],
                                        //
                                        //         [[ 0.,  0.,  0.],
                                        //          [ 8., 10., 12.]]])
    // [matrix]
    expect(J.shape() == std::vector<std::size_t>{2, 2, 3}, "the matrix input's Jacobian shape");
    expect_text(xtad::repr(J), "tensor([[[ 2.,  4.,  6.],\n"
                               "         [ 0.,  0.,  0.]],\n"
                               "\n"
                               "        [[ 0.,  0.,  0.],\n"
                               "         [ 8., 10., 12.]]])");
    expect(xtad::jacfwd(row_norms, xtad::at(X0)) == J, "jacfwd on a matrix input");
    expect(xtad::jacrev(row_norms, xtad::at(X0)) == J, "jacrev on a matrix input");
}

// [derivative]
// d/dx f at x: x lifted one level, to a dual of x's own type, with tangent 1.
auto const derivative = [](auto const& f, auto x) {
    using X = decltype(x);
    return f(xtad::dual<X>(x, {X(1.0)})).eps[0];
};
// [derivative]

void duals() {
    // [dual]
    // The notebook's Jacobian in one pass by hand: x0 and x1 carry one tangent each.
    xtad::dual<double, 2> x0(1.0, {1.0, 0.0}); // value 1, d/dx0 = 1, d/dx1 = 0
    xtad::dual<double, 2> x1(2.0, {0.0, 1.0}); // value 2, d/dx0 = 0, d/dx1 = 1

    auto z0 = xtad::pow<2>(x0) + xtad::pow<3>(x1);
    auto z1 = xtad::pow<3>(x0) + xtad::pow<2>(x1);
    std::cout << z0 << '\n'; // dual(9; 2 12)    z0 and the first row of J
    std::cout << z1 << '\n'; // dual(5; 3 4)     z1 and the second row
    // [dual]
    expect_text(printed(z0), "dual(9; 2 12)");
    expect_text(printed(z1), "dual(5; 3 4)");
    expect(z0.val == 9. && z0.eps[0] == 2. && z0.eps[1] == 12., "z0's dual");

    // [nested]
    // Q = 3 a^3 at a = 1, the notebook's: the value, dQ/da = 9 a^2 and d2Q/da2 = 18 a.
    using D = xtad::dual<double>;                    // d/da
    xtad::dual<D> a(D(1.0, {1.0}), {D(1.0, {0.0})}); // d/da again, one level up

    auto Q = 3.0 * xtad::pow<3>(a);
    std::cout << Q.val.val << '\n';       // 3
    std::cout << Q.eps[0].val << '\n';    // 9     (so is Q.val.eps[0])
    std::cout << Q.eps[0].eps[0] << '\n'; // 18
    // [nested]
    expect(Q.val.val == 3. && Q.val.eps[0] == 9. && Q.eps[0].val == 9. && Q.eps[0].eps[0] == 18.,
           "3 a^3 by nested duals: " + printed(Q));
    expect(derivative(
               [&](auto a) { return derivative([](auto b) { return 3.0 * xtad::pow<3>(b); }, a); },
               1.0)
               == 18.,
           "the second derivative by derivative(derivative)");

    // [confusion]
    // d/dx [x * d/dy (x + y) at y = 1] at x = 1: the inner derivative is 1, so this is d/dx x = 1.
    auto outer = [](auto x) {
        using X = decltype(x);
        return x * derivative([&](auto y) { return x + y; }, X(1.0)); // y at x's level, lifted
    };
    std::cout << derivative(outer, 1.0) << '\n'; // 1

    // Given a plain 1.0, y becomes a dual of the same level as x; the inner derivative then
    // counts x's tangent as y's and gives 2, and the result is 2: perturbation confusion.
    auto confused = [](auto x) { return x * derivative([&](auto y) { return x + y; }, 1.0); };
    std::cout << derivative(confused, 1.0) << '\n'; // 2, wrong
    // [confusion]
    expect(derivative(outer, 1.0) == 1., "perturbation confusion in the lifted derivative");
    expect(derivative(confused, 1.0) == 2., "the confused derivative is not the classic 2");
    static_assert(std::is_same_v<decltype(derivative(outer, 1.0)), double>);
}

} // namespace

int main() {
    notebook();
    shapes();
    duals();
    return failures == 0 ? 0 : 1;
}
