// A leaf of integers has no gradient.
// expect: xtad::var<name>(x) needs floating-point values
#include <xtad/xtad.hpp>

int main() {
    auto i = xtad::var<"i">(xt::xarray<int>{1, 2});
    (void)i;
}
