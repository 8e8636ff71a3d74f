// Includes all of xtad.
#pragma once

#include "xtad/core/xtensor.hpp"
#include "xtad/io/repr.hpp"
