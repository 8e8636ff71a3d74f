// Includes xtad's reverse mode: eval, grad, backward.
#pragma once

#include "xtad/eval/build.hpp"
#include "xtad/reverse/grad.hpp"
