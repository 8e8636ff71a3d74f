// Two nested jvp calls whose inner point is a plain double tensor: the inner call's tangents
// would be taken for the outer call's (perturbation confusion).
// expect: xtad: tangents of two different derivative calls meet in one operation
// The evaluation the check stops still reports one type error after it (not removed yet).
// errors: 2
#include <xtad/functional.hpp>

int main() {
    xt::xarray<double> const one = {1.0};
    auto const outer = [&](auto const& x) {
        using V = xtad::value_t<decltype(x)>;
        xt::xarray<V> const xv = xtad::eval(x);
        xt::xarray<double> const y0 = {1.0}; // must be xt::xarray<V>
        auto [value, dy] = xtad::jvp([&](auto const& y) { return xv * y; }, xtad::at(y0), one);
        return x * std::move(dy);
    };
    xt::xarray<double> const x0 = {4.0};
    (void)xtad::jvp(outer, xtad::at(x0), one);
}
