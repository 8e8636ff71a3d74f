// Defines xtad::leaf and xtad::var, the named variables that gradients are taken with respect to.
#pragma once
#include "xtad/core/cxx20.hpp"

#include "xtad/core/anomaly.hpp"
#include "xtad/core/constant.hpp"
#include "xtad/core/error.hpp"
#include "xtad/core/expression.hpp"
#include "xtad/core/xtensor.hpp"

#include <atomic>
#include <complex>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

/// Whether a use of a dead leaf throws (1) or is undefined behaviour, at no cost (0). By default
/// on unless NDEBUG is defined, as assert is; every translation unit of a program may choose.
#ifndef XTAD_CHECK_LIFETIMES
#ifdef NDEBUG
#define XTAD_CHECK_LIFETIMES 0
#else
#define XTAD_CHECK_LIFETIMES 1
#endif
#endif

namespace xtad {

/// Element types that can be differentiated; xtad::dual specialises this in forward/.
template <class T>
struct is_real : std::is_floating_point<T> {};

template <class T>
concept Real = is_real<T>::value;

/// The number type under a (possibly nested) dual: double for dual<dual<double>>, T itself for a
/// number; xtad::dual specialises this in forward/. Constants of a tree take this type, so that
/// forward mode knows at compile time that they carry no tangent.
template <class T>
struct primal {
    using type = T;
};
template <class T>
using primal_t = typename primal<T>::type;

namespace detail {

/// A dual number (forward/dual.hpp), recognised by its members: a value and N tangents.
template <class V>
concept dual_like = requires(V const& a) {
    a.val;
    a.eps;
};

template <class T>
constexpr bool is_complex = false;
template <class T>
constexpr bool is_complex<std::complex<T>> = true;

/// Whether x is exactly zero at every level (a dual's `==` compares values only).
template <class T>
constexpr bool is_null(T const& x) {
    if constexpr (dual_like<T>) {
        if (!is_null(x.val)) {
            return false;
        }
        for (auto const& e : x.eps) {
            if (!is_null(e)) {
                return false;
            }
        }
        return true;
    } else {
        return x == T(0);
    }
}

/// Whether the dual x has tangent k: one that a derivative rule formed (x.live[k]), or one that
/// is not zero (a seed written into it). A tangent that is neither is structurally absent: no
/// input that the tangent follows moves x, and forward mode leaves its term out whatever the
/// partial it would meet (0 * inf and 0 * NaN contribute nothing), as reverse mode forms no
/// adjoint for a subtree without a requested leaf. A zero that a rule computed is a tangent, so
/// it meets an infinite partial as 0 * inf = NaN, in both modes.
template <class D>
constexpr bool has_tangent(D const& x, std::size_t k) {
    return x.live[k] || !is_null(x.eps[k]);
}

enum class leaf_state : unsigned char { alive, moved_from, destroyed };

[[noreturn]] inline void throw_dead_leaf(std::string_view name, leaf_state state) {
    throw error("xtad: leaf '" + std::string(name) + "' was "
                + (state == leaf_state::destroyed ? "destroyed" : "moved from")
                + " before an expression that uses it was evaluated (an expression holds a leaf "
                  "named by an lvalue by reference: keep the leaf alive, or std::move it into "
                  "the expression)");
}

/// The state of one leaf object, in a block of its own that every leaf_ref to the leaf shares,
/// so that a leaf_ref can tell that its leaf is gone without reading the leaf's storage. A copy
/// or a move makes a new leaf object, with a new state; a move marks its source moved from, and
/// assigning to a leaf makes it alive again (the leaf_refs to it see the new value).
class leaf_lifetime {
public:
    leaf_lifetime()
        : state_(std::make_shared<std::atomic<leaf_state>>(leaf_state::alive)) {}
    leaf_lifetime(leaf_lifetime const&)
        : leaf_lifetime() {}
    leaf_lifetime(leaf_lifetime&& from)
        : leaf_lifetime() {
        from.state_->store(leaf_state::moved_from);
    }
    leaf_lifetime& operator=(leaf_lifetime const&) {
        state_->store(leaf_state::alive);
        return *this;
    }
    leaf_lifetime& operator=(leaf_lifetime&& from) {
        if (&from != this) {
            from.state_->store(leaf_state::moved_from);
        }
        state_->store(leaf_state::alive);
        return *this;
    }
    ~leaf_lifetime() { state_->store(leaf_state::destroyed); }

private:
    friend class leaf_watch;
    std::shared_ptr<std::atomic<leaf_state>> state_;
};

/// A leaf_ref's share of its leaf's state.
class leaf_watch {
public:
    explicit leaf_watch(leaf_lifetime const& of)
        : state_(of.state_) {}
    void require_alive(std::string_view name) const {
        leaf_state const s = state_->load();
        if (s != leaf_state::alive) {
            throw_dead_leaf(name, s);
        }
    }

private:
    std::shared_ptr<std::atomic<leaf_state> const> state_;
};

/// Their stand-ins where lifetimes are not checked: empty, and no code.
struct leaf_lifetime_unchecked {};
struct leaf_watch_unchecked {
    explicit leaf_watch_unchecked(leaf_lifetime_unchecked const&) {}
    void require_alive(std::string_view) const {}
};

} // namespace detail

// leaf and leaf_ref differ in layout with XTAD_CHECK_LIFETIMES: an inline namespace gives each
// setting types of their own, so that translation units built with different settings do not
// share a definition. With XTAD_DETECT_ANOMALY (core/anomaly.hpp) the namespace differs again:
// every tree then has a type of its own, so that the functions that evaluate or differentiate it
// (whose bodies hold the anomaly checks) are not shared with a translation unit without them.
#if XTAD_CHECK_LIFETIMES && XTAD_DETECT_ANOMALY
inline namespace lifetimes_checked_anomaly_checked {
#elif XTAD_CHECK_LIFETIMES
inline namespace lifetimes_checked {
#elif XTAD_DETECT_ANOMALY
inline namespace lifetimes_unchecked_anomaly_checked {
#else
inline namespace lifetimes_unchecked {
#endif

/// A named variable: owns its value and, once a backward pass has reached it, its gradient.
/// The name is the leaf's identity inside a tree, known at compile time.
///
/// Lifetimes: an expression holds a leaf named by an lvalue (`a * 2`) by reference, and reads its
/// current value when evaluated; the leaf must outlive the expression's uses. A leaf passed as an
/// rvalue (`std::move(a) * 2`, `var<"a">(x) * 2`) is moved into the expression, which owns it.
/// Unless NDEBUG is defined (XTAD_CHECK_LIFETIMES), evaluating or differentiating an expression
/// whose leaf was destroyed or moved from throws xtad::error naming the leaf; with NDEBUG it is
/// undefined behaviour, and the check costs nothing. Tensor constants are another matter: they
/// are copied into the expression, unless held by reference with xtad::ref (core/constant.hpp).
template <fixed_string Name, auto Tag>
class leaf {
    using C = typename decltype(Tag)::type;

    static_assert(!detail::is_complex<typename C::value_type>,
                  "xtad: var<name>(x) needs real values and complex tensors are not supported; "
                  "make the real and imaginary parts two leaves");
    static_assert(Real<typename C::value_type> || detail::is_complex<typename C::value_type>,
                  "xtad::var<name>(x) needs floating-point values (float, double or a dual); an "
                  "integer tensor has no gradient");

public:
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 9;
    static constexpr auto name = Name;
    using container_type = C;
    using value_type = typename C::value_type;
    using leaves = detail::type_list<leaf>;
    static constexpr static_size size_known = detail::size_of_shape_type<typename C::shape_type>;

    explicit leaf(C value)
        : value_(std::move(value)) {}

    /// The value; changing it through the non-const overload is seen by the next evaluation.
    C const& value() const { return value_; }
    C& value() { return value_; }
    shape_t shape() const { return detail::to_shape(value_.shape()); }

    /// The element at (i, j, ...) as a 0-d expression (torch's `a[i, j]`); its gradient lands
    /// on that element only.
    template <class... I>
    auto operator()(I... i) const& {
        return index(*this, i...);
    }

    /// True once a backward pass has accumulated into this leaf (torch: `a.grad is not None`).
    bool has_grad() const { return grad_.has_value(); }

    /// The accumulated gradient, of the leaf's shape (torch: `a.grad`).
    C const& grad() const {
        if (!grad_) {
            throw error("xtad: leaf '" + std::string(Name.view())
                        + "' has no gradient yet; call backward() on an expression using it");
        }
        return *grad_;
    }

    /// Sets the accumulated gradient to zeros (torch: `a.grad.zero_()`).
    void zero_grad() const {
        grad_.emplace(value_);
        grad_->fill(value_type(0));
    }

    /// Adds `g` to the gradient, as a backward pass does; the first pass stores it.
    template <class G>
    void accumulate_grad(G&& g) const {
        if (grad_) {
            *grad_ += std::forward<G>(g);
        } else {
            grad_.emplace(std::forward<G>(g));
        }
    }

private:
#if XTAD_CHECK_LIFETIMES
    using lifetime = detail::leaf_lifetime;
#else
    using lifetime = detail::leaf_lifetime_unchecked;
#endif
    template <class L>
    friend class leaf_ref;

    C value_;
    mutable std::optional<C> grad_;
    [[no_unique_address]] lifetime lifetime_;
};

/// A leaf inside a tree that does not own it: what an lvalue leaf becomes in an expression.
/// Every access to the leaf goes through get(), which checks (XTAD_CHECK_LIFETIMES) that the leaf
/// is still alive without touching it.
template <class L>
class leaf_ref {
#if XTAD_CHECK_LIFETIMES
    using watch = detail::leaf_watch;
#else
    using watch = detail::leaf_watch_unchecked;
#endif

public:
    static constexpr bool is_xtad_expression = true;
    static constexpr int precedence = 9;
    static constexpr auto name = L::name;
    using leaf_type = L;
    using value_type = typename L::value_type;
    using leaves = detail::type_list<L>;
    static constexpr static_size size_known = L::size_known;

    explicit leaf_ref(L const& l)
        : ptr_(&l)
        , watch_(l.lifetime_) {}

    L const& get() const {
        watch_.require_alive(name.view());
        return *ptr_;
    }
    shape_t shape() const {
        return get().shape();
    }

    /// The element at (i, j, ...) as a 0-d expression, as the leaf's own `x(i, j)`.
    template <class... I>
    auto operator()(I... i) const {
        return index(*this, i...);
    }

private:
    L const* ptr_;
    [[no_unique_address]] watch watch_;
};

} // inline namespace

template <class E>
constexpr bool is_leaf = false;
template <fixed_string N, auto Tag>
constexpr bool is_leaf<leaf<N, Tag>> = true;

/// A leaf (an owning, named variable), the argument wrt(...) takes.
template <class E>
concept Leaf = is_leaf<std::remove_cvref_t<E>>;

template <class E>
constexpr bool is_leaf_ref = false;
template <class L>
constexpr bool is_leaf_ref<leaf_ref<L>> = true;

namespace detail {
template <fixed_string N, auto Tag>
struct static_shape<leaf<N, Tag>> : container_static_shape<typename leaf<N, Tag>::container_type> {
};
template <class L>
struct static_shape<leaf_ref<L>> : static_shape<L> {};
} // namespace detail

/// A leaf, or a reference to one inside a tree.
template <class E>
concept LeafLike = is_leaf<std::remove_cvref_t<E>> || is_leaf_ref<std::remove_cvref_t<E>>;

namespace detail {

template <class L>
L const& leaf_of(L const& l) requires is_leaf<L> {
    return l;
}
template <class L>
L const& leaf_of(leaf_ref<L> const& r) {
    return r.get();
}

template <class E>
struct container_for {
    using type = xt::xarray<typename std::decay_t<E>::value_type>;
};
template <class T, class A, xt::layout_type L, class SA>
struct container_for<xt::xarray_container<T, L, A, SA>> {
    using type = xt::xarray_container<T, L, A, SA>;
};
template <class EC, std::size_t N, xt::layout_type L, class Tag>
struct container_for<xt::xtensor_container<EC, N, L, Tag>> {
    using type = xt::xtensor_container<EC, N, L, Tag>;
};
template <class ET, class S, xt::layout_type L, bool SH, class Tag>
struct container_for<xt::xfixed_container<ET, S, L, SH, Tag>> {
    using type = xt::xfixed_container<ET, S, L, SH, Tag>;
};

/// The container var<name>(value) stores; a number becomes a 0-d xarray.
template <class E>
struct var_container : container_for<E> {};
template <class E>
requires std::is_arithmetic_v<E>
struct var_container<E> {
    using type = xt::xarray<E>;
};

template <fixed_string Name, class E>
using var_t = leaf<Name, type_tag<typename var_container<std::remove_cvref_t<E>>::type>{}>;

} // namespace detail

namespace detail {

/// The first character of the names the transforms (jacrev, hessian, ...) give their inputs'
/// leaves; var rejects it, so that a leaf of the user's own that f uses, even one named "x0",
/// is a constant there and never taken for an input.
inline constexpr char reserved_name_prefix = '%';

constexpr std::size_t decimal_digits(std::size_t i) {
    std::size_t d = 1;
    for (; i >= 10; i /= 10) {
        ++d;
    }
    return d;
}

template <std::size_t I>
constexpr auto make_input_name() {
    constexpr std::size_t n = decimal_digits(I);
    char s[n + 2]{};
    s[0] = reserved_name_prefix;
    std::size_t i = I;
    for (std::size_t k = n; k > 0; --k, i /= 10) {
        s[k] = static_cast<char>('0' + i % 10);
    }
    return fixed_string<n + 2>(s);
}

/// The name of a transform's input I: "%0", "%1", ..., "%12", ... (Its type is spelt out: g++ 12
/// cannot always deduce it while substituting input_leaf_t.)
template <std::size_t I>
inline constexpr fixed_string<decimal_digits(I) + 2> input_name = make_input_name<I>();

/// The leaf of a transform's input I, of container C.
template <std::size_t I, class C>
using input_leaf_t = leaf<input_name<I>, type_tag<C>{}>;

/// The leaf of a transform's input I, holding `value`. The return type is spelt out (see var).
template <std::size_t I, class C>
input_leaf_t<I, C> input_leaf(C value) {
    return input_leaf_t<I, C>(std::move(value));
}

} // namespace detail

/// A leaf named `Name` holding `value` (a copy, or the moved container): `var<"a">(x)`.
/// Containers keep their type (xarray, xtensor, xtensor_fixed); other xtensor expressions are
/// evaluated into an xarray, and a number becomes a 0-d tensor. Names starting with '%' are
/// the transforms' own.
// The return type is spelt out, not deduced: it names the leaf's inline namespace, so that var
// is a different function in translation units with different XTAD_CHECK_LIFETIMES.
template <fixed_string Name, class E>
detail::var_t<Name, E> var(E&& value) {
    static_assert(Name.size() == 0 || Name.data[0] != detail::reserved_name_prefix,
                  "xtad::var: names starting with '%' are reserved for the inputs of the "
                  "transforms (jacrev, hessian, ...); choose another name");
    using C = typename detail::var_container<std::remove_cvref_t<E>>::type;
    if constexpr (std::is_arithmetic_v<std::remove_cvref_t<E>>) {
        return detail::var_t<Name, E>(C(value));
    } else if constexpr (!xt::is_xexpression<std::remove_cvref_t<E>>::value) {
        static_assert(xt::is_xexpression<std::remove_cvref_t<E>>::value,
                      "xtad: var<name>(x) needs an xtensor container or expression, or a number: "
                      "wrap a std::vector v as xt::adapt(v), or copy it into an xt::xarray");
        // A leaf of the right kind, so that using it adds no error to the one above.
        return detail::var_t<Name, E>(C());
    } else {
        return detail::var_t<Name, E>(C(std::forward<E>(value)));
    }
}

} // namespace xtad
