// Stops a compile that is not in C++20 mode with one sentence (every public header includes it).
#pragma once

// MSVC reports its language mode in _MSVC_LANG (__cplusplus only with /Zc:__cplusplus). C++17 or
// older is refused; a C++20 mode that predates the final __cplusplus value (g++ 10) is let through.
#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) <= 201703L
#error "xtad needs C++20: compile with -std=c++20 (or /std:c++20)"
// A missing header is a fatal error for g++, clang and MSVC: the compile stops here instead of
// going on to print thousands of lines about 'concept'.
#include "xtad needs C++20, see the error above"
#endif
