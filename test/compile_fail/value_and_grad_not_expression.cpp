// value_and_grad of a function of two inputs that returns a number, not an expression of them.
// expect: must return an xtad expression of its arguments, not a plain tensor or a number
#include <xtad/functional.hpp>

int main() {
    xt::xarray<double> const x0 = {1., 2.};
    auto const f = [](auto const&, auto const&) { return 1.0; };
    auto [v, g] = xtad::value_and_grad(f, xtad::at(x0, x0));
    auto [gx, gy] = g;
    (void)v;
    (void)gx;
    (void)gy;
}
