// scan's body returns the next carry and an output; one that returns the carry alone is named.
// expect: xtad::scan: the body must return a pair (next carry, output) of xtad expressions
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto ys = xtad::scan([](auto const& c) { return 2. * c; }, x, 4);
    (void)ys;
}
