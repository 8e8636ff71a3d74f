// Includes xtad's printing: tensors as PyTorch prints them, expressions as formulas.
#pragma once

#include "xtad/io/formula.hpp"
#include "xtad/io/print.hpp"
#include "xtad/io/repr.hpp"
