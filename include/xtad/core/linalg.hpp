// The one place xtad includes xtensor-blas from (BLAS/LAPACK-backed linear algebra).
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/xtensor.hpp"

#include <xtensor-blas/xlinalg.hpp>
