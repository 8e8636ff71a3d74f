// A leaf of complex numbers: not supported, and the message says so (not "integer").
// expect: xtad: var<name>(x) needs real values and complex tensors are not supported
#include <complex>
#include <xtad/xtad.hpp>

int main() {
    using c = std::complex<double>;
    auto z = xtad::var<"z">(xt::xarray<c>{c(1., 2.), c(3., 4.)});
    (void)z;
}
