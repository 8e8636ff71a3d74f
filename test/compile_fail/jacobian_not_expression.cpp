// A function that returns a plain tensor, not an expression of its argument.
// expect: must return an xtad expression of its arguments, not a plain tensor or a number
#include <xtad/xtad.hpp>

int main() {
    xt::xarray<double> const x0 = {1., 2.};
    (void)xtad::jacrev([](auto const&) { return xt::xarray<double>{1., 2.}; }, xtad::at(x0));
}
