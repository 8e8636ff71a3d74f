// allocations(): how many times the program has called the global operator new, and
// largest_allocation_since(): the largest block asked for, for tests that say how many
// allocations a call makes, or that it makes no tensor of a given size. This header replaces the
// global operator new and delete, so exactly one source file of a test executable includes it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> allocation_count{0};
std::atomic<std::size_t> largest_allocation{0};
/// The number of calls to the global operator new so far.
[[maybe_unused]] std::size_t allocations() {
    return allocation_count.load();
}
/// The largest block asked of operator new since the last call (bytes), and a new start.
[[maybe_unused]] std::size_t largest_allocation_since() {
    return largest_allocation.exchange(0);
}
} // namespace

void* operator new(std::size_t n) {
    ++allocation_count;
    std::size_t seen = largest_allocation.load();
    while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
