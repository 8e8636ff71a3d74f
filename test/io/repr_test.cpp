// Tests xtad::repr byte for byte against PyTorch 1.13: the cases of repr_refs.inc come from torch
// itself (scripts/gen_repr_refs.py); the expressions below print the notebook's tensors.
#include <xtad/core/linalg.hpp>
#include <xtad/io/repr.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

enum class dtype { float64, float32, int64, int32, int16, int8, uint8, boolean };

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

// A tensor of T with the case's shape, filled from whichever list of values the case has.
template <class T>
xt::xarray<T> tensor_of(const std::vector<std::size_t>& shape, const std::vector<double>& floats,
                        const std::vector<long long>& integers) {
    auto values = xt::xarray<T>::from_shape(shape);
    REQUIRE(values.size() == floats.size() + integers.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        values.data()[i] = floats.empty() ? static_cast<T>(integers[i]) : static_cast<T>(floats[i]);
    }
    return values;
}

std::string repr_as(dtype type, const std::vector<std::size_t>& shape,
                    const std::vector<double>& floats, const std::vector<long long>& integers,
                    const xtad::repr_options& options) {
    switch (type) {
    case dtype::float64:
        return xtad::repr(tensor_of<double>(shape, floats, integers), options);
    case dtype::float32:
        return xtad::repr(tensor_of<float>(shape, floats, integers), options);
    case dtype::int64:
        return xtad::repr(tensor_of<std::int64_t>(shape, floats, integers), options);
    case dtype::int32:
        return xtad::repr(tensor_of<std::int32_t>(shape, floats, integers), options);
    case dtype::int16:
        return xtad::repr(tensor_of<std::int16_t>(shape, floats, integers), options);
    case dtype::int8:
        return xtad::repr(tensor_of<std::int8_t>(shape, floats, integers), options);
    case dtype::uint8:
        return xtad::repr(tensor_of<std::uint8_t>(shape, floats, integers), options);
    case dtype::boolean:
        return xtad::repr(tensor_of<bool>(shape, floats, integers), options);
    }
    return {};
}

int cases_checked = 0;

// One case of repr_refs.inc: xtad::repr of the values must be the text torch printed.
void check_repr(const char* name, dtype type, const std::vector<std::size_t>& shape,
                const std::vector<double>& floats, const std::vector<long long>& integers,
                const xtad::repr_options& options, const std::string& expected) {
    INFO("case ", name);
    CHECK(repr_as(type, shape, floats, integers, options) == expected);
    ++cases_checked;
}

} // namespace

TEST_CASE("repr prints each tensor as PyTorch 1.13 does") {
#include "repr_refs.inc"
    CHECK(cases_checked >= 100);
}

TEST_CASE("repr prints xtensor expressions and views by their values") {
    const xt::xarray<double> A = {{1.0, 2}, {3, 4}};
    const xt::xarray<double> b = {5., 6};
    CHECK(xtad::repr(xt::linalg::solve(A, b)) == "tensor([-4.0000,  4.5000])");
    CHECK(xtad::repr(A * xt::transpose(A)) == "tensor([[ 1.,  6.],\n        [ 6., 16.]])");
    CHECK(xtad::repr(xt::view(A, xt::all(), 0)) == "tensor([1., 3.])");
    CHECK(xtad::repr(xt::view(A, 1, xt::all())) == "tensor([3., 4.])");
    CHECK(xtad::repr(xt::filter(A, A > 3)) == "tensor([4.])");
    CHECK(xtad::repr(A > 3) == "tensor([[False, False],\n        [False,  True]])");
    CHECK(xtad::repr(3 * xt::pow(A, 3) - xt::pow(b, 2), {.grad_fn = "SubBackward0"})
          == "tensor([[-22., -12.],\n        [ 56., 156.]], grad_fn=<SubBackward0>)");
}

TEST_CASE("repr prints the logical order of column-major and fixed-size containers") {
    xt::xarray<double, xt::layout_type::column_major> A = {{1.0, 2}, {3, 4}};
    CHECK(xtad::repr(A) == "tensor([[1., 2.],\n        [3., 4.]])");
    xt::xtensor_fixed<float, xt::xshape<2>> b = {-4.0f, 4.5f};
    CHECK(xtad::repr(b, {.requires_grad = true})
          == "tensor([-4.0000,  4.5000], requires_grad=True)");
}

TEST_CASE("repr of a number prints a 0-d tensor") {
    CHECK(xtad::repr(3.5) == "tensor(3.5000)");
    CHECK(xtad::repr(9.0, {.grad_fn = "MulBackward0"}) == "tensor(9., grad_fn=<MulBackward0>)");
    CHECK(xtad::repr(std::int64_t{-8}) == "tensor(-8)");
    CHECK(xtad::repr(7) == "tensor(7, dtype=torch.int32)");
    CHECK(xtad::repr(true) == "tensor(True)");
}
