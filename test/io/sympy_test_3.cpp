// xtad's derivatives against SymPy's (scripts/gen_sympy_refs.py): the cases of sympy_refs.inc
// with index % 3 == 2 (see sympy_test_1.cpp).
#include "io/sympy_case.hpp"

namespace {

template <std::size_t K, char Second, class F>
void sympy_case(F const& make, sympy_check::sympy_case_data const& c) {
    if constexpr (K % 3 == 2) {
        sympy_check::run<K, Second>(make, c);
    }
}

} // namespace

TEST_CASE("SymPy: the derivatives of the cases of sympy_refs.inc with index % 3 == 2") {
    using namespace xtad;
    using sympy_check::sympy_case_data;
#include "io/sympy_refs.inc"
}
