// A user's tensor op without its jvp rule, differentiated in forward mode: the error names the
// rule that is missing.
// expect: a tensor op needs a jvp rule for forward mode
#include <xtad/xtad.hpp>

#include <tuple>

struct twice_op : xtad::tensor_op<"twice", "MulBackward0"> {
    xtad::shape_t shape(xtad::shape_t const& x) const { return x; }
    template <class T>
    xt::xarray<T> value(xt::xarray<T> const& x) const {
        return 2. * x;
    }
    template <class G, class Y, class X>
    auto vjp(G const& g, Y const&, X const&) const {
        return std::tuple{2. * g};
    }
};

int main() {
    auto const f = [](auto const& x) { return xtad::apply<twice_op>(x); };
    auto const j = xtad::jacfwd(f, xtad::at(xt::xarray<double>{1., 2.}));
    (void)j;
}
