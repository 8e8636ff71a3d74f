// xtad::anomaly_mode() where XTAD_DETECT_ANOMALY is not defined: there is no switch to ask about.
// expect: xtad::anomaly_mode() needs the anomaly checks compiled in: #define XTAD_DETECT_ANOMALY 1
// expect: before the first #include of xtad (they cost compile time)
#include <xtad/xtad.hpp>

int main() {
    return xtad::anomaly_mode() ? 1 : 0;
}
