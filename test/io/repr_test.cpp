#include <xtad/io/repr.hpp>

#include <doctest/doctest.h>

TEST_CASE("placeholder") { CHECK(1 == 1); }
