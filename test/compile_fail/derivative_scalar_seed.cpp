// derivative seeded by a number, where the seed is a tensor of e's shape.
// expect: xtad: the seed of derivative must be a tensor or an xtad expression of e's shape
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto e = x * x;
    (void)xtad::eval(xtad::derivative(e, xtad::wrt(x), 2.0));
}
