// grad with the leaves passed bare, as torch.autograd.grad(e, [a, b]) takes them, not in wrt(...).
// expect: xtad: grad needs the leaves to differentiate by inside wrt(...)
#include <xtad/xtad.hpp>

int main() {
    auto a = xtad::var<"a">(xt::xarray<double>{1., 2.});
    auto b = xtad::var<"b">(xt::xarray<double>{3., 4.});
    auto e = a * b;
    auto [da, db] = xtad::grad(e, a, b, xtad::ones_like(e));
    (void)da;
    (void)db;
}
