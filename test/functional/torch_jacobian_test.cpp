// Checks jacfwd, jacrev and jacobian against torch.autograd.functional.jacobian (PyTorch 1.13),
// whose values scripts/gen_jacobian_refs.py writes to torch_jacobians.inc.
#include <xtad/functional.hpp>
#include <xtad/ops.hpp>

#include <doctest/doctest.h>

#include "support/torch_refs.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace torch_jacobians {

using torch_refs::raw_named;
using torch_refs::raw_tensor;

/// One function: its torch source, constants and inputs, torch's value and Jacobians.
struct raw_case {
    char const* name = "";
    char const* torch = "";
    std::initializer_list<raw_named> consts = {};
    std::initializer_list<raw_named> inputs = {};
    raw_tensor value = {};
    std::initializer_list<raw_tensor> jacobians = {};
};

} // namespace torch_jacobians

#include "torch_jacobians.inc"

namespace {

using namespace xtad;
namespace refs = torch_jacobians;

using torch_refs::consts;
using torch_refs::to_xarray;

/// raw_case, as tensors.
struct ref_case {
    std::string name;
    std::string torch;
    consts k;
    std::vector<std::string> input_names;
    std::vector<xt::xarray<double>> inputs;
    xt::xarray<double> value;
    std::vector<xt::xarray<double>> jacobians;
};

ref_case to_ref(refs::raw_case const& raw) {
    ref_case c{raw.name, raw.torch, {}, {}, {}, to_xarray(raw.value), {}};
    for (auto const& k : raw.consts) {
        c.k.add(k.name, to_xarray(k.tensor));
    }
    for (auto const& x : raw.inputs) {
        c.input_names.emplace_back(x.name);
        c.inputs.push_back(to_xarray(x.tensor));
    }
    for (auto const& j : raw.jacobians) {
        c.jacobians.push_back(to_xarray(j));
    }
    return c;
}

std::string show(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

template <class S>
std::string show_shape(S const& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return s + ")";
}

/// The multi-index of flat (row-major) position i in a tensor of that shape.
template <class S>
std::string show_index(std::size_t i, S const& shape) {
    std::vector<std::size_t> idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    return show_shape(idx);
}

/// |got - want| <= 1e-12 (1 + |want|), element by element; one CHECK listing every mismatch.
void expect_matches(xt::xarray<double> const& got, xt::xarray<double> const& want,
                    std::string const& what, ref_case const& c) {
    std::string msg;
    if (got.shape() != want.shape()) {
        msg = " shape " + show_shape(got.shape()) + ", torch " + show_shape(want.shape());
    } else {
        for (std::size_t i = 0; i < want.size(); ++i) {
            double const g = got.flat(i), w = want.flat(i);
            if (!(std::abs(g - w) <= 1e-12 * (1 + std::abs(w)))) {
                msg += "\n    " + show_index(i, want.shape()) + " torch " + show(w) + ", xtad "
                       + show(g);
            }
        }
    }
    CHECK_MESSAGE(msg.empty(),
                  (c.name + ": " + c.torch + "\n  " + what + " differs from torch:" + msg));
}

/// The forward-mode width for every function: 2 tangents per pass, so that most inputs take several
/// passes, some with a partial last one. jacobian() shares this instantiation (it uses 2 or 8).
constexpr std::size_t width = 2;
std::string const jacfwd_name = "jacfwd<" + std::to_string(width) + ">";

/// Checks the value of f and its Jacobian by jacfwd and jacrev, and by jacobian if asked.
template <bool Jacobian, class F>
void check_one_input(ref_case const& c, F const& f) {
    REQUIRE(c.inputs.size() == 1);
    REQUIRE(c.jacobians.size() == 1);
    auto const g = [&](auto const& x) { return f(c.k, x); };
    auto const& x0 = c.inputs[0];
    expect_matches(eval(g(var<"x0">(x0))), c.value, "value", c);
    expect_matches(jacfwd<width>(g, at(x0)), c.jacobians[0], jacfwd_name, c);
    expect_matches(jacrev(g, at(x0)), c.jacobians[0], "jacrev", c);
    if constexpr (Jacobian) {
        expect_matches(jacobian(g, at(x0)), c.jacobians[0], "jacobian", c);
    }
}

/// The same for f of two inputs, whose Jacobians come as a tuple.
template <bool Jacobian, class F>
void check_two_inputs(ref_case const& c, F const& f) {
    REQUIRE(c.inputs.size() == 2);
    REQUIRE(c.jacobians.size() == 2);
    auto const g = [&](auto const& a, auto const& b) { return f(c.k, a, b); };
    auto const& a0 = c.inputs[0];
    auto const& b0 = c.inputs[1];
    std::string const a = " d/d" + c.input_names[0], b = " d/d" + c.input_names[1];
    expect_matches(eval(g(var<"x0">(a0), var<"x1">(b0))), c.value, "value", c);
    auto const [fa, fb] = jacfwd<width>(g, at(a0, b0));
    expect_matches(fa, c.jacobians[0], jacfwd_name + a, c);
    expect_matches(fb, c.jacobians[1], jacfwd_name + b, c);
    auto const [ra, rb] = jacrev(g, at(a0, b0));
    expect_matches(ra, c.jacobians[0], "jacrev" + a, c);
    expect_matches(rb, c.jacobians[1], "jacrev" + b, c);
    if constexpr (Jacobian) {
        auto const [ja, jb] = jacobian(g, at(a0, b0));
        expect_matches(ja, c.jacobians[0], "jacobian" + a, c);
        expect_matches(jb, c.jacobians[1], "jacobian" + b, c);
    }
}

/// A case's C++ function, under the name of its torch twin in torch_jacobians.inc.
struct function {
    std::string_view name;
    std::function<void(ref_case const&)> check;
};

template <bool Jacobian = false, class F>
function one_input(std::string_view name, F f) {
    return {name, [f](ref_case const& c) { check_one_input<Jacobian>(c, f); }};
}

template <bool Jacobian = false, class F>
function two_inputs(std::string_view name, F f) {
    return {name, [f](ref_case const& c) { check_two_inputs<Jacobian>(c, f); }};
}

/// Marks the functions that are also checked through jacobian(). It instantiates jacfwd at widths
/// 2 and 8 and jacrev, seconds of compilation per function, so only three go through it, chosen
/// so that its cost model (detail::forward_is_cheaper) takes each route: the notebook (forward
/// mode, width 2), two_mat_vec (forward, width 8, two inputs) and sum_mean_axes (reverse).
constexpr bool and_jacobian = true;

// The functions of scripts/gen_jacobian_refs.py, in its order, each under its torch source.
std::vector<function> const& functions() {
    static std::vector<function> const fs = {
        // torch.stack([x[0] ** 2 + x[1] ** 3, x[0] ** 3 + x[1] ** 2])
        one_input<and_jacobian>("notebook",
                                [](consts const&, auto const& x) {
                                    return stack(pow<2>(x(0)) + pow<3>(x(1)),
                                                 pow<3>(x(0)) + pow<2>(x(1)));
                                }),
        // torch.tanh(a * x + b) * torch.exp(-x * x)
        one_input(
            "r1_to_r5",
            [](consts const& c, auto const& x) { return tanh(c["a"] * x + c["b"]) * exp(-x * x); }),
        // torch.log1p(torch.sum(A * x * x, 1)) + torch.sin(torch.sum(A * x, 1))
        one_input("r5_to_r1",
                  [](consts const& c, auto const& x) {
                      return log1p(sum(c["A"] * x * x, {1})) + sin(sum(c["A"] * x, {1}));
                  }),
        // x * torch.sum(A * torch.tanh(x), 1) + torch.cos(x) / (1 + x * x)
        one_input("r3_to_r3",
                  [](consts const& c, auto const& x) {
                      return x * sum(c["A"] * tanh(x), {1}) + cos(x) / (1.0 + x * x);
                  }),
        // torch.sum(A * torch.sin(x), 1) + torch.sigmoid(torch.sum(B * x * x, 1))
        one_input("r10_to_r4",
                  [](consts const& c, auto const& x) {
                      return sum(c["A"] * sin(x), {1}) + sigmoid(sum(c["B"] * x * x, {1}));
                  }),
        // torch.tanh(torch.sum(A * x, 1) + b) * torch.exp(-0.1 * torch.sum(x * x))
        one_input("r4_to_r10",
                  [](consts const& c, auto const& x) {
                      return tanh(sum(c["A"] * x, {1}) + c["b"]) * exp(-0.1 * sum(x * x));
                  }),
        // x * torch.exp(-torch.sum(x * x, 0)) + torch.sin(x)
        one_input("mat_to_mat",
                  [](consts const&, auto const& x) { return x * exp(-sum(x * x, {0})) + sin(x); }),
        // torch.sin(a) * b + torch.sum(a * a) * torch.mean(b)
        two_inputs<and_jacobian>("two_mat_vec",
                                 [](consts const&, auto const& a, auto const& b) {
                                     return sin(a) * b + sum(a * a) * mean(b);
                                 }),
        // torch.sum(a * s) / torch.linalg.vector_norm(a) + torch.prod(torch.exp(s * a))
        two_inputs("two_vec_scalar",
                   [](consts const&, auto const& a, auto const& s) {
                       return sum(a * s) / norm(a) + prod(exp(s * a));
                   }),
        // torch.sum(torch.sin(x) * x, (0, 2)) + torch.mean(torch.tanh(x), (-1, -3))
        //  * torch.sum(x * x, -2)[1, 3]
        one_input<and_jacobian>("sum_mean_axes",
                                [](consts const&, auto const& x) {
                                    return sum(sin(x) * x, {0, 2})
                                           + mean(tanh(x), {-1, -3})
                                                 * index(sum(x * x, {-2}), 1, 3);
                                }),
        // torch.prod(x, 1) * torch.linalg.vector_norm(x, dim=(-1,))
        //  + torch.prod(x) * torch.linalg.vector_norm(x, dim=(0,))[1]
        one_input("prod_norm_axes",
                  [](consts const&, auto const& x) {
                      return prod(x, {1}) * norm(x, {-1}) + prod(x) * index(norm(x, {0}), 1);
                  }),
        // torch.stack([torch.stack([x[0, 1] * x[1, 2], torch.sum(A * x, 1)[0]]),
        //              torch.stack([torch.exp(x[1, 0]) / x[0, 2], (torch.sin(x) * x)[1, 1] ** 2])])
        one_input("stacks",
                  [](consts const& c, auto const& x) {
                      return stack(stack(x(0, 1) * x(1, 2), index(sum(c["A"] * x, {1}), 0)),
                                   stack(exp(x(1, 0)) / x(0, 2), pow<2>(index(sin(x) * x, 1, 1))));
                  }),
        // torch.matmul(A, B)
        two_inputs("matmul_mm",
                   [](consts const&, auto const& a, auto const& b) { return matmul(a, b); }),
        // torch.sin(torch.matmul(A, x))
        two_inputs("matmul_mv",
                   [](consts const&, auto const& a, auto const& x) { return sin(matmul(a, x)); }),
        // torch.matmul(v, A) * torch.matmul(v, A)
        two_inputs("matmul_vm", [](consts const&, auto const& v,
                                   auto const& a) { return matmul(v, a) * matmul(v, a); }),
        // torch.matmul(x, y) * torch.dot(torch.sin(x), y)
        two_inputs("matmul_vv", [](consts const&, auto const& x,
                                   auto const& y) { return matmul(x, y) * dot(sin(x), y); }),
        // torch.matmul(C, torch.matmul(A, B))
        two_inputs("matmul_batched", [](consts const& c, auto const& a,
                                        auto const& b) { return matmul(c["C"], matmul(a, b)); }),
        // torch.matmul(A, B) + torch.matmul(v, B)
        two_inputs("matmul_broadcast",
                   [](consts const& c, auto const& a, auto const& b) {
                       return matmul(a, b) + matmul(c["v"], b);
                   }),
        // A * A.T + torch.matmul(A.T, torch.sin(A))
        one_input("transpose",
                  [](consts const&, auto const& a) {
                      return a * transpose(a) + matmul(transpose(a), sin(a));
                  }),
        // torch.sin(torch.permute(x, (2, 0, 1))) * c
        one_input("permute",
                  [](consts const& c, auto const& x) {
                      return sin(transpose(x, {2, 0, 1})) * c["c"];
                  }),
        // torch.matmul(torch.outer(x, y), torch.exp(y))
        two_inputs("outer", [](consts const&, auto const& x,
                               auto const& y) { return matmul(outer(x, y), exp(y)); }),
        // torch.mean(torch.log1p(torch.exp(-y * (torch.matmul(X, w) + 0.25))))
        one_input("logistic",
                  [](consts const& c, auto const& w) {
                      return mean(log1p(exp(-c["y"] * (matmul(c["X"], w) + 0.25))));
                  }),
        // A[:, 0] * A[1, :3] + torch.sum(torch.sin(A[::2, None, 1:-1]) * A[-1, None, 1:3])
        one_input("slices",
                  [](consts const&, auto const& a) {
                      using xt::placeholders::_;
                      return view(a, xt::all(), 0) * view(a, 1, xt::range(_, 3))
                             + sum(sin(view(a, xt::range(_, _, 2), xt::newaxis(), xt::range(1, -1)))
                                   * view(a, -1, xt::newaxis(), xt::range(1, 3)));
                  }),
        // torch.sin(A[A > 0]) * A[A > 0] + torch.sum(A[torch.abs(A) < 0.5] ** 2)
        one_input("masks",
                  [](consts const&, auto const& a) {
                      return sin(filter(a, a > 0.)) * filter(a, a > 0.)
                             + sum(pow<2>(filter(a, abs(a) < 0.5)));
                  }),
        // torch.sum(A[:, 0] * A[1, :]) + torch.sum(A * A.T)
        one_input("notebook_slices",
                  [](consts const&, auto const& a) {
                      return sum(view(a, xt::all(), 0) * view(a, 1, xt::all()))
                             + sum(a * transpose(a));
                  }),
        // torch.sin(torch.diagonal(A, 1)) * torch.trace(A @ A.T)
        //     + torch.sum(torch.diagonal(B, -1, -2, -1) ** 2)
        two_inputs("diagonal_trace",
                   [](consts const&, auto const& a, auto const& b) {
                       return sin(diagonal(a, 1)) * trace(matmul(a, transpose(a)))
                              + sum(pow<2>(diagonal(b, -1, -2, -1)));
                   }),
        // torch.inverse(A) + torch.sum(torch.linalg.inv(A * A))
        one_input("inv", [](consts const&, auto const& a) { return inv(a) + sum(inv(a * a)); }),
        // torch.linalg.det(A) * torch.sum(torch.sin(A))
        one_input("det", [](consts const&, auto const& a) { return det(a) * sum(sin(a)); }),
        // torch.linalg.slogdet(A)[1] * torch.linalg.slogdet(A - 1)[0]
        one_input(
            "slogdet",
            [](consts const&, auto const& a) { return slogdet(a).second * slogdet(a - 1.).first; }),
        // torch.linalg.cholesky(A @ A.T + I) * torch.sum(torch.linalg.cholesky(A.T @ A + 2 I))
        one_input("cholesky",
                  [](consts const&, auto const& a) {
                      xt::xarray<double> const eye = xt::eye<double>(3);
                      return cholesky(matmul(a, transpose(a)) + eye)
                             * sum(cholesky(matmul(transpose(a), a) + 2. * eye));
                  }),
        // c * torch.linalg.solve(A, b)
        two_inputs("solve", [](consts const& c, auto const& a,
                               auto const& b) { return c["c"] * solve(a, b); }),
        // torch.linalg.solve(A, B) ** 2
        two_inputs("solve_matrix",
                   [](consts const&, auto const& a, auto const& b) { return pow<2>(solve(a, b)); }),
        // torch.matmul(A, torch.linalg.solve(A, b)) - b
        two_inputs("notebook_residual", [](consts const&, auto const& a,
                                           auto const& b) { return matmul(a, solve(a, b)) - b; }),
    };
    return fs;
}

function const* find_function(std::string_view name) {
    for (auto const& f : functions()) {
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

TEST_CASE("every case of torch_jacobians.inc has its C++ function, and every function its case") {
    for (auto const& c : refs::cases) {
        CHECK_MESSAGE(find_function(c.name) != nullptr, "torch_jacobians.inc has case '"
                                                            << std::string(c.name)
                                                            << "' but the test no function");
    }
    for (auto const& f : functions()) {
        CHECK_MESSAGE(has_case(f.name), "the test has function '"
                                            << std::string(f.name)
                                            << "' but torch_jacobians.inc no case: regenerate it");
    }
}

TEST_CASE("jacfwd, jacrev and jacobian match torch.autograd.functional.jacobian") {
    for (auto const& raw : refs::cases) {
        auto const* f = find_function(raw.name);
        if (f == nullptr) {
            continue; // reported above
        }
        auto const c = to_ref(raw);
        try {
            f->check(c);
        } catch (std::exception const& ex) {
            FAIL_CHECK(c.name << ": " << c.torch << "\n  threw: " << ex.what());
        }
    }
}
