// Defines the checks of the differential tests (cases_NN.cpp, written by
// scripts/gen_diff_cases.py): xtad's numbers against PyTorch's, with the case's seed in the
// message.
#pragma once

#include <xtad/functional.hpp>
#include <xtad/ops.hpp>

#include <cstddef>
#include <initializer_list>
#include <limits>

namespace diff {

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// A tensor as the generator writes it: shape and values in row-major order (0-d: shape {}).
struct ref {
    std::initializer_list<std::size_t> shape;
    std::initializer_list<double> values;
};

/// One point of a case: the inputs x0, x1, ..., the seed of the gradient (no values: ones), and
/// torch's value, gradients, Jacobians (one per input; none: not checked) and Hessian of
/// sum(tree) wrt x0 (no values: not checked).
struct point {
    std::initializer_list<ref> inputs;
    ref seed = {};
    ref value = {};
    std::initializer_list<ref> grads = {};
    std::initializer_list<ref> jacobians = {};
    ref hessian = {};
};

/// The case: its seed and the generator's options (to rebuild it: scripts/gen_diff_cases.py
/// --shrink SEED OPTIONS), its expression, and the point being checked.
struct info {
    long long seed;
    char const* options;
    char const* expr;
    int point = 0;
};

xt::xarray<double> make(ref const& r);

/// |got - want| <= 1e-10 (1 + |want|) elementwise, shapes equal; NaN and infinities exactly.
/// One doctest check; its message names the case, what was compared, and every mismatch.
void check(info const& c, char const* what, xt::xarray<double> const& got, ref const& want);

} // namespace diff
