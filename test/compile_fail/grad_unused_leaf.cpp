// grad with respect to a leaf the expression does not use, without allow_unused.
// expect: xtad::grad: a leaf in wrt(...) does not occur in the expression
// expect: leaf_must_occur_in_the_expression<xtad::fixed_string<2>{"b"}
#include <xtad/xtad.hpp>

int main() {
    auto a = xtad::var<"a">(xt::xarray<double>{1., 2.});
    auto b = xtad::var<"b">(xt::xarray<double>{1., 2.});
    auto e = xtad::sin(a);
    (void)xtad::grad(e, xtad::wrt(a, b), xtad::ones_like(e));
}
