// The harness of the torch Hessian checks (torch_hessian_test*.cpp): torch_hessians.inc's cases as
// tensors, the check of one C++ function against its case, and the registry the files add their
// functions to. The functions are spread over several files because each costs seconds of
// compilation (three Hessian routes, hvp and grad, each a tree of templates).
#pragma once

#include <xtad/functional.hpp>
#include <xtad/ops.hpp>

#include <doctest/doctest.h>

#include "support/torch_refs.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace torch_hessians {

using torch_refs::raw_named;
using torch_refs::raw_tensor;

/// One scalar function of x: its torch source and constants, the point x, the direction v, and
/// torch's value, gradient, Hessian and H v.
struct raw_case {
    char const* name = "";
    char const* torch = "";
    std::initializer_list<raw_named> consts = {};
    raw_tensor x = {};
    raw_tensor v = {};
    raw_tensor value = {};
    raw_tensor grad = {};
    raw_tensor hessian = {};
    raw_tensor hvp = {};
};

} // namespace torch_hessians

#include "torch_hessians.inc"

namespace torch_hessians {

using torch_refs::consts;
using torch_refs::to_xarray;

/// raw_case, as tensors.
struct ref_case {
    std::string name;
    std::string torch;
    consts k;
    xt::xarray<double> x, v, value, grad, hessian, hvp;
};

inline ref_case to_ref(raw_case const& raw) {
    ref_case c{raw.name,
               raw.torch,
               {},
               to_xarray(raw.x),
               to_xarray(raw.v),
               to_xarray(raw.value),
               to_xarray(raw.grad),
               to_xarray(raw.hessian),
               to_xarray(raw.hvp)};
    for (auto const& k : raw.consts) {
        c.k.add(k.name, to_xarray(k.tensor));
    }
    return c;
}

inline std::string show(double v) {
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

/// |got - want| <= 1e-10 (1 + |want|), element by element; one CHECK listing every mismatch.
inline void expect_matches(xt::xarray<double> const& got, xt::xarray<double> const& want,
                           std::string const& what, ref_case const& c) {
    std::string msg;
    if (got.shape() != want.shape()) {
        msg = " shape " + show_shape(got.shape()) + ", torch " + show_shape(want.shape());
    } else {
        for (std::size_t i = 0; i < want.size(); ++i) {
            double const g = got.flat(i), w = want.flat(i);
            if (!(std::abs(g - w) <= 1e-10 * (1 + std::abs(w)))) {
                msg += "\n    " + show_index(i, want.shape()) + " torch " + show(w) + ", xtad "
                       + show(g);
            }
        }
    }
    CHECK_MESSAGE(msg.empty(),
                  (c.name + ": " + c.torch + "\n  " + what + " differs from torch:" + msg));
}

/// Checks f's value, gradient (grad), Hessian by every route asked for, and hvp against torch.
template <class F>
void check(ref_case const& c, F const& f) {
    using namespace xtad;
    auto const g = [&](auto const& x) { return f(c.k, x); };
    auto const x = var<"x">(c.x);
    auto const y = g(x);
    expect_matches(eval(y), c.value, "value", c);
    expect_matches(std::get<0>(grad(y, wrt(x))), c.grad, "grad", c);
    expect_matches(hessian(g, at(c.x)), c.hessian, "hessian (forward over reverse, the default)",
                   c);
    expect_matches(hessian<route::forward_over_forward>(g, at(c.x)), c.hessian,
                   "hessian<forward_over_forward>", c);
    expect_matches(hessian<route::reverse_over_reverse>(g, at(c.x)), c.hessian,
                   "hessian<reverse_over_reverse>", c);
    auto const [value, hv] = hvp(g, at(c.x), c.v);
    expect_matches(value, c.value, "hvp's value", c);
    expect_matches(hv, c.hvp, "hvp", c);
}

/// A case's C++ function, under the name of its torch twin in torch_hessians.inc.
struct function {
    std::string_view name;
    std::function<void(ref_case const&)> check;
};

/// A function checked by all three routes.
template <class F>
function all_routes(std::string_view name, F f) {
    return {name, [f](ref_case const& c) { check(c, f); }};
}

/// The functions of all the files, in the order their static initialisers ran.
inline std::vector<function>& registry() {
    static std::vector<function> fs;
    return fs;
}

/// Adds a file's functions to the registry: `registrar const part{all_routes(...), ...};`.
struct registrar {
    registrar(std::initializer_list<function> fs) {
        registry().insert(registry().end(), fs.begin(), fs.end());
    }
};

} // namespace torch_hessians
