// The peak memory of one gradient of a scalar loss of 10^7 values (docs/performance.md, W2):
// run as `/usr/bin/time -f %M bench_peak_memory LOSS` with LOSS one of none, sum_sq_sin,
// log_sum_exp, normal, hvp; `none` only makes the input, the baseline to compare with.
#include <xtad/xtad.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <tuple>

int main(int argc, char** argv) {
    using namespace xtad;
    std::size_t const n = 10000000;
    auto x = var<"x">(xt::xarray<double>(xt::linspace<double>(-1.3, 1.1, n)));
    auto mu = var<"mu">(xt::xarray<double>(0.2));
    auto sigma = var<"sigma">(xt::xarray<double>(1.7));
    std::string const loss = argc > 1 ? argv[1] : "none";
    double s = x.value()(0);
    if (loss == "sum_sq_sin") {
        auto [g] = grad(sum(pow<2>(sin(x))), wrt(x));
        s = g(0);
    } else if (loss == "log_sum_exp") {
        auto [g] = grad(log(sum(exp(x))), wrt(x));
        s = g(0);
    } else if (loss == "normal") {
        auto [g, a, b] =
            grad(sum(-0.5 * pow<2>((x - mu) / sigma)) - double(n) * log(sigma), wrt(x, mu, sigma));
        s = g(0) + a() + b();
    } else if (loss == "hvp") {
        xt::xarray<double> const v = xt::ones<double>({n});
        auto r = hvp([](auto const& y) { return sum(pow<2>(sin(y))); }, at(x.value()), v);
        s = std::get<1>(r)(0);
    } else if (loss != "none") {
        std::fprintf(stderr, "unknown loss %s\n", loss.c_str());
        return 2;
    }
    std::printf("%g\n", s);
    return 0;
}
