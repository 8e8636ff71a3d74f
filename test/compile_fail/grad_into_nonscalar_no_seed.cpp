// grad_into(outs, e, wrt(x)) without a seed on an expression known at compile time to have two
// elements.
// expect: xtad::grad_into(outs, e, wrt(...)) without a seed needs a one-element expression
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xtensor_fixed<double, xt::xshape<2>>{1., 2.});
    xt::xtensor_fixed<double, xt::xshape<2>> dx;
    xtad::grad_into(std::tie(dx), x * 2., xtad::wrt(x));
}
