// xtad::detect_anomaly where XTAD_DETECT_ANOMALY is not defined: the checks are not compiled in,
// and a switch that silently did nothing would leave the NaN unexplained.
// expect: xtad::detect_anomaly needs the anomaly checks compiled in: #define XTAD_DETECT_ANOMALY 1
// expect: before the first #include of xtad (they cost compile time)
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{-1., 2.});
    xtad::detect_anomaly guard;
    auto [g] = xtad::grad(xtad::sum(xtad::log(x)), xtad::wrt(x));
    (void)g;
}
