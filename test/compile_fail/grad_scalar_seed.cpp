// grad seeded by a number, where the seed is a tensor of e's shape.
// expect: xtad: the seed of grad must be a tensor or an xtad expression of e's shape
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto [dx] = xtad::grad(x * x, xtad::wrt(x), 1.0);
    (void)dx;
}
