// A user's elementwise op without its derivative: apply names the rule that is missing.
// expect: Op needs its derivative as an xtad expression
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <cmath>

struct softplus_op : xtad::function_op<"softplus", "SoftplusBackward0"> {
    template <class T>
    T value(T const& x) const {
        using std::exp, std::log1p;
        return log1p(exp(x));
    }
};

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::apply<softplus_op>(x);
    auto [g] = xtad::grad(xtad::sum(y), xtad::wrt(x));
    (void)g;
}
