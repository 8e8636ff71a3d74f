// A body written in JAX's order, (i, carry): the carry is not read, and the message says why.
// expect: xtad: a loop's body does not read its carry; it is called as body(carry, i)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto k = xtad::var<"k">(xt::xarray<double>{3., 4.});
    auto y = xtad::fori_loop(
        0, 3, [&](auto, auto const& c) { return k * c; }, x);
    (void)y;
}
