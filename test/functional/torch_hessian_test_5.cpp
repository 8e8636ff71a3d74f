// Torch Hessian checks, part 5 (run by torch_hessian_test.cpp): log-sum-exp and a function of a
// 0-d input.
#include "torch_hessian.hpp"

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

refs::registrar const part_5{
    // torch.logsumexp(torch.sum(A * x, 1), 0)
    all_routes("logsumexp",
               [](consts const& c, auto const& x) { return log(sum(exp(sum(c["A"] * x, {1})))); }),
    // torch.sum(torch.tanh(x * c)) + x ** 3
    all_routes("scalar_input",
               [](consts const& c, auto const& x) { return sum(tanh(x * c["c"])) + pow<3>(x); }),
};

} // namespace
