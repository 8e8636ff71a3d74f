// Torch Hessian checks, part 3 (run by torch_hessian_test.cpp): reductions over all elements and
// over axes, and prod (at zeros too).
#include "torch_hessian.hpp"

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

auto const prods = [](consts const&, auto const& x) {
    return prod(x) + sum(prod(x, {1}) * sum(x, {-1}));
};

refs::registrar const part_3{
    // torch.sum(torch.mean(torch.sin(x), 1) * torch.linalg.vector_norm(x, dim=(-1,)))
    //  + torch.linalg.vector_norm(x) * torch.mean(torch.sum(x * x, 0))
    all_routes("reductions",
               [](consts const&, auto const& x) {
                   return sum(mean(sin(x), {1}) * norm(x, {-1})) + norm(x) * mean(sum(x * x, {0}));
               }),
    // torch.prod(x) + torch.sum(torch.prod(x, 1) * torch.sum(x, -1)), at random points and where
    // the products have one, two and six zeros (one lambda: its routes compile once).
    all_routes("prods", prods),
    all_routes("prods_one_zero", prods),
    all_routes("prods_two_zeros", prods),
    all_routes("prods_six_zeros", prods),
};

} // namespace
