// grad_into with the leaf passed bare, not in wrt(...).
// expect: xtad: grad_into needs the leaves to differentiate by inside wrt(...)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    xt::xarray<double> dx;
    auto e = x * x;
    xtad::grad_into(std::tie(dx), e, x, xtad::ones_like(e));
}
