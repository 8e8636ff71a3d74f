// Torch Hessian checks, part 2 (run by torch_hessian_test.cpp): broadcasting against constants,
// and stack, concatenate and element access.
#include "torch_hessian.hpp"

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

refs::registrar const part_2{
    // torch.sum(c * torch.sin(A * x + b) ** 2)
    all_routes("broadcast",
               [](consts const& c, auto const& x) {
                   return sum(c["c"] * pow<2>(sin(c["A"] * x + c["b"])));
               }),
    // torch.sum(torch.cat([torch.sin(x), x * x], 1) * A)
    //  + torch.sum(torch.stack([x[0, 1] * x[1, 2], (torch.sin(x) * x)[1, 0]]) ** 2)
    all_routes("stack_cat_index",
               [](consts const& c, auto const& x) {
                   return sum(concatenate(1, sin(x), x * x) * c["A"])
                          + sum(pow<2>(stack(x(0, 1) * x(1, 2), index(sin(x) * x, 1, 0))));
               }),
};

} // namespace
