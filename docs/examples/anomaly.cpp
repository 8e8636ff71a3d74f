// Anomaly mode (docs/tutorial.md, "Anomaly mode"): under xtad::detect_anomaly the first NaN of a
// gradient or of a value throws xtad::error naming the op and the leaf. Its own file because the
// checks are compiled only where XTAD_DETECT_ANOMALY is defined, and they make every evaluated or
// differentiated tree of the translation unit dearer to compile. A wrong message exits with 1.
// [macro]
#define XTAD_DETECT_ANOMALY 1 // before the first xtad include: compiles the checks in
#include <xtad/xtad.hpp>
// [macro]

#include <cmath>
#include <iostream>
#include <string>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "anomaly.cpp: " << what << '\n';
        ++failures;
    }
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const xtad::error& e) {
        return e.what();
    }
    return "no xtad::error";
}

void anomaly() {
    // [anomaly]
    auto x = xtad::var<"x">(xt::xarray<double>{4., 1., 0.});
    auto z = xtad::var<"z">(xt::xarray<double>{1., 1., 0.});
    auto f = xtad::sum(xtad::sqrt(x) * z); // 2 + 1 + 0: no NaN in the value

    auto [g] = xtad::grad(f, xtad::wrt(x)); // NaN at element 2: 0 * sqrt'(0) = 0 * inf
    {
        xtad::detect_anomaly guard; // on until the end of the scope, in this thread
        try {
            auto [g2] = xtad::grad(f, xtad::wrt(x));
        } catch (const xtad::error& e) {
            std::cout << e.what() << '\n';
            // xtad: anomaly: the gradient of sqrt became NaN in the adjoint of leaf "x" at
            // element 2 (input 0): the incoming gradient 0 times the local derivative inf
        }
    }
    // [anomaly]
    expect(std::isnan(g(2)), "the NaN gradient with anomaly mode off");
    xtad::detect_anomaly guard;
    expect(error_of([&] { (void)xtad::grad(f, xtad::wrt(x)); })
               == "xtad: anomaly: the gradient of sqrt became NaN in the adjoint of leaf \"x\" at "
                  "element 2 (input 0): the incoming gradient 0 times the local derivative inf",
           "the anomaly message: " + error_of([&] { (void)xtad::grad(f, xtad::wrt(x)); }));
    auto y = xtad::var<"y">(xt::xarray<double>{1., -1.});
    expect(error_of([&] { (void)xtad::eval(xtad::log(y) + 1.); })
               == "xtad: anomaly: the value of log became NaN at element 1, from inputs that are "
                  "not NaN (-1; leaf \"y\")",
           "the anomaly message of a value: " + error_of([&] { (void)xtad::eval(xtad::log(y)); }));
}

} // namespace

int main() {
    anomaly();
    return failures == 0 ? 0 : 1;
}
