// xtad keeps no global state: threads that each build and differentiate their own trees at the
// same time get, bit for bit, what one thread gets alone (docs/design.md, "Threads").
#include <xtad/functional/jacobian.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace xtad;

namespace {

/// Deterministic data of a given shape, different for each k, with no zero (prod, division).
xt::xarray<double> data(int k, std::vector<std::size_t> const& shape) {
    auto x = xt::xarray<double>::from_shape(shape);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x.flat(i) = 0.25
                    + 0.125 * static_cast<double>((7 * i + 3 * static_cast<std::size_t>(k)) % 13)
                    - (i % 3 == 0 ? 1.0 : 0.0);
    }
    return x;
}

template <class R>
void append(std::vector<double>& out, R const& r) {
    out.insert(out.end(), r.begin(), r.end());
}

/// Everything a thread computes for the data set k, flattened into one vector: values and
/// gradients of a tree with cached reductions, backward's accumulation, jacfwd, jacrev, jvp,
/// vjp, and an evaluation on dual numbers.
std::vector<double> work(int k, xt::xarray<double> const& shared_point) {
    std::vector<double> out;
    auto a = var<"a">(data(k, {3, 4}));
    auto b = var<"b">(data(k + 1, {4}));
    // sum over an axis, mean, norm and prod each materialise their value in a cache slot of the
    // tree; the adjoint reads those caches.
    auto e = sum(a * b, {1}) * mean(a) + norm(a - b) + prod(sin(b)) / (1. + pow<2>(sum(a, {1})));
    append(out, eval(e));
    auto [ga, gb] = grad(e, wrt(a, b), ones_like(e));
    append(out, ga);
    append(out, gb);
    auto const total = sum(e * e);
    backward(total);
    backward(total); // accumulates: twice the gradient
    append(out, a.grad());
    append(out, b.grad());

    auto f = [](auto const& x) {
        return stack(sum(pow<2>(x)), prod(x), x(0) * x(1) + mean(exp(x)), norm(x));
    };
    xt::xarray<double> const x0 = data(k + 2, {5});
    append(out, jacfwd(f, at(x0)));
    append(out, jacrev(f, at(x0)));
    append(out, jacobian(f, at(shared_point))); // the point is read by every thread
    auto [y, t] = jvp(f, at(x0), data(k + 3, {5}));
    append(out, y);
    append(out, t);
    auto [y2, w] = vjp(f, at(x0), data(k + 4, {4}));
    append(out, y2);
    append(out, w);

    using D = dual<double, 2>;
    xt::xarray<D> xd = xt::xarray<D>::from_shape({5});
    for (std::size_t i = 0; i < xd.size(); ++i) {
        xd.flat(i) = D(x0.flat(i), {double(i % 2), double(i % 3)});
    }
    auto d = var<"d">(xd);
    xt::xarray<D> const fd = eval(tanh(d) * sum(d) + maximum(d, 0.5));
    for (auto const& v : fd) {
        out.push_back(v.val);
        out.push_back(v.eps[0]);
        out.push_back(v.eps[1]);
    }
    return out;
}

bool bit_identical(std::vector<double> const& x, std::vector<double> const& y) {
    return x.size() == y.size()
           && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

} // namespace

TEST_CASE("eight threads differentiating their own trees at once get one thread's results") {
    constexpr int data_sets = 4;
    constexpr int threads = 8;
    constexpr int rounds = 25;
    xt::xarray<double> const shared_point = data(99, {5});

    std::vector<std::vector<double>> reference;
    for (int k = 0; k < data_sets; ++k) {
        reference.push_back(work(k, shared_point));
        REQUIRE(reference.back().size() > 100);
    }
    // Different data sets give different results, so that a thread reading another's tree would
    // be seen.
    CHECK_FALSE(bit_identical(reference[0], reference[1]));

    // Each thread records its mismatches in its own slot; the checks run on this thread.
    std::vector<int> mismatches(threads, 0);
    std::vector<std::string> first_error(threads);
    std::latch start(threads);
    {
        std::vector<std::jthread> pool;
        for (int id = 0; id < threads; ++id) {
            pool.emplace_back([&, id] {
                start.arrive_and_wait();
                for (int r = 0; r < rounds; ++r) {
                    // Threads walk the data sets in different orders, so that at any moment
                    // they compute different things.
                    int const k = (r + id) % data_sets;
                    try {
                        if (!bit_identical(work(k, shared_point), reference[k])) {
                            ++mismatches[id];
                        }
                    } catch (std::exception const& ex) {
                        ++mismatches[id];
                        first_error[id] = ex.what();
                    }
                }
            });
        }
    }
    for (int id = 0; id < threads; ++id) {
        INFO("thread " << id << (first_error[id].empty() ? "" : ": " + first_error[id]));
        CHECK(mismatches[id] == 0);
    }
}
