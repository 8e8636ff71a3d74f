// grad_into seeded by a std::vector, which is not an xtensor expression.
// expect: xtad: the seed of grad_into must be a tensor or an xtad expression of e's shape
#include <vector>
#include <xtad/xtad.hpp>

int main() {
    auto x = xtad::var<"x">(xt::xarray<double>{1., 2.});
    xt::xarray<double> dx;
    xtad::grad_into(std::tie(dx), x * x, xtad::wrt(x), std::vector<double>{1., 1.});
}
