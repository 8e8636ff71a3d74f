// A user's op of two arguments with one partial derivative only: apply names what is missing.
// expect: Op needs both partial derivatives as xtad expressions
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

struct hypot_op : xtad::function_op<"hypot", "HypotBackward0"> {
    template <class T, class U>
    auto value(T const& x, U const& y) const {
        return std::sqrt(x * x + y * y);
    }
    template <class X, class Y>
    auto partial_l(X const& x, Y const& y) const {
        return x / xtad::sqrt(x * x + y * y);
    }
};

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    auto y = xtad::var<"y">(xt::xarray<double>{3., 4.});
    auto [gx, gy] = xtad::grad(xtad::sum(xtad::apply<hypot_op>(x, y)), xtad::wrt(x, y));
    (void)gx;
    (void)gy;
}
