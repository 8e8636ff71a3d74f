// Includes xtad's reverse mode: eval, grad, backward, derivative.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/eval/build.hpp"
#include "xtad/reverse/derivative.hpp"
#include "xtad/reverse/grad.hpp"
