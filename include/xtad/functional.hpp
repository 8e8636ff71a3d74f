// Includes xtad's functional transforms: jacfwd, jacrev, jacobian, jvp, vjp, hessian,
// hvp, gradcheck, gradgradcheck.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/functional/gradcheck.hpp"
#include "xtad/functional/hessian.hpp"
#include "xtad/functional/jacobian.hpp"
