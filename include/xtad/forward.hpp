// Includes xtad's forward mode: dual numbers.
#pragma once

#include "xtad/forward/dual.hpp"
