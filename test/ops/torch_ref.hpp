// Defines the harness that checks xtad's values and gradients against PyTorch's (torch_refs.inc).
#pragma once

#include <xtad/xtad.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace torch_refs {

/// A tensor as torch_refs.inc writes it: shape and values in row-major order (0-d: shape {}).
/// The .inc holds constant data only (raw_*), which compiles far faster than the same numbers
/// as initialisers of std::vector.
struct raw_tensor {
    std::initializer_list<std::size_t> shape;
    std::initializer_list<double> values;
};

/// One case of one op: inputs (the differentiable leaves x, y), the seed (grad_outputs),
/// torch's output and torch.autograd.grad(out, inputs, seed).
struct raw_case {
    char const* name = "";
    std::initializer_list<double> params = {}; // the op's doubles (clamp's bounds, c in x + c)
    std::initializer_list<raw_tensor> inputs = {};
    raw_tensor seed = {};
    raw_tensor value = {};
    std::initializer_list<raw_tensor> grads = {};
    std::initializer_list<raw_tensor> xtad_grads = {}; // where xtad documents another gradient
    char const* deviation = nullptr;                   // and why
};

} // namespace torch_refs

#include "torch_refs.inc"

namespace torch_refs {

struct ref_tensor {
    std::vector<std::size_t> shape;
    std::vector<double> values;
};

/// raw_case, as vectors.
struct ref_case {
    std::string name;
    std::vector<double> params;
    std::vector<ref_tensor> inputs;
    ref_tensor seed;
    ref_tensor value;
    std::vector<ref_tensor> grads;
    std::vector<ref_tensor> xtad_grads;
    std::string deviation;
};

inline ref_tensor to_ref(raw_tensor const& t) {
    return {t.shape, t.values};
}

inline std::vector<ref_tensor> to_ref(std::initializer_list<raw_tensor> ts) {
    std::vector<ref_tensor> r;
    for (auto const& t : ts)
        r.push_back(to_ref(t));
    return r;
}

inline std::vector<ref_case> to_ref(std::span<raw_case const> raw) {
    std::vector<ref_case> r;
    for (auto const& c : raw)
        r.push_back({c.name, c.params, to_ref(c.inputs), to_ref(c.seed), to_ref(c.value),
                     to_ref(c.grads), to_ref(c.xtad_grads), c.deviation ? c.deviation : ""});
    return r;
}

inline xt::xarray<double> to_xarray(ref_tensor const& t) {
    auto a = xt::xarray<double>::from_shape(t.shape);
    REQUIRE(a.size() == t.values.size());
    std::copy(t.values.begin(), t.values.end(), a.begin());
    return a;
}

inline std::string show(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

inline std::string show(std::vector<double> const& vs) {
    std::string s = "[";
    for (std::size_t i = 0; i < vs.size(); ++i)
        s += (i ? ", " : "") + show(vs[i]);
    return s + "]";
}

inline std::string show(std::vector<std::size_t> const& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

/// |got - want| <= 1e-12 (1 + |want|); NaN and infinities must match exactly.
inline bool matches(double got, double want) {
    if (std::isnan(want))
        return std::isnan(got);
    if (std::isinf(want))
        return got == want;
    return std::abs(got - want) <= 1e-12 * (1 + std::abs(want));
}

inline std::string describe(char const* op, ref_case const& c) {
    std::string s = std::string(op) + ", case '" + c.name + "'";
    if (!c.deviation.empty())
        s += " (" + c.deviation + ")";
    if (!c.params.empty())
        s += ", params " + show(c.params);
    char const* names[] = {"x", "y"};
    for (std::size_t i = 0; i < c.inputs.size() && i < 2; ++i)
        s += std::string(", ") + names[i] + show(c.inputs[i].shape) + " = "
             + show(c.inputs[i].values);
    return s + ", seed = " + show(c.seed.values);
}

/// Compares one computed tensor with torch's; one CHECK, whose message lists every mismatch.
inline void expect_matches(xt::xarray<double> const& got, ref_tensor const& want, char const* what,
                           char const* op, ref_case const& c) {
    std::vector<std::size_t> got_shape(got.shape().begin(), got.shape().end());
    std::string msg;
    if (got_shape != want.shape) {
        msg = "shape " + show(got_shape) + ", torch " + show(want.shape);
    } else {
        std::size_t i = 0;
        for (auto v : got) {
            if (!matches(v, want.values[i]))
                msg += "\n    [" + std::to_string(i) + "] torch " + show(want.values[i]) + ", xtad "
                       + show(v);
            ++i;
        }
    }
    CHECK_MESSAGE(msg.empty(), (describe(op, c) + "\n  " + what + ": " + msg));
}

/// Runs every case of an op through f(params, x) or f(params, x, y), which builds the xtad
/// expression, and checks eval() and grad() against torch.
template <std::size_t N, class F>
void check_op(char const* op, std::span<raw_case const> raw, F const& f) {
    static_assert(N == 1 || N == 2, "check_op handles ops of one or two tensors");
    auto const cases = to_ref(raw);
    REQUIRE(!cases.empty());
    for (auto const& c : cases) {
        REQUIRE(c.inputs.size() == N);
        // The documented deviation from torch (see xtad's where): expect xtad's value.
        auto const& want = c.xtad_grads.empty() ? c.grads : c.xtad_grads;
        REQUIRE(want.size() == N);
        try {
            auto x = xtad::var<"x">(to_xarray(c.inputs[0]));
            if constexpr (N == 1) {
                auto e = f(c.params, x);
                xt::xarray<double> v = xtad::eval(e);
                expect_matches(v, c.value, "value", op, c);
                auto [gx] = xtad::grad(e, xtad::wrt(x), to_xarray(c.seed));
                expect_matches(xt::xarray<double>(gx), want[0], "grad x", op, c);
            } else {
                auto y = xtad::var<"y">(to_xarray(c.inputs[1]));
                auto e = f(c.params, x, y);
                xt::xarray<double> v = xtad::eval(e);
                expect_matches(v, c.value, "value", op, c);
                auto [gx, gy] = xtad::grad(e, xtad::wrt(x, y), to_xarray(c.seed));
                expect_matches(xt::xarray<double>(gx), want[0], "grad x", op, c);
                expect_matches(xt::xarray<double>(gy), want[1], "grad y", op, c);
            }
        } catch (std::exception const& ex) {
            FAIL_CHECK((describe(op, c) + "\n  threw: " + ex.what()));
        }
    }
}

} // namespace torch_refs
