// allocations(): how many times the program has called the global operator new, for tests that
// say how many allocations a call makes. This header replaces the global operator new and
// delete, so exactly one source file of a test executable includes it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> allocation_count{0};
/// The number of calls to the global operator new so far.
std::size_t allocations() {
    return allocation_count.load();
}
} // namespace

void* operator new(std::size_t n) {
    ++allocation_count;
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
