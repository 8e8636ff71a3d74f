// Defines xtad::detect_anomaly, the scoped switch under which eval and grad find where a NaN
// came from.
#pragma once
#include "xtad/core/cxx20.hpp"

namespace xtad {

namespace detail {

/// This thread's switch: anomaly mode is per thread, as xtad keeps no global state.
inline bool& anomaly_flag() noexcept {
    thread_local bool on = false;
    return on;
}

} // namespace detail

/// Whether anomaly mode is on in this thread.
inline bool anomaly_mode() noexcept {
    return detail::anomaly_flag();
}

/// While it lives, anomaly mode is on in this thread (torch.autograd.detect_anomaly, JAX's
/// debug_nans): eval, eval_into, grad, grad_into and backward check every NaN of their result
/// and throw xtad::error naming the op that made it and the leaf or leaves it came from.
/// `detect_anomaly off{false};` turns it off in a scope; either way the previous state comes
/// back at the end of the scope, so guards nest. Slow (node by node); off, it costs nothing
/// in the loops. See docs/tutorial.md, "Anomaly mode".
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

} // namespace xtad
