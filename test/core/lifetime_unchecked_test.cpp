// Lifetime checks off, as NDEBUG turns them off (XTAD_CHECK_LIFETIMES=0): a leaf and a leaf_ref
// hold nothing more than their value and pointer, and compute as the checked ones do. Leaves of
// each setting have types of their own (an inline namespace), so this translation unit links
// with the other tests of the suite, which check lifetimes.
#define XTAD_CHECK_LIFETIMES 0
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <tuple>
#include <type_traits>

using namespace xtad;

namespace {

using leaf_a = decltype(var<"a">(xt::xarray<double>{}));

template <class L>
constexpr bool unchecked = false;
template <fixed_string N, auto Tag>
constexpr bool unchecked<lifetimes_unchecked::leaf<N, Tag>> = true;

struct plain_leaf {
    xt::xarray<double> value;
    std::optional<xt::xarray<double>> grad;
};

static_assert(unchecked<leaf_a>);
static_assert(sizeof(leaf_a) == sizeof(plain_leaf));
static_assert(sizeof(leaf_ref<leaf_a>) == sizeof(leaf_a const*));
static_assert(std::is_trivially_copyable_v<leaf_ref<leaf_a>>);
static_assert(std::is_trivially_destructible_v<leaf_ref<leaf_a>>);

} // namespace

TEST_CASE("without lifetime checks, leaves and expressions compute as with them") {
    auto a = var<"a">(xt::xarray<double>{0.5, -1., 2.});
    xt::xarray<double> w = {1., 2., 3.};
    auto const e = sum(w * a * a);
    CHECK(eval(e) == xt::xarray<double>(0.25 + 2. + 12.));
    CHECK(std::get<0>(grad(e, wrt(a))) == xt::xarray<double>{1., -4., 12.});
    CHECK(eval(derivative(e, wrt(a))) == xt::xarray<double>{1., -4., 12.});
    backward(e);
    CHECK(a.grad() == xt::xarray<double>{1., -4., 12.});
}
