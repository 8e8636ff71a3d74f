// Includes xtad's forward mode: dual numbers.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/forward/dual.hpp"
