// Includes all of xtad.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core.hpp"
#include "xtad/forward.hpp"
#include "xtad/functional.hpp"
#include "xtad/io.hpp"
#include "xtad/loops.hpp"
#include "xtad/ops.hpp"
#include "xtad/reverse.hpp"
