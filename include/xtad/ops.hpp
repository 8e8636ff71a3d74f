// Includes every op family of xtad (elementwise ops, reductions, products, transposes, slices,
// inverses, solves and determinants).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/ops/arithmetic.hpp"
#include "xtad/ops/compare.hpp"
#include "xtad/ops/decomp.hpp"
#include "xtad/ops/exp_log.hpp"
#include "xtad/ops/hyperbolic.hpp"
#include "xtad/ops/indexing.hpp"
#include "xtad/ops/linalg.hpp"
#include "xtad/ops/power.hpp"
#include "xtad/ops/reduction.hpp"
#include "xtad/ops/slice.hpp"
#include "xtad/ops/special.hpp"
#include "xtad/ops/trig.hpp"
