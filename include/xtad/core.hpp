// Includes xtad's core layer: expressions, leaves, constants, nodes.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/anomaly.hpp"
#include "xtad/core/constant.hpp"
#include "xtad/core/error.hpp"
#include "xtad/core/expression.hpp"
#include "xtad/core/fixed_string.hpp"
#include "xtad/core/index.hpp"
#include "xtad/core/leaf.hpp"
#include "xtad/core/node.hpp"
#include "xtad/core/shape.hpp"
#include "xtad/core/xtensor.hpp"
