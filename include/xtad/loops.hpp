// Loops whose trip count or exit is known only at run time (fori_loop, while_loop, scan) and
// branches chosen at run time (cond).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/loops/loop.hpp"
