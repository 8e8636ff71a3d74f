// Includes xtad's reverse mode: eval, grad, backward, derivative.
#pragma once

#include "xtad/eval/build.hpp"
#include "xtad/reverse/derivative.hpp"
#include "xtad/reverse/grad.hpp"
