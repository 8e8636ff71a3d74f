// xtad::ref of a temporary: the reference would dangle before the expression is used.
// expect: xtad::ref(w) holds a reference to w, so w must be a named tensor
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto e = xtad::ref(xt::xarray<double>{3., 4.}) * x;
    (void)e;
}
