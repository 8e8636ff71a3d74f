// Checks hessian (all three routes), hvp and grad against torch.autograd.functional.hessian and
// hvp (PyTorch 1.13), whose values scripts/gen_hessian_refs.py writes to torch_hessians.inc. The
// functions are spread over torch_hessian_test*.cpp to keep each file's compilation short; this
// one runs the checks of all of them.
#include "torch_hessian.hpp"

#include <exception>

using namespace xtad;
namespace refs = torch_hessians;

namespace {

using refs::all_routes;
using refs::consts;

refs::registrar const part_1{
    // torch.sum(torch.tanh(x) * torch.exp(-x * x) + torch.log1p(x * x) / (2 + torch.cos(x)))
    all_routes("elementwise",
               [](consts const&, auto const& x) {
                   return sum(tanh(x) * exp(-x * x) + log1p(x * x) / (2.0 + cos(x)));
               }),
    // torch.sum(x * torch.sum(A * x, 1)) + torch.sum(b * x)
    all_routes("quadratic",
               [](consts const& c, auto const& x) {
                   return sum(x * sum(c["A"] * x, {1})) + sum(c["b"] * x);
               }),
    // torch.sum(x ** 2 * torch.sin(x))
    all_routes("x2_sin", [](consts const&, auto const& x) { return sum(pow<2>(x) * sin(x)); }),
};

refs::function const* find_function(std::string_view name) {
    for (auto const& f : refs::registry()) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

bool has_case(std::string_view name) {
    for (auto const& c : refs::cases) {
        if (c.name == name) {
            return true;
        }
    }
    return false;
}

} // namespace

TEST_CASE("every case of torch_hessians.inc has its C++ function, and every function its case") {
    for (auto const& c : refs::cases) {
        CHECK_MESSAGE(find_function(c.name) != nullptr, "torch_hessians.inc has case '"
                                                            << std::string(c.name)
                                                            << "' but the test no function");
    }
    for (auto const& f : refs::registry()) {
        CHECK_MESSAGE(has_case(f.name), "the test has function '"
                                            << std::string(f.name)
                                            << "' but torch_hessians.inc no case: regenerate it");
    }
}

TEST_CASE("hessian (three routes), hvp and grad match torch.autograd.functional.hessian and hvp") {
    for (auto const& raw : refs::cases) {
        auto const* f = find_function(raw.name);
        if (f == nullptr) {
            continue; // reported above
        }
        auto const c = refs::to_ref(raw);
        try {
            f->check(c);
        } catch (std::exception const& ex) {
            FAIL_CHECK(c.name << ": " << c.torch << "\n  threw: " << ex.what());
        }
    }
}
