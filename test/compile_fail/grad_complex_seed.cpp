// grad seeded by complex values: a seed of e's shape, but not of real numbers.
// expect: xtad: the seed of grad must be a tensor or an xtad expression of e's shape
// expect: not a number, a std::vector or complex values
#include <complex>
#include <xtad/xtad.hpp>

int main() {
    using c = std::complex<double>;
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto [dx] = xtad::grad(x * x, xtad::wrt(x), xt::xarray<c>{c(1., 0.), c(1., 0.)});
    (void)dx;
}
