// Two different leaves named "a" in one expression.
// expect: two different leaves in one expression share a name
#include <xtad/xtad.hpp>

int main() {
    auto a = xtad::var<"a">(xt::xarray<double>{1., 2.});
    auto other = xtad::var<"a">(xt::xarray<float>{1.f, 2.f});
    (void)(a * other);
}
