// A user's tensor op without its shape rule: apply names the rule that is missing.
// expect: a tensor op needs a shape rule
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

struct twice_op : xtad::tensor_op<"twice", "MulBackward0"> {
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& x) const {
        return 2. * x;
    }
};

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::apply<twice_op>(x);
    auto [g] = xtad::grad(xtad::sum(y), xtad::wrt(x));
    (void)g;
}
