// xtad-tour: the notebook seed-notebook.txt in C++, cell by cell, each cell's code and its output.
//
// A cell is the statements between the marker lines "// [cell N]" and "// [end]", with N the
// notebook's cell number; the call cell(N) just before them prints "In [N]:", the code (copied
// from this file into tour_cells.hpp by embed_cells.py at build time) and "Out[N]:", and the
// statements then print the output. The cells of a section share its variables, as in the
// notebook. Cells are shown in the order of this file, and every cell must be shown once.
// test/check_tour.py compares what each section prints with its test/tour_expected_*.txt.
#include "tour_cells.hpp"

#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cstddef>
#include <exception>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

namespace {

std::size_t cells_shown = 0;

void heading(const std::string& text) {
    std::cout << '\n' << text << '\n';
}

void markdown(const std::string& text) {
    std::cout << '\n' << text << '\n';
}

void cell(int number) {
    if (cells_shown >= std::size(tour::cells) || tour::cells[cells_shown].number != number) {
        throw std::logic_error("xtad-tour: cell(" + std::to_string(number)
                               + ") does not come next in tour.cpp's // [cell N] markers");
    }
    std::cout << "\nIn [" << number << "]:\n";
    std::istringstream code(tour::cells[cells_shown].code);
    for (std::string line; std::getline(code, line);) {
        std::cout << (line.empty() ? "" : "    ") << line << '\n';
    }
    std::cout << "Out[" << number << "]:\n";
    ++cells_shown;
}

template <class... T>
std::string tuple_repr(const std::tuple<T...>& tensors);

void tensors() {
    heading("# Tensors");

    cell(155);
    // [cell 155]
    xt::xarray<double> A = {{1.0, 2}, {3, 4}};
    xt::xarray<double> b = {5., 6};

    std::cout << xtad::repr(A) << '\n';
    std::cout << xtad::repr(b) << '\n';
    // [end]

    markdown("$$ A*x=b, => x=A^{-1}*b $$");

    cell(156);
    // [cell 156]
    xt::xarray<double> A_inv = xt::linalg::inv(A);

    // xt::linalg::dot(A_inv, A)
    xt::xarray<double> x = xt::linalg::dot(A_inv, b);
    std::cout << xtad::repr(x) << '\n';
    // [end]

    cell(157);
    // [cell 157]
    std::cout << xtad::repr(xt::linalg::solve(A, b)) << '\n';
    // [end]

    heading("## differentiate the solve (not in the notebook)");
    markdown("x = solve(A, b) on xtad leaves is differentiable in A and in b: the gradient of\n"
             "sum(c * x) for c = (1, 2), printed as torch.autograd.grad returns it.");
    cell(164);
    // [cell 164]
    auto lhs = xtad::var<"A">(A);
    auto rhs = xtad::var<"b">(b);
    xt::xarray<double> const c = {1., 2.};
    auto y = xtad::sum(c * xtad::solve(lhs, rhs));
    std::cout << tuple_repr(xtad::grad(y, xtad::wrt(lhs, rhs))) << '\n';
    // [end]

    cell(158);
    // [cell 158]
    // checkup. torch computes in float32 and LAPACK's inverse here is rounded differently
    // (in double), so A x - b may print a tiny number such as 4.4409e-16 instead of torch's 0.
    std::cout << xtad::repr(xt::linalg::dot(A, x) - b) << '\n';
    // [end]

    cell(159);
    // [cell 159]
    std::cout << xtad::repr(xt::view(A, xt::all(), 0)) << '\n';
    // [end]

    cell(160);
    // [cell 160]
    std::cout << xtad::repr(xt::view(A, 1, xt::all())) << '\n';
    // [end]

    cell(161);
    // [cell 161]
    std::cout << xtad::repr(xt::filter(A, A > 3)) << '\n';
    // [end]

    cell(162);
    // [cell 162]
    std::cout << xtad::repr(A * xt::transpose(A)) << '\n';
    // [end]

    heading("## differentiate through them (not in the notebook)");
    markdown("The same selections on an xtad leaf are differentiable: the gradient of\n"
             "sum(A[A > 3]) + sum(A[:, 0] * A[1, :]) + sum(A * A.T) with respect to A, printed\n"
             "as torch.autograd.grad returns it.");
    cell(163);
    // [cell 163]
    auto a = xtad::var<"A">(A);
    auto f = xtad::sum(xtad::filter(a, a > 3.))
             + xtad::sum(xtad::view(a, xt::all(), 0) * xtad::view(a, 1, xt::all()))
             + xtad::sum(a * xtad::transpose(a));
    std::cout << tuple_repr(xtad::grad(f, xtad::wrt(a))) << '\n';
    // [end]
}

// A tensor as torch prints it; an xtad expression as torch prints the tensor it computes, with
// its grad_fn.
template <class T>
std::string shown(const T& t) {
    if constexpr (xtad::Expression<T>) {
        std::ostringstream out;
        out << t;
        return out.str();
    } else {
        return xtad::repr(t);
    }
}

// Prints a tuple of tensors as Jupyter shows the tuple torch.autograd.grad returns: in
// parentheses, a one-element tuple with its trailing comma, and each tensor's continuation lines
// one space deeper (IPython's pretty-printer indents them under the opening parenthesis).
template <class... T>
std::string tuple_repr(const std::tuple<T...>& tensors) {
    std::string items;
    std::apply(
        [&](const auto&... t) {
            std::size_t i = 0;
            ((items += (i++ ? ", " : ""), items += shown(t)), ...);
        },
        tensors);
    // Copied rather than indented in place: g++ 12 at -O2 warns (-Wrestrict, a false positive)
    // on std::string::insert into the string it is scanning.
    std::string out = "(";
    for (char c : items) {
        out += c;
        if (c == '\n') {
            out += ' ';
        }
    }
    return out + (sizeof...(T) == 1 ? ",)" : ")");
}

// "## use .backward(), if output only scalar": a one-element Q, its gradients accumulated into
// a.grad() and b.grad().
void autogradient_backward() {
    heading("## use backward(), if the output is a scalar");

    cell(9);
    // [cell 9]
    auto a = xtad::var<"a">(xt::xarray<double>{1.});
    auto b = xtad::var<"b">(xt::xarray<double>{4.});

    auto Q = 3 * xtad::pow<3>(a) - xtad::pow<2>(b);
    // [end]

    cell(10);
    // [cell 10]
    xtad::backward(Q);
    // [end]

    cell(11);
    // [cell 11]
    std::cout << xtad::repr(a.grad()) << '\n';
    // [end]

    cell(12);
    // [cell 12]
    std::cout << xtad::repr(b.grad()) << '\n';
    // [end]
}

// "## use .grad(), if output may be vector or matrix": Q of matrices, seeded with ones.
void autogradient_grad() {
    heading("## use grad(), if the output may be a vector or a matrix");
    // Said before the cells: a line after an Out block would read as part of that output.
    markdown("In [7] create_graph=True is xtad::derivative: dQ_da is an expression (it prints\n"
             "as 9*a^2), evaluated when printed, and differentiated again in In [11].");

    cell(5);
    // [cell 5]
    auto a = xtad::var<"a">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = xtad::var<"b">(xt::xarray<double>{{4., 5.}, {6., 7.}});

    auto Q = 3 * xtad::pow<3>(a) - xtad::pow<2>(b);
    std::cout << a << '\n';
    std::cout << b << '\n';
    std::cout << Q << '\n';
    // [end]

    cell(6);
    // [cell 6]
    std::cout << xtad::repr(xt::ones_like(a.value())) << '\n';
    // [end]

    cell(7);
    // [cell 7]
    // calc gradient Q as matrix dQ/da with coefficient 1
    auto dQ_da = xtad::derivative(Q, xtad::wrt(a), xtad::ones_like(a));
    // [end]

    cell(8);
    // [cell 8]
    std::cout << tuple_repr(std::tie(dQ_da)) << '\n';
    // [end]

    cell(9);
    // [cell 9]
    auto dQ_db = xtad::grad(Q, xtad::wrt(b), xtad::ones_like(b));
    // [end]

    cell(10);
    // [cell 10]
    std::cout << tuple_repr(dQ_db) << '\n';
    // [end]

    cell(11);
    // [cell 11]
    // d^2Q/da^2
    auto d2Q_da2 = xtad::grad(dQ_da, xtad::wrt(a), xtad::ones_like(a));
    // [end]

    cell(12);
    // [cell 12]
    std::cout << tuple_repr(d2Q_da2) << '\n';
    // [end]
}

// SymPy's 15 significant digits, as it prints a Float.
std::string sympy_float(double v) {
    std::ostringstream out;
    out << std::showpoint << std::setprecision(15) << v;
    return out.str();
}

// "## Checkup": the notebook asks SymPy for the same derivatives symbolically. xtad's derivative
// is an expression too: to_string prints it as a formula, and setting a leaf's value is subs.
void autogradient_checkup() {
    heading("## Checkup");
    // Said before the cells: a line after an Out block would read as part of that output.
    markdown("SymPy's diff is xtad::derivative printed by to_string, which writes powers with ^\n"
             "where SymPy writes **; subs is setting the leaf's value and evaluating.");

    cell(13);
    // [cell 13]
    // x and y are 0-d leaves: symbols with a value, which subs sets below.
    auto x = xtad::var<"x">(xt::xarray<double>(0.));
    auto y = xtad::var<"y">(xt::xarray<double>(0.));

    auto W = 3 * xtad::pow<3>(x) - xtad::pow<2>(y);
    auto dW_dx = xtad::derivative(W, xtad::wrt(x));
    std::cout << xtad::to_string(dW_dx) << '\n';
    // [end]

    cell(14);
    // [cell 14]
    auto dW_dy = xtad::derivative(W, xtad::wrt(y));
    std::cout << xtad::to_string(dW_dy) << '\n';
    // [end]

    cell(15);
    // [cell 15]
    x.value() = 1.;
    std::cout << sympy_float(xtad::eval(dW_dx)()) << '\n';
    // [end]

    cell(16);
    // [cell 16]
    y.value() = 4.;
    std::cout << sympy_float(xtad::eval(dW_dy)()) << '\n';
    // [end]
}

// "# Autogradient", first order: backward() on a scalar, grad() with a seed on matrices.
void autogradient() {
    heading("# Autogradient");
    markdown("$$ Q=3*a^{3}-b^{2}, \\quad \\frac{\\partial Q}{\\partial a}=9*a^2, \\quad "
             "\\frac{\\partial Q}{\\partial b}=-2*b $$");
    autogradient_backward();
    autogradient_grad();
    autogradient_checkup();
}

// "## use torch.autograd.grad()": the rows of the Jacobian one at a time, each the gradient of
// one element of z.
void jacobian_grad() {
    heading("## use grad(), one row at a time");
    // Said before the cells: a line after an Out block would read as part of that output.
    markdown("In [71] and In [14] the notebook passes create_graph=True, so its Jacobians print\n"
             "with grad_fn=<CopySlices> and grad_fn=<ViewBackward0>. A loop over rows at run\n"
             "time cannot build one static expression, so here the Jacobians are tensors; a\n"
             "row that stays an expression is xtad::derivative(xtad::index(z, i), xtad::wrt(x)).");

    cell(77);
    // [cell 77]
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto z = xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)),
                         xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
    std::cout << z << '\n';
    // [end]

    cell(71);
    // [cell 71]
    // jacobian
    // dz0/dx0 = 2*x[0]     dz0/dx1 = 3*x[1]**2
    // dz1/dx0 = 3*x[0]**2  dz1/dx1 = 2*x[1]

    xt::xarray<double> jacobian = xt::zeros<double>({z.shape()[0], x.shape()[0]});

    for (std::size_t i = 0; i < z.shape()[0]; ++i) {
        xt::view(jacobian, i) = std::get<0>(xtad::grad(xtad::index(z, i), xtad::wrt(x)));
    }

    std::cout << xtad::repr(jacobian) << '\n';
    // [end]
}

// "# use torch.autograd.functional.jacobian()": the transforms take the function and the point
// and make the leaves themselves.
void jacobian_functional() {
    heading("## use jacobian(), jacfwd() or jacrev()");

    cell(13);
    // [cell 13]
    xt::xarray<double> x0 = {1., 2.};
    auto x = xtad::var<"x">(x0);
    auto z = xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)),
                         xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
    // As in the notebook, x and z are not used below: the transforms take the point as a plain
    // tensor, x0, and call jac with leaves of their own (of doubles, or of dual numbers).

    auto jac = [](auto const& x) {
        return xtad::stack(xtad::pow<2>(x(0)) + xtad::pow<3>(x(1)),
                           xtad::pow<3>(x(0)) + xtad::pow<2>(x(1)));
    };
    // [end]

    cell(14);
    // [cell 14]
    std::cout << xtad::repr(xtad::jacobian(jac, xtad::at(x0))) << '\n';

    // The same by forward mode (dual numbers, both columns in one pass) and by reverse mode
    // (one adjoint pass per row); jacobian() picks one of them by a cost model.
    std::cout << xtad::repr(xtad::jacfwd(jac, xtad::at(x0))) << '\n';
    std::cout << xtad::repr(xtad::jacrev(jac, xtad::at(x0))) << '\n';
    // [end]
}

// "## Jacobian": by grad() row by row, and by the functional transforms.
void jacobians() {
    heading("# Jacobian");
    jacobian_grad();
    jacobian_functional();
}

} // namespace

int main() {
    try {
        std::cout << "xtad-tour: seed-notebook.txt in C++, each cell's code and then its output.\n";
        tensors();
        autogradient();
        jacobians();
        if (cells_shown != std::size(tour::cells)) {
            throw std::logic_error("xtad-tour: cell "
                                   + std::to_string(tour::cells[cells_shown].number)
                                   + " is in tour.cpp but not shown");
        }
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
