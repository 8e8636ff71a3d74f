// What `std::cout << e` prints for an expression or a tensor, as a string.
#pragma once

#include <sstream>
#include <string>

template <class E>
std::string printed(E const& e) {
    std::ostringstream out;
    out << e;
    return out.str();
}
