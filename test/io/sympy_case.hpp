// The check behind each case of sympy_refs.inc: xtad::derivative against SymPy's derivative,
// evaluated at random points, and the printed derivative written out for SymPy to read back.
#pragma once

#include <xtad/io/formula.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

namespace sympy_check {

using fn = double (*)(double, double, double);

/// SymPy's side of a case (generated): texts as sympy's str(), functions from its cxxcode.
struct sympy_case_data {
    char const* id;
    double lo;
    double hi;
    char const* xtad;
    char const* sympy;
    fn value;
    std::array<char const*, 3> d1_text;
    std::array<fn, 3> d1;
    char const* d2_text;
    fn d2;
};

constexpr std::size_t points = 8;

/// Both sides compute the same real number, rounded differently: 1e-12 relative, and 1e-14
/// absolute for values that are zero but for rounding.
inline bool close(double x, double y) {
    double const d = std::abs(x - y);
    return d <= 1e-12 * std::max(std::abs(x), std::abs(y)) || d <= 1e-14;
}

/// The derivative `d` (evaluated) against SymPy's `f` at every point.
inline void compare(xt::xarray<double> const& d, fn f, std::array<xt::xarray<double>, 3> const& x,
                    sympy_case_data const& c, std::string const& what, char const* sympy_text,
                    std::string const& printed) {
    REQUIRE(d.size() == points);
    for (std::size_t i = 0; i < points; ++i) {
        double const want = f(x[0](i), x[1](i), x[2](i));
        std::ostringstream message;
        message.precision(17);
        message << c.id << ": " << what << " at a=" << x[0](i) << " b=" << x[1](i)
                << " c=" << x[2](i) << "; xtad " << printed << " = " << d(i) << ", SymPy "
                << sympy_text << " = " << want;
        INFO(message.str());
        CHECK(close(d(i), want));
    }
}

/// Appends one printed derivative to the file named by XTAD_SYMPY_OUT, for
/// `gen_sympy_refs.py --check`: id, leaf, order and formula, tab-separated.
inline void record(char const* id, std::string_view leaf, int order, std::string const& text) {
    if (char const* path = std::getenv("XTAD_SYMPY_OUT")) {
        std::ofstream out(path, std::ios::app);
        out << id << '\t' << leaf << '\t' << order << '\t' << text << '\n';
    }
}

/// First derivatives of `e` with respect to leaf J of (a, b, c) and, for the leaf `Second`,
/// the second derivative.
template <std::size_t J, char Second, class E, class L>
void check_leaf(E const& e, L const& leaf, std::array<xt::xarray<double>, 3> const& x,
                sympy_case_data const& c) {
    constexpr std::string_view name = L::name.view();
    if constexpr (!xtad::depends_on<E, L::name>) {
        bool const sympy_uses_it = c.d1[J] != nullptr;
        CHECK_MESSAGE(!sympy_uses_it, std::string(c.id), ": SymPy's expression uses ", name,
                      ", xtad's does not");
    } else {
        bool const sympy_uses_it = c.d1[J] != nullptr;
        REQUIRE_MESSAGE(sympy_uses_it, std::string(c.id), ": xtad's expression uses ", name,
                        ", SymPy's does not");
        auto const d = xtad::derivative(e, xtad::wrt(leaf), xtad::ones_like(e));
        std::string const printed = xtad::to_string(d);
        record(c.id, name, 1, printed);
        compare(xtad::eval(d), c.d1[J], x, c, "d/d" + std::string(name), c.d1_text[J], printed);
        if constexpr (name[0] == Second) {
            using D = std::remove_cvref_t<decltype(d)>;
            std::string const what = "d2/d" + std::string(name) + "2";
            if constexpr (xtad::depends_on<D, L::name>) {
                auto const d2 = xtad::derivative(d, xtad::wrt(leaf), xtad::ones_like(d));
                std::string const printed2 = xtad::to_string(d2);
                record(c.id, name, 2, printed2);
                compare(xtad::eval(d2), c.d2, x, c, what, c.d2_text, printed2);
            } else {
                // The first derivative does not depend on the leaf: the second is zero.
                record(c.id, name, 2, "0");
                compare(xt::zeros<double>({points}), c.d2, x, c, what, c.d2_text, "0");
            }
        }
    }
}

/// One case: the expression `make(a, b, c)` at random points of [lo, hi] (seeded by K), its
/// value against SymPy's, its derivatives against SymPy's.
template <std::size_t K, char Second, class F>
void run(F const& make, sympy_case_data const& c) {
    std::mt19937_64 gen(1000 + K);
    std::uniform_real_distribution<double> u(c.lo, c.hi);
    std::array<xt::xarray<double>, 3> x;
    for (auto& v : x) {
        v = xt::xarray<double>::from_shape({points});
        std::generate(v.begin(), v.end(), [&] { return u(gen); });
    }
    auto const a = xtad::var<"a">(x[0]);
    auto const b = xtad::var<"b">(x[1]);
    auto const cc = xtad::var<"c">(x[2]);
    auto const e = make(a, b, cc);
    compare(xtad::eval(e), c.value, x, c, "the value", c.sympy, xtad::to_string(e));
    check_leaf<0, Second>(e, a, x, c);
    check_leaf<1, Second>(e, b, x, c);
    check_leaf<2, Second>(e, cc, x, c);
}

} // namespace sympy_check
