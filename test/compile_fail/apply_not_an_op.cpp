// apply with a type that is not an op (no name for the printers and torch's grad_fn).
// expect: Op needs a name and torch's name for its backward
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <cmath>

struct softplus {
    template <class T>
    T value(T const& x) const {
        return std::log1p(std::exp(x));
    }
};

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::apply<softplus>(x);
    (void)y;
}
