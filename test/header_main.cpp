// Every public header was compiled alone in its own translation unit; reaching main is the test.
// This one uses the core layer alone, as a program that includes only <xtad/core.hpp> may: a leaf,
// its shape, and element access (a node of the core layer since issue 12).
#include <xtad/core.hpp>

int main() {
    auto a = xtad::var<"a">(xt::xarray<double>{1., 2., 3.});
    auto e = a(1);
    return a.shape().size() == 1 && e.shape().empty() && e.op.element_at(a.shape()) == 1 ? 0 : 1;
}
