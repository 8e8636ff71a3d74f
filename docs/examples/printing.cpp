// Expressions and their derivatives printed as formulas (docs/tutorial.md, "Formulas: text, LaTeX
// and Graphviz"): to_string, to_latex and to_dot. A printed form that differs from the one the
// tutorial shows exits with 1.
#include <xtad/xtad.hpp>

#include <iostream>
#include <string>

namespace {

int failures = 0;

void expect_text(const std::string& text, const std::string& shown) {
    if (text != shown) {
        std::cerr << "printing.cpp: printed\n"
                  << text << "\nbut the tutorial shows\n"
                  << shown << '\n';
        ++failures;
    }
}

} // namespace

int main() {
    // [formulas]
    auto a = xtad::var<"a">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = xtad::var<"b">(xt::xarray<double>{{4., 5.}, {6., 7.}});
    auto Q = 3 * xtad::pow<3>(a) - xtad::pow<2>(b);
    auto dQ_da = xtad::derivative(Q, xtad::wrt(a), xtad::ones_like(Q));
    auto r = xtad::derivative(xtad::sqrt(a) * b, xtad::wrt(a), xtad::ones_like(a));

    std::cout << xtad::to_string(Q) << '\n';     // 3*a^3 - b^2
    std::cout << xtad::to_string(dQ_da) << '\n'; // 9*a^2
    std::cout << xtad::to_string(r) << '\n';     // b/(2*sqrt(a))
    std::cout << xtad::to_latex(Q) << '\n';      // 3 a^{3} - b^{2}
    std::cout << xtad::to_latex(r) << '\n';      // \frac{b}{2 \sqrt{a}}
    std::cout << xtad::to_dot(Q);                // digraph "xtad" { ... }, for `dot -Tsvg`
    // [formulas]
    expect_text(xtad::to_string(Q), "3*a^3 - b^2");
    expect_text(xtad::to_string(dQ_da), "9*a^2");
    expect_text(xtad::to_string(r), "b/(2*sqrt(a))");
    expect_text(xtad::to_latex(Q), "3 a^{3} - b^{2}");
    expect_text(xtad::to_latex(r), "\\frac{b}{2 \\sqrt{a}}");
    expect_text(xtad::to_dot(Q), "digraph \"xtad\" {\n"
                                 "  ordering=out;\n"
                                 "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
                                 "  n0 [label=\"-\"];\n"
                                 "  n1 [label=\"*\"];\n"
                                 "  n2 [label=\"3\", shape=plaintext];\n"
                                 "  n1 -> n2;\n"
                                 "  n3 [label=\"^3\"];\n"
                                 "  n4 [label=\"a\", shape=ellipse, style=bold];\n"
                                 "  n3 -> n4;\n"
                                 "  n1 -> n3;\n"
                                 "  n0 -> n1;\n"
                                 "  n5 [label=\"^2\"];\n"
                                 "  n6 [label=\"b\", shape=ellipse, style=bold];\n"
                                 "  n5 -> n6;\n"
                                 "  n0 -> n5;\n"
                                 "}\n");
    return failures == 0 ? 0 : 1;
}
