// A function of one argument, asked for its Jacobian at two points.
// expect: must take one argument per tensor in at(...); it cannot be called with that many
#include <xtad/xtad.hpp>

int main() {
    xt::xarray<double> const x0 = {1., 2.};
    (void)xtad::jacfwd([](auto const& x) { return x * 2.; }, xtad::at(x0, x0));
}
