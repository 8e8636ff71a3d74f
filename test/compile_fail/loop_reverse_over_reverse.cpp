// Reverse mode over a loop's reverse pass: not supported; the message names the routes that are.
// expect: xtad: reverse mode over the reverse pass of a loop is not supported; take second
// derivatives through loops by forward over reverse (hessian's default route, hvp, jacfwd of grad)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto k = xtad::var<"k">(xt::xarray<double>(0.5));
    auto y = xtad::fori_loop(
        0, 3, [&](auto const& c) { return k * sin(c); }, x);
    auto d = xtad::derivative(xtad::sum(y), xtad::wrt(k));
    auto [g] = xtad::grad(d, xtad::wrt(k));
    (void)g;
}
