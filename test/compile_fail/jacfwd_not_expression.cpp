// jacfwd of a function that returns a plain tensor, not an expression of its argument.
// expect: must return an xtad expression of its arguments, not a plain tensor or a number
#include <xtad/functional.hpp>

int main() {
    xt::xarray<double> const x0 = {1., 2.};
    auto const f = [](auto const&) { return xt::xarray<double>{1., 2.}; };
    xt::xarray<double> const J = xtad::jacfwd(f, xtad::at(x0));
    (void)J;
}
