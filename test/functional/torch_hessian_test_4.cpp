// Torch Hessian checks, part 4 (run by torch_hessian_test.cpp): a matrix-shaped input and the
// Rosenbrock function.
#include "torch_hessian.hpp"

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

refs::registrar const part_4{
    // torch.sum(x * torch.exp(-torch.sum(x * x, 0))) + torch.sum(torch.cos(x)) ** 2
    all_routes("matrix",
               [](consts const&, auto const& x) {
                   return sum(x * exp(-sum(x * x, {0}))) + pow<2>(sum(cos(x)));
               }),
    // torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2), with x[1:] and x[:-1]
    // as stacks of elements
    all_routes("rosenbrock",
               [](consts const&, auto const& x) {
                   auto const hi = stack(x(1), x(2));
                   auto const lo = stack(x(0), x(1));
                   return sum(100.0 * pow<2>(hi - pow<2>(lo)) + pow<2>(1.0 - lo));
               }),
};

} // namespace
