// xtad-tour: the notebook seed-notebook.txt in C++, cell by cell, each cell's code and its output.
//
// A cell is the statements between the marker lines "// [cell N]" and "// [end]", with N the
// notebook's cell number; the call cell(N) just before them prints "In [N]:", the code (copied
// from this file into tour_cells.hpp by embed_cells.py at build time) and "Out[N]:", and the
// statements then print the output. The cells of a section share its variables, as in the
// notebook. Cells are shown in the order of this file, and every cell must be shown once.
#include "tour_cells.hpp"

#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cstddef>
#include <exception>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>

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
}

// The notebook's next sections, "# Autogradient" and "# Jacobian", go here as functions like
// tensors() (a heading, then cell(N) and its marked statements per notebook cell, in the
// notebook's order), and are called from main() after tensors().

} // namespace

int main() {
    try {
        std::cout << "xtad-tour: seed-notebook.txt in C++, each cell's code and then its output.\n";
        tensors();
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
