// A slice that is not one of xtensor's slice arguments: view names what it takes.
// expect: xtad::view: each slice must be an integer
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2., 3.});
    auto y = xtad::view(x, 1.5);
    auto [g] = xtad::grad(xtad::sum(y), xtad::wrt(x));
    (void)g;
}
