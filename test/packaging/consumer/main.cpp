// A program outside xtad that uses it as an installed package: includes the umbrella header,
// solves a 2x2 system through xtensor-blas (so LAPACK must link) and checks the answer. It is
// kept small because it is compiled three times by every run of the packaging test.
#include <xtad/core/linalg.hpp>
#include <xtad/xtad.hpp>

#include <cmath>
#include <cstdio>

static_assert(__cplusplus >= 202002L, "xtad's package must put the compiler in C++20 mode");

#define XTAD_CONSUMER_STR2(x) #x
#define XTAD_CONSUMER_STR(x) XTAD_CONSUMER_STR2(x)
#ifdef XTENSOR_USE_FLENS_BLAS
#define XTAD_CONSUMER_FLENS XTAD_CONSUMER_STR(XTENSOR_USE_FLENS_BLAS)
#else
#define XTAD_CONSUMER_FLENS "undefined"
#endif

int main() {
    const xt::xtensor<double, 2> a{{4.0, 1.0}, {2.0, 3.0}};
    const xt::xtensor<double, 1> b{1.0, 2.0};
    const xt::xtensor<double, 1> x = xt::linalg::solve(a, b);
    // run.sh compares this line across the three ways: each must compile xtad the same way.
    std::printf("xtad consumer flags: C++ %ld, XTENSOR_USE_FLENS_BLAS %s\n", long(__cplusplus),
                XTAD_CONSUMER_FLENS);
    std::printf("xtad consumer: x = [%.6f, %.6f]\n", x(0), x(1));
    // 4 x0 + x1 = 1 and 2 x0 + 3 x1 = 2, so x0 = 0.1 and x1 = 0.6.
    if (std::abs(x(0) - 0.1) > 1e-12 || std::abs(x(1) - 0.6) > 1e-12) {
        std::fprintf(stderr, "xtad consumer: wrong solution\n");
        return 1;
    }
    return 0;
}
