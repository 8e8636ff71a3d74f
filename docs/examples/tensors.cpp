// The "Tensors" part of the tutorial (docs/tutorial.md): xtensor tensors, linear algebra through
// xtensor-blas, slicing and masks, printed with xtad::repr as PyTorch prints them. Every result
// is checked against the text the notebook's PyTorch session printed; a mismatch exits with 1.
#include <xtad/core/linalg.hpp>
#include <xtad/io/repr.hpp>

#include <iostream>
#include <string>

namespace {

int failures = 0;

void expect_text(const std::string& text, const std::string& torch_printed) {
    if (text != torch_printed) {
        std::cerr << "tensors.cpp: xtad::repr printed\n"
                  << text << "\nbut PyTorch printed\n"
                  << torch_printed << '\n';
        ++failures;
    }
}

} // namespace

int main() {
    // [build]
    xt::xtensor<double, 2> A = {{1.0, 2.0}, {3.0, 4.0}};
    xt::xtensor<double, 1> b = {5.0, 6.0};

    std::cout << xtad::repr(A) << '\n'; // tensor([[1., 2.],
                                        //         [3., 4.]])
    std::cout << xtad::repr(b) << '\n'; // tensor([5., 6.])
    // [build]
    expect_text(xtad::repr(A), "tensor([[1., 2.],\n        [3., 4.]])");
    expect_text(xtad::repr(b), "tensor([5., 6.])");

    // [solve]
    // A x = b, so x = A^-1 b: once through the inverse, once through a solver.
    xt::xtensor<double, 2> A_inv = xt::linalg::inv(A);
    xt::xtensor<double, 1> x = xt::linalg::dot(A_inv, b);
    xt::xtensor<double, 1> x_solved = xt::linalg::solve(A, b);

    std::cout << xtad::repr(x) << '\n';        // tensor([-4.0000,  4.5000])
    std::cout << xtad::repr(x_solved) << '\n'; // tensor([-4.0000,  4.5000])

    // The check-up: A x - b is zero up to rounding.
    xt::xtensor<double, 1> residual = xt::linalg::dot(A, x) - b;
    // [solve]
    expect_text(xtad::repr(x), "tensor([-4.0000,  4.5000])");
    expect_text(xtad::repr(x_solved), "tensor([-4.0000,  4.5000])");
    if (!xt::allclose(x, x_solved) || xt::amax(xt::abs(residual))() > 1e-12) {
        std::cerr << "tensors.cpp: inverse and solve disagree, or A x != b\n";
        ++failures;
    }

    // [slice]
    auto first_column = xt::view(A, xt::all(), 0); // A[:, 0]
    auto second_row = xt::view(A, 1, xt::all());   // A[1, :]
    auto above_3 = xt::filter(A, A > 3.0);         // A[A > 3]
    auto product = A * xt::transpose(A);           // A * A.T, elementwise

    std::cout << xtad::repr(first_column) << '\n'; // tensor([1., 3.])
    std::cout << xtad::repr(second_row) << '\n';   // tensor([3., 4.])
    std::cout << xtad::repr(above_3) << '\n';      // tensor([4.])
    std::cout << xtad::repr(product) << '\n';      // tensor([[ 1.,  6.],
                                                   //         [ 6., 16.]])
    // [slice]
    expect_text(xtad::repr(first_column), "tensor([1., 3.])");
    expect_text(xtad::repr(second_row), "tensor([3., 4.])");
    expect_text(xtad::repr(above_3), "tensor([4.])");
    expect_text(xtad::repr(product), "tensor([[ 1.,  6.],\n        [ 6., 16.]])");

    return failures == 0 ? 0 : 1;
}
