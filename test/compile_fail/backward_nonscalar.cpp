// backward(e) without a seed on an expression known at compile time to have two elements.
// expect: xtad::backward(e) needs a scalar expression; pass a seed of e's shape
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xtensor_fixed<double, xt::xshape<2>>{1., 2.});
    xtad::backward(x * 2.);
}
