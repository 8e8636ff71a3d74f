// The transforms name their inputs' leaves "%0", "%1", ...: a user's leaf may not.
// expect: xtad::var: names starting with '%' are reserved for the inputs of the transforms
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"%0">(xt::xarray<double>{1., 2.});
    (void)x;
}
