// error_of: the message of the xtad::error a call throws, for tests that check messages.
#pragma once

#include <xtad/core/error.hpp>

#include <doctest/doctest.h>

#include <exception>
#include <string>
#include <typeinfo>

/// The message of the xtad::error that `f` throws; fails the test if it throws nothing or
/// something else.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (xtad::error const& e) {
        return e.what();
    } catch (std::exception const& e) {
        FAIL("threw a " << typeid(e).name() << ", not an xtad::error: " << e.what());
    }
    FAIL("threw nothing");
    return "";
}
