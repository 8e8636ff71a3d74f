// A third derivative of prod by reverse mode alone: the adjoint of prod's second derivative has
// no rule, and the message names the routes that work.
// expect: a third derivative of prod by reverse mode alone is not implemented
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2., 3.});
    auto d1 = xtad::derivative(xtad::prod(x), xtad::wrt(x));
    auto d2 = xtad::derivative(d1, xtad::wrt(x), xtad::ones_like(x));
    (void)xtad::derivative(d2, xtad::wrt(x), xtad::ones_like(x));
}
