// A loop's body that returns a number, not an expression of the carry.
// expect: xtad: a loop's body must return an xtad expression of the carry (the next carry)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::fori_loop(
        0, 3, [](auto const&) { return 1.0; }, x);
    (void)y;
}
