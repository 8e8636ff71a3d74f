// Defines xtad::gradcheck and xtad::gradgradcheck: xtad's derivatives against finite differences.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/functional/jacobian.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xtad {

/// Which Jacobians gradcheck compares with finite differences: both by default (torch checks
/// reverse mode only unless check_forward_ad=True). Chosen at compile time, as a template
/// argument, because each mode compiles f on its own value types: `gradcheck<ad_modes::reverse>`
/// compiles no dual numbers.
enum class ad_modes {
    both,
    reverse,
    forward,
};

/// How gradcheck and gradgradcheck compare; the defaults are torch.autograd.gradcheck's.
struct gradcheck_options {
    /// The step of the central differences, (f(x + eps) - f(x - eps)) / (2 eps), in double.
    double eps = 1e-6;
    /// An analytical value a passes against the numerical n if |a - n| <= atol + rtol |n|.
    double atol = 1e-5;
    double rtol = 1e-3;
    /// Throw xtad::error with the message when the check fails (else only return the result).
    bool raise_exception = true;
    /// gradgradcheck: the seed of the gradient whose derivatives are checked (torch's
    /// grad_outputs), of f's output shape; when not given, normal random numbers drawn with
    /// `seed`.
    std::optional<xt::xarray<double>> grad_outputs{};
    unsigned seed = 0;
};

/// What gradcheck or gradgradcheck found: whether every analytical derivative matches its
/// finite difference, and the element where they are furthest apart (relative to the
/// tolerance), mismatched or not.
struct gradcheck_result {
    bool ok = true;
    /// How the analytical value was computed: "reverse mode", "forward mode" or
    /// "forward over reverse".
    std::string route;
    /// The derivative d output[output_element] / d input[input_element], where input is the
    /// index of the tensor in at(...) and output is 0 for gradcheck (f has one output) and, for
    /// gradgradcheck, the index of the input whose gradient the output is.
    std::size_t input = 0;
    std::size_t input_element = 0;
    std::size_t output = 0;
    std::size_t output_element = 0;
    double analytical = 0;
    double numerical = 0;
    /// |analytical - numerical| / (atol + rtol |numerical|): more than 1 fails.
    double excess = 0;
    std::string message;

    explicit operator bool() const { return ok; }
};

namespace detail {

/// Keeps the worst of the comparisons made so far.
class gradcheck_tally {
public:
    gradcheck_tally(char const* name, gradcheck_options const& o)
        : name_(name)
        , o_(o) {}

    void compare(char const* route, std::size_t input, std::size_t input_element,
                 std::size_t output, std::size_t output_element, double analytical,
                 double numerical) {
        double const ex = excess(analytical, numerical);
        if (!seen_ || ex > r_.excess) {
            seen_ = true;
            r_.route = route;
            r_.input = input;
            r_.input_element = input_element;
            r_.output = output;
            r_.output_element = output_element;
            r_.analytical = analytical;
            r_.numerical = numerical;
            r_.excess = ex;
        }
    }

    /// The result and its message; `what` names the derivative checked: the Jacobian, or (for
    /// `second_order`) the derivatives of the gradient.
    gradcheck_result finish(char const* what, bool second_order) {
        r_.ok = !(r_.excess > 1);
        std::ostringstream m;
        m.precision(10);
        m << "xtad::" << name_ << ": ";
        if (!seen_) {
            m << "nothing to compare (no input or output elements)";
        } else {
            if (r_.ok) {
                m << "ok; the largest difference relative to the tolerance, in the " << r_.route
                  << " " << what << ", is at";
            } else {
                m << "the " << r_.route << " " << what << " and finite differences differ at";
            }
            m << " input " << r_.input << " element " << r_.input_element;
            if (second_order) {
                m << ", the gradient of input " << r_.output << " element " << r_.output_element;
            } else {
                m << ", output element " << r_.output_element;
            }
            m << ": analytical " << r_.analytical << ", numerical " << r_.numerical
              << " (|difference| is " << r_.excess << " times atol + rtol |numerical|; atol "
              << o_.atol << ", rtol " << o_.rtol << ", eps " << o_.eps << ")";
        }
        r_.message = m.str();
        if (!r_.ok && o_.raise_exception) {
            throw error(r_.message);
        }
        return r_;
    }

private:
    double excess(double a, double n) const {
        if (a == n) {
            return 0;
        }
        if (!std::isfinite(a) || !std::isfinite(n)) {
            return std::numeric_limits<double>::infinity();
        }
        return std::abs(a - n) / (o_.atol + o_.rtol * std::abs(n));
    }

    char const* name_;
    gradcheck_options const& o_;
    gradcheck_result r_{};
    bool seen_ = false;
};

template <class T>
auto as_tuple(T&& t) {
    if constexpr (requires { std::tuple_size<std::remove_cvref_t<T>>::value; }) {
        return std::forward<T>(t);
    } else {
        return std::make_tuple(std::forward<T>(t));
    }
}

template <class... X>
constexpr bool real_points = (std::is_floating_point_v<point_value_t<X>> && ...);

/// Central differences of `value()` (a tensor) with respect to element k of `x`, into `column`.
template <class C, class V>
void central_difference(xt::xarray<double>& column, C& x, std::size_t k, double eps,
                        V const& value) {
    double const xk = x.flat(k);
    x.flat(k) = xk + eps;
    xt::xarray<double> const plus = value();
    x.flat(k) = xk - eps;
    xt::xarray<double> const minus = value();
    x.flat(k) = xk;
    column = (plus - minus) / (2 * eps);
}

} // namespace detail

/// Checks the first derivatives of f at the point, like torch.autograd.gradcheck: the Jacobian
/// by reverse mode (jacrev) and by forward mode (jacfwd), or by the one of them that M names,
/// element by element, against central finite differences, all in double (the point is
/// converted to double). f takes one xtad expression per tensor in at(...) and returns an
/// expression; it is called anew for every finite difference. Returns the result; throws
/// xtad::error with its message on a mismatch if options.raise_exception (the default).
template <ad_modes M = ad_modes::both, class F, class... X>
requires detail::ExpressionFunction<F, double, X...>
    gradcheck_result gradcheck(F const& f, at_t<X...> const& p, gradcheck_options const& o = {}) {
    static_assert(detail::real_points<X...>,
                  "xtad::gradcheck compares in double: the point must be tensors of float or "
                  "double");
    constexpr auto idx = std::index_sequence_for<X...>{};
    auto leaves = detail::make_input_leaves<double>(p.points, idx);
    auto value = [&] {
        return std::apply([&](auto const&... l) { return eval(detail::call_checked(f, l...)); },
                          leaves);
    };
    std::size_t const m = value().size();
    detail::gradcheck_tally tally("gradcheck", o);
    auto compare = [&](char const* route, auto const& jacobians) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            auto one_input = [&](std::size_t input, auto& x, auto const& jac) {
                std::size_t const n = x.value().size();
                xt::xarray<double> column;
                for (std::size_t k = 0; k < n; ++k) {
                    detail::central_difference(column, x.value(), k, o.eps, value);
                    for (std::size_t i = 0; i < m; ++i) {
                        tally.compare(route, input, k, 0, i, jac.flat(i * n + k), column.flat(i));
                    }
                }
            };
            (one_input(I, std::get<I>(leaves), std::get<I>(jacobians)), ...);
        }
        (idx);
    };
    auto const point = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return at(std::get<I>(leaves).value()...);
    };
    if constexpr (M != ad_modes::forward) {
        compare("reverse mode", detail::as_tuple(jacrev(f, point(idx))));
    }
    if constexpr (M != ad_modes::reverse) {
        compare("forward mode", detail::as_tuple(jacfwd(f, point(idx))));
    }
    return tally.finish("Jacobian", false);
}

/// gradcheck of a function that does not return an expression: a compile error that says so.
template <ad_modes M = ad_modes::both, class F, class... X>
gradcheck_result gradcheck(F const&, at_t<X...> const&, gradcheck_options const& = {}) {
    return detail::reject_function<gradcheck_result, F, double>(std::index_sequence_for<X...>{});
}

/// Checks the second derivatives of f at the point, like torch.autograd.gradgradcheck: the
/// derivatives of the gradient of sum(w * f) (w = options.grad_outputs, or random) with
/// respect to every input element, by forward over reverse (the reverse pass on dual numbers),
/// against central differences of that gradient by reverse mode, all in double. Same arguments
/// and result as gradcheck; the result's output is the input whose gradient is differentiated.
template <class F, class... X>
requires detail::ExpressionFunction<F, double, X...> gradcheck_result
gradgradcheck(F const& f, at_t<X...> const& p, gradcheck_options const& o = {}) {
    static_assert(detail::real_points<X...>,
                  "xtad::gradgradcheck compares in double: the point must be tensors of float or "
                  "double");
    constexpr auto idx = std::index_sequence_for<X...>{};
    auto leaves = detail::make_input_leaves<double>(p.points, idx);
    shape_t const ys =
        std::apply([&](auto const&... l) { return detail::call_checked(f, l...).shape(); }, leaves);
    xt::xarray<double> w(ys);
    if (o.grad_outputs) {
        shape_t const ws = detail::to_shape(o.grad_outputs->shape());
        if (ws != ys) {
            throw error("xtad::gradgradcheck: grad_outputs has shape " + detail::shape_str(ws)
                        + " but f's output has shape " + detail::shape_str(ys));
        }
        w = *o.grad_outputs;
    } else {
        std::mt19937 rng(o.seed);
        std::normal_distribution<double> n01;
        for (auto& v : w) {
            v = n01(rng);
        }
    }
    auto gradient = [&] {
        return std::apply(
            [&](auto const&... l) {
                return detail::grad_impl(detail::call_checked(f, l...), wrt(l...), w);
            },
            leaves);
    };
    // Forward over reverse: the tangent of the gradient with respect to one input element.
    using D = dual<double, 1, call_tag<F, double>>;
    auto dual_leaves = detail::make_input_leaves<D>(p.points, idx);
    xt::xarray<D> const w_d = xt::cast<D>(w);
    auto dual_gradient = [&] {
        return std::apply(
            [&](auto const&... l) {
                return detail::grad_impl(detail::call_checked(f, l...), wrt(l...), w_d);
            },
            dual_leaves);
    };
    detail::gradcheck_tally tally("gradgradcheck", o);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto by_input = [&](std::size_t input, auto& x, auto& xd) {
            for (std::size_t k = 0; k < x.value().size(); ++k) {
                double const xk = x.value().flat(k);
                x.value().flat(k) = xk + o.eps;
                auto const plus = gradient();
                x.value().flat(k) = xk - o.eps;
                auto const minus = gradient();
                x.value().flat(k) = xk;
                xd.value().flat(k).eps[0] = 1;
                auto const tangent = dual_gradient();
                xd.value().flat(k).eps[0] = 0;
                auto of_output = [&](std::size_t output, auto const& gp, auto const& gm,
                                     auto const& gd) {
                    for (std::size_t i = 0; i < gp.size(); ++i) {
                        tally.compare("forward over reverse", input, k, output, i,
                                      gd.flat(i).eps[0], (gp.flat(i) - gm.flat(i)) / (2 * o.eps));
                    }
                };
                (of_output(I, std::get<I>(plus), std::get<I>(minus), std::get<I>(tangent)), ...);
            }
        };
        (by_input(I, std::get<I>(leaves), std::get<I>(dual_leaves)), ...);
    }
    (idx);
    return tally.finish("second derivatives", true);
}

/// gradgradcheck of a function that does not return an expression: a compile error that says so.
template <class F, class... X>
gradcheck_result gradgradcheck(F const&, at_t<X...> const&, gradcheck_options const& = {}) {
    return detail::reject_function<gradcheck_result, F, double>(std::index_sequence_for<X...>{});
}

} // namespace xtad
