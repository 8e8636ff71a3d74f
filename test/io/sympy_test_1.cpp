// xtad's derivatives against SymPy's (scripts/gen_sympy_refs.py, which also reads back what
// xtad prints): the cases of sympy_refs.inc with index % 3 == 0, and the notebook's formulas.
// Three translation units share the cases, so that each compiles in under a minute.
#include "io/sympy_case.hpp"

namespace {

template <std::size_t K, char Second, class F>
void sympy_case(F const& make, sympy_check::sympy_case_data const& c) {
    if constexpr (K % 3 == 0) {
        sympy_check::run<K, Second>(make, c);
    }
}

} // namespace

TEST_CASE("SymPy: the derivatives of the cases of sympy_refs.inc with index % 3 == 0") {
    using namespace xtad;
    using sympy_check::sympy_case_data;
#include "io/sympy_refs.inc"
}

TEST_CASE("SymPy: the notebook's derivatives print as 9*a^2 and 18*a") {
    using namespace xtad;
    auto const a = var<"a">(xt::xarray<double>{1., 2.});
    auto const b = var<"b">(xt::xarray<double>{3., 4.});
    auto const Q = 3 * pow<3>(a) - pow<2>(b);
    auto const dQ_da = derivative(Q, wrt(a), ones_like(Q));
    CHECK(to_string(dQ_da) == "9*a^2");
    CHECK(to_string(derivative(dQ_da, wrt(a), ones_like(dQ_da))) == "18*a");
    CHECK(to_string(derivative(Q, wrt(b), ones_like(Q))) == "-2*b");
}
