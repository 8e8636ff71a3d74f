// derivative with the leaf passed bare, not in wrt(...); the result is used, and adds no error.
// expect: xtad: derivative needs the leaves to differentiate by inside wrt(...)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto e = x * x;
    auto d = xtad::derivative(e, x, xtad::ones_like(e));
    (void)xtad::eval(d);
}
