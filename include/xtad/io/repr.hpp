// Defines xtad::repr, which prints a tensor exactly as PyTorch 1.13 does.
#pragma once

#include "xtad/core/xtensor.hpp"

#include <string>
