// Defines xtad::detect_anomaly, the scoped switch under which eval and grad find where a NaN
// came from, and XTAD_DETECT_ANOMALY, which compiles it in.
#pragma once
#include "xtad/core/cxx20.hpp"

/// Whether anomaly mode is compiled in (1) or not (0, the default). Its checks are instantiated
/// for every tree that is evaluated or differentiated, whether the switch is on or not, which
/// costs compile time (test/reverse/derivative_test.cpp: 1.8 times the CPU time, 1.4 times the
/// memory); so they are compiled only where asked for. Define it before the first xtad include
/// of a translation unit; translation units of one program may differ (an inline namespace gives
/// each setting functions and leaves of their own).
#ifndef XTAD_DETECT_ANOMALY
#define XTAD_DETECT_ANOMALY 0
#endif

namespace xtad {

#if XTAD_DETECT_ANOMALY

namespace detail {

/// This thread's switch: anomaly mode is per thread, as xtad keeps no global state.
inline bool& anomaly_flag() noexcept {
    thread_local bool on = false;
    return on;
}

} // namespace detail

inline namespace anomaly_checked {

/// Whether anomaly mode is on in this thread.
inline bool anomaly_mode() noexcept {
    return detail::anomaly_flag();
}

/// While it lives, anomaly mode is on in this thread (torch.autograd.detect_anomaly, JAX's
/// debug_nans): eval, eval_into, grad, grad_into and backward check every NaN of their result
/// and throw xtad::error naming the op that made it and the leaf or leaves it came from.
/// `detect_anomaly off{false};` turns it off in a scope; either way the previous state comes
/// back at the end of the scope, so guards nest. Slow (node by node); off, it costs nothing
/// in the loops. Needs XTAD_DETECT_ANOMALY defined to 1 before xtad is included.
/// See docs/tutorial.md, "Anomaly mode".
class detect_anomaly {
public:
    explicit detect_anomaly(bool on = true) noexcept
        : previous_(detail::anomaly_flag()) {
        detail::anomaly_flag() = on;
    }
    ~detect_anomaly() { detail::anomaly_flag() = previous_; }
    detect_anomaly(detect_anomaly const&) = delete;
    detect_anomaly& operator=(detect_anomaly const&) = delete;

private:
    bool previous_;
};

} // namespace anomaly_checked

#else

// Without XTAD_DETECT_ANOMALY the checks are not compiled: a use of the switch is one sentence
// saying so, not a silent no-op that would let a NaN go unexplained. Templates, so that only a
// use fires the assertion.

namespace detail {
template <class T>
constexpr bool anomaly_not_compiled = false;
} // namespace detail

template <class T = void>
bool anomaly_mode() noexcept {
    static_assert(
        detail::anomaly_not_compiled<T>,
        "xtad::anomaly_mode() needs the anomaly checks compiled in: #define "
        "XTAD_DETECT_ANOMALY 1 before the first #include of xtad (they cost compile time)");
    return false;
}

class detect_anomaly {
public:
    template <class T = void>
    explicit detect_anomaly(bool = true) noexcept {
        static_assert(
            detail::anomaly_not_compiled<T>,
            "xtad::detect_anomaly needs the anomaly checks compiled in: #define "
            "XTAD_DETECT_ANOMALY 1 before the first #include of xtad (they cost compile time)");
    }
};

#endif

} // namespace xtad
