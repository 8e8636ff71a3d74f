// Includes xtad's functional transforms: jacfwd, jacrev, jacobian, jvp, vjp.
#pragma once

#include "xtad/functional/jacobian.hpp"
