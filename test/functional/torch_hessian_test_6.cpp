// Torch Hessian checks, part 6 (run by torch_hessian_test.cpp): products, transposes and slices.
#include "torch_hessian.hpp"

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

refs::registrar const part_6{
    // torch.matmul(x, torch.matmul(A, x)) + torch.sum(torch.tanh(torch.matmul(A.T, x * x)))
    all_routes("matmul_forms",
               [](consts const& c, auto const& x) {
                   return matmul(x, matmul(c["A"], x))
                          + sum(tanh(matmul(xt::transpose(c["A"]), x * x)));
               }),
    // torch.mean(torch.log1p(torch.exp(-y * (torch.matmul(X, x) + 0.25))))
    all_routes("logistic",
               [](consts const& c, auto const& x) {
                   return mean(log1p(exp(-c["y"] * (matmul(c["X"], x) + 0.25))));
               }),
    // torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    all_routes("rosenbrock_vectorised",
               [](consts const&, auto const& x) {
                   using xt::placeholders::_;
                   auto const hi = view(x, xt::range(1, _));
                   auto const lo = view(x, xt::range(_, -1));
                   return sum(100.0 * pow<2>(hi - pow<2>(lo)) + pow<2>(1.0 - lo));
               }),
};

} // namespace
