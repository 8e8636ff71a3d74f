// backward seeded by a number, as torch's e.backward(gradient) would not take either.
// expect: xtad: the seed of backward must be a tensor or an xtad expression of e's shape
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    xtad::backward(x * x, 1.0);
}
