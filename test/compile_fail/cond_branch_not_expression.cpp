// A branch of cond that returns a number, not an expression of its operand.
// expect: xtad::cond: each branch must return an xtad expression built from x
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::cond(
        true, [](auto const& z) { return 2. * z; }, [](auto const&) { return 0.; }, x);
    (void)y;
}
