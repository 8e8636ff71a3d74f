// A leaf made from a std::vector, which is not an xtensor container; the leaf is used, and adds no
// error.
// expect: xtad: var<name>(x) needs an xtensor container or expression, or a number
#include <vector>
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(std::vector<double>{1., 2.});
    (void)xtad::eval(xtad::sin(x));
}
