// Includes xtad's printing: tensors as PyTorch prints them, expressions as formulas (text, LaTeX)
// and as Graphviz digraphs.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/io/dot.hpp"
#include "xtad/io/formula.hpp"
#include "xtad/io/latex.hpp"
#include "xtad/io/print.hpp"
#include "xtad/io/repr.hpp"
