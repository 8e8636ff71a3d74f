// The "Autogradient" part of the tutorial (docs/tutorial.md): backward() and .grad(), grad() with
// a seed, broadcasting, reductions, where and its NaN policy, errors, and lifetimes. Every value
// is checked against what PyTorch 1.13 computes and prints for the same program; a mismatch exits
// with 1.
#include <xtad/xtad.hpp>

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "autograd.cpp: " << what << '\n';
        ++failures;
    }
}

void expect_text(const std::string& text, const std::string& torch_printed) {
    expect(text == torch_printed, "printed\n" + text + "\nbut PyTorch printed\n" + torch_printed);
}

template <class E>
std::string printed(const E& e) {
    std::ostringstream out;
    out << e;
    return out.str();
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

void backward_and_grad() {
    // [backward]
    auto a = xtad::var<"a">(xt::xarray<double>{1.});
    auto b = xtad::var<"b">(xt::xarray<double>{4.});

    auto Q = 3 * xtad::pow<3>(a) - xtad::pow<2>(b); // builds the tree; computes nothing
    xtad::backward(Q);                              // one element: the seed is 1

    std::cout << xtad::repr(a.grad()) << '\n'; // tensor([9.])   dQ/da = 9 a^2
    std::cout << xtad::repr(b.grad()) << '\n'; // tensor([-8.])  dQ/db = -2 b
    // [backward]
    expect_text(xtad::repr(a.grad()), "tensor([9.])");
    expect_text(xtad::repr(b.grad()), "tensor([-8.])");

    // [accumulate]
    xtad::backward(Q);                         // a second pass adds to the first
    std::cout << xtad::repr(a.grad()) << '\n'; // tensor([18.])
    // [accumulate]
    expect_text(xtad::repr(a.grad()), "tensor([18.])");
    expect_text(xtad::repr(b.grad()), "tensor([-16.])");

    // [zero_grad]
    a.zero_grad();                             // torch: a.grad.zero_()
    std::cout << xtad::repr(a.grad()) << '\n'; // tensor([0.])
    // [zero_grad]
    expect_text(xtad::repr(a.grad()), "tensor([0.])");
    expect_text(xtad::repr(b.grad()), "tensor([-16.])");

    // [grad]
    auto A = xtad::var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto B = xtad::var<"B">(xt::xarray<double>{{4., 5.}, {6., 7.}});
    auto Q2 = 3 * xtad::pow<3>(A) - xtad::pow<2>(B);

    // torch.autograd.grad(Q2, (A, B), grad_outputs=torch.ones_like(Q2))
    auto [dA, dB] = xtad::grad(Q2, xtad::wrt(A, B), xtad::ones_like(Q2));
    std::cout << xtad::repr(dA) << '\n'; // tensor([[  9.,  36.],
                                         //         [ 81., 144.]])
    std::cout << xtad::repr(dB) << '\n'; // tensor([[ -8., -10.],
                                         //         [-12., -14.]])

    // Any seed of Q2's shape weights the outputs: a vector-Jacobian product.
    xt::xarray<double> seed = {{1., 0.}, {0., 2.}};
    auto [dA_weighted] = xtad::grad(Q2, xtad::wrt(A), seed);
    std::cout << xtad::repr(dA_weighted) << '\n'; // tensor([[  9.,   0.],
                                                  //         [  0., 288.]])

    // A one-element output needs no seed.
    auto [dA_sum] = xtad::grad(xtad::sum(Q2), xtad::wrt(A)); // == dA
    // [grad]
    expect_text(xtad::repr(dA), "tensor([[  9.,  36.],\n        [ 81., 144.]])");
    expect_text(xtad::repr(dB), "tensor([[ -8., -10.],\n        [-12., -14.]])");
    expect_text(xtad::repr(dA_weighted), "tensor([[  9.,   0.],\n        [  0., 288.]])");
    expect(dA_sum == dA, "grad(sum(Q2)) differs from grad(Q2, ones)");
    expect(!A.has_grad() && !B.has_grad(), "grad() wrote into .grad()");

    // [print]
    std::cout << A << '\n';                   // tensor([[1., 2.],
                                              //         [3., 4.]], requires_grad=True)
    std::cout << Q2 << '\n';                  // tensor([[-13.,  -1.],
                                              //         [ 45., 143.]], grad_fn=<SubBackward0>)
    std::cout << xtad::sum(Q2) << '\n';       // tensor(174., grad_fn=<SumBackward0>)
    std::cout << xtad::to_string(Q2) << '\n'; // 3*A^3 - B^2
    // [print]
    expect_text(printed(A), "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)");
    expect_text(printed(Q2),
                "tensor([[-13.,  -1.],\n        [ 45., 143.]], grad_fn=<SubBackward0>)");
    expect_text(printed(xtad::sum(Q2)), "tensor(174., grad_fn=<SumBackward0>)");
    expect_text(xtad::to_string(Q2), "3*A^3 - B^2");
}

void unused_and_into() {
    auto A = xtad::var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto B = xtad::var<"B">(xt::xarray<double>{{4., 5.}, {6., 7.}});

    // [unused]
    auto S = xtad::sin(A); // B does not occur in S
    auto [dS_dA, dS_dB] = xtad::grad(S, xtad::wrt(A, B), xtad::ones_like(S), xtad::allow_unused);
    std::cout << xtad::repr(dS_dB) << '\n'; // tensor([[0., 0.],
                                            //         [0., 0.]])
    // [unused]
    expect_text(xtad::repr(dS_dB), "tensor([[0., 0.],\n        [0., 0.]])");
    expect(xt::allclose(dS_dA, xt::cos(A.value())), "d sin(A)/dA is not cos(A)");

    // [into]
    auto Q2 = 3 * xtad::pow<3>(A) - xtad::pow<2>(B);
    xt::xarray<double> q, dA, dB; // resized by the first call, reused by the next ones
    for (double a11 : {1., 2.}) {
        A.value()(0, 0) = a11; // the tree reads the leaves' current values
        xtad::eval_into(q, Q2);
        xtad::grad_into(std::tie(dA, dB), Q2, xtad::wrt(A, B), xtad::ones_like(Q2));
    }
    std::cout << xtad::repr(dA) << '\n'; // tensor([[ 36.,  36.],
                                         //         [ 81., 144.]])
    // [into]
    expect_text(xtad::repr(q), "tensor([[  8.,  -1.],\n        [ 45., 143.]])");
    expect_text(xtad::repr(dA), "tensor([[ 36.,  36.],\n        [ 81., 144.]])");
    expect_text(xtad::repr(dB), "tensor([[ -8., -10.],\n        [-12., -14.]])");
}

void broadcasting() {
    // [broadcast]
    auto w = xtad::var<"w">(xt::xarray<double>{1., 2., 3.});                 // shape (3,)
    auto X = xtad::var<"X">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}}); // shape (2, 3)
    auto bias = xtad::var<"bias">(xt::xarray<double>(0.5));                  // shape ()

    auto Y = X * w + bias; // shape (2, 3): w is repeated on each row, bias everywhere
    auto [dw, dX, dbias] = xtad::grad(Y, xtad::wrt(w, X, bias), xtad::ones_like(Y));

    std::cout << xtad::repr(dw) << '\n';    // tensor([5., 7., 9.])   summed over the rows
    std::cout << xtad::repr(dX) << '\n';    // tensor([[1., 2., 3.],
                                            //         [1., 2., 3.]])
    std::cout << xtad::repr(dbias) << '\n'; // tensor(6.)             summed over all six
    // [broadcast]
    expect_text(xtad::repr(dw), "tensor([5., 7., 9.])");
    expect_text(xtad::repr(dX), "tensor([[1., 2., 3.],\n        [1., 2., 3.]])");
    expect_text(xtad::repr(dbias), "tensor(6.)");
    expect_text(printed(Y), "tensor([[ 1.5000,  4.5000,  9.5000],\n"
                            "        [ 4.5000, 10.5000, 18.5000]], grad_fn=<AddBackward0>)");
}

void reductions() {
    // [reductions]
    auto x = xtad::var<"x">(xt::xarray<double>{{1., 2., 3.}, {4., 5., 6.}});

    std::cout << xtad::sum(x, {0}) << '\n';  // tensor([5., 7., 9.], grad_fn=<SumBackward1>)
    std::cout << xtad::mean(x, {1}) << '\n'; // tensor([2., 5.], grad_fn=<MeanBackward1>)

    // Row means weighted 1 and 2: each element of row i gets weight_i / 3.
    auto [g] = xtad::grad(xtad::sum(xtad::mean(x, {1}) * xt::xarray<double>{1., 2.}), xtad::wrt(x));
    std::cout << xtad::repr(g) << '\n'; // tensor([[0.3333, 0.3333, 0.3333],
                                        //         [0.6667, 0.6667, 0.6667]])

    // prod's gradient is the product of the others, exact at a zero (no division by it).
    auto p = xtad::var<"p">(xt::xarray<double>{2., 0., 3.});
    auto [dp] = xtad::grad(xtad::prod(p), xtad::wrt(p));
    std::cout << xtad::repr(dp) << '\n'; // tensor([0., 6., 0.])

    // norm is the Euclidean norm of all elements; its gradient is x / |x|, and 0 at x = 0.
    auto v = xtad::var<"v">(xt::xarray<double>{3., 4.});
    auto [dv] = xtad::grad(xtad::norm(v), xtad::wrt(v));
    std::cout << xtad::repr(dv) << '\n'; // tensor([0.6000, 0.8000])
    // [reductions]
    expect_text(printed(xtad::sum(x, {0})), "tensor([5., 7., 9.], grad_fn=<SumBackward1>)");
    expect_text(printed(xtad::mean(x, {1})), "tensor([2., 5.], grad_fn=<MeanBackward1>)");
    expect(xt::allclose(g, xt::xarray<double>{{1. / 3, 1. / 3, 1. / 3}, {2. / 3, 2. / 3, 2. / 3}}),
           "gradient of the weighted row means");
    expect_text(xtad::repr(g),
                "tensor([[0.3333, 0.3333, 0.3333],\n        [0.6667, 0.6667, 0.6667]])");
    expect_text(xtad::repr(dp), "tensor([0., 6., 0.])");
    expect_text(xtad::repr(dv), "tensor([0.6000, 0.8000])");
    v.value() = xt::xarray<double>{0., 0.};
    auto [dv0] = xtad::grad(xtad::norm(v), xtad::wrt(v));
    expect(dv0 == xt::xarray<double>{0., 0.}, "norm's gradient at 0 is not 0");
}

void products() {
    // [products]
    auto A = xtad::var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto w = xtad::var<"w">(xt::xarray<double>{0.5, -1.});

    auto y = xtad::matmul(A, w); // A @ w, through BLAS
    std::cout << y << '\n';      // tensor([-1.5000, -2.5000], grad_fn=<MvBackward0>)

    // |A w|² + sum(A * A.T): the adjoint of a product is a product (dA = g wᵀ, dw = Aᵀ g).
    auto f = xtad::sum(y * y) + xtad::sum(A * xtad::transpose(A));
    auto [dA, dw] = xtad::grad(f, xtad::wrt(A, w));
    std::cout << xtad::repr(dA) << '\n'; // tensor([[ 0.5000,  9.0000],
                                         //         [ 1.5000, 13.0000]])
    std::cout << xtad::repr(dw) << '\n'; // tensor([-18., -26.])
    // [products]
    expect_text(printed(y), "tensor([-1.5000, -2.5000], grad_fn=<MvBackward0>)");
    expect_text(xtad::repr(dA), "tensor([[ 0.5000,  9.0000],\n        [ 1.5000, 13.0000]])");
    expect_text(xtad::repr(dw), "tensor([-18., -26.])");
    expect_text(printed(xtad::transpose(A)),
                "tensor([[1., 3.],\n        [2., 4.]], grad_fn=<PermuteBackward0>)");
}

void slices() {
    using xt::placeholders::_;
    // [slices]
    auto A = xtad::var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});

    auto column = xtad::view(A, xt::all(), 0); // A[:, 0]
    auto row = xtad::view(A, 1, xt::all());    // A[1, :]
    std::cout << column << '\n';               // tensor([1., 3.], grad_fn=<SelectBackward0>)
    std::cout << row << '\n';                  // tensor([3., 4.], grad_fn=<SliceBackward0>)

    // The gradient of a view is scattered back into the elements it reads.
    auto [dA] = xtad::grad(xtad::sum(column * row), xtad::wrt(A));
    std::cout << xtad::repr(dA) << '\n'; // tensor([[3., 0.],
                                         //         [5., 3.]])

    // Ranges: x[1:] - x[:-1]**2, the chained Rosenbrock's inner term.
    auto x = xtad::var<"x">(xt::xarray<double>{0.5, -1., 2., 1.5});
    auto inner = xtad::view(x, xt::range(1, _)) - xtad::pow<2>(xtad::view(x, xt::range(_, -1)));
    std::cout << inner << '\n'; // tensor([-1.2500,  1.0000, -2.5000], grad_fn=<SubBackward0>)

    // A mask: A[A > 2], the elements where it is true, as a vector.
    auto above = xtad::filter(A, A > 2.);
    std::cout << above << '\n'; // tensor([3., 4.], grad_fn=<IndexBackward0>)
    // [slices]
    expect_text(printed(above), "tensor([3., 4.], grad_fn=<IndexBackward0>)");
    expect_text(printed(column), "tensor([1., 3.], grad_fn=<SelectBackward0>)");
    expect_text(printed(row), "tensor([3., 4.], grad_fn=<SliceBackward0>)");
    expect_text(xtad::repr(dA), "tensor([[3., 0.],\n        [5., 3.]])");
    expect_text(printed(inner), "tensor([-1.2500,  1.0000, -2.5000], grad_fn=<SubBackward0>)");
}

void decompositions() {
    // [decompositions]
    auto A = xtad::var<"A">(xt::xarray<double>{{1., 2.}, {3., 4.}});
    auto b = xtad::var<"b">(xt::xarray<double>{5., 6.});

    auto x = xtad::solve(A, b); // A⁻¹ b, through one LU factorisation of A
    std::cout << x << '\n';     // tensor([-4.0000,  4.5000], grad_fn=<LinalgSolveExBackward0>)

    // A gradient through the solve, in A and in b; the adjoint solves with Aᵀ, from the same
    // factorisation.
    auto [dA, db] = xtad::grad(xtad::sum(x * x), xtad::wrt(A, b));
    std::cout << xtad::repr(dA) << '\n'; // tensor([[ 118.0000, -132.7500],
                                         //         [ -50.0000,   56.2500]])
    std::cout << xtad::repr(db) << '\n'; // tensor([ 29.5000, -12.5000])

    // det, with the cofactor matrix as its gradient, also where det is 0.
    auto S = xtad::var<"S">(xt::xarray<double>{{1., 2.}, {2., 4.}});
    auto [dS] = xtad::grad(xtad::det(S), xtad::wrt(S));
    std::cout << xtad::repr(dS) << '\n'; // tensor([[ 4., -2.],
                                         //         [-2.,  1.]])
    // [decompositions]
    expect_text(printed(x), "tensor([-4.0000,  4.5000], grad_fn=<LinalgSolveExBackward0>)");
    expect_text(xtad::repr(dA),
                "tensor([[ 118.0000, -132.7500],\n        [ -50.0000,   56.2500]])");
    expect_text(xtad::repr(db), "tensor([ 29.5000, -12.5000])");
    expect_text(xtad::repr(dS), "tensor([[ 4., -2.],\n        [-2.,  1.]])");
}

void branches() {
    // [where]
    auto x = xtad::var<"x">(xt::xarray<double>{-1., 0., 4.});

    // sqrt(x) where x > 0, else 0. sqrt is NaN at -1 and its derivative infinite at 0, but
    // those elements take the other branch.
    auto r = xtad::where(x > 0., xtad::sqrt(x), 0.);
    auto [dx] = xtad::grad(r, xtad::wrt(x), xtad::ones_like(r));

    std::cout << xtad::repr(xtad::eval(r)) << '\n'; // tensor([0., 0., 2.])
    std::cout << xtad::repr(dx) << '\n';            // tensor([0.0000, 0.0000, 0.2500])
    // torch prints tensor([   nan,    nan, 0.2500]) for the same gradient.
    // [where]
    expect_text(xtad::repr(xtad::eval(r)), "tensor([0., 0., 2.])");
    expect(dx(0) == 0. && dx(1) == 0. && dx(2) == 0.25, "where leaked the untaken branch");
}

void errors() {
    // [errors]
    auto u = xtad::var<"u">(xt::xarray<double>{1., 2., 3.});
    auto v = xtad::var<"v">(xt::xarray<double>{1., 2.});

    try {
        [[maybe_unused]] auto bad = u + v; // checked where the expression is written
    } catch (const xtad::error& e) {
        std::cout << e.what() << '\n'; // xtad::add: shapes (3,) and (2,) do not broadcast
    }

    auto e = 2. * u;
    try {
        xtad::backward(e); // three elements: which seed?
    } catch (const xtad::error& err) {
        std::cout << err.what() << '\n'; // xtad::backward: the expression has shape (3,) ...
    }
    // [errors]
    expect(error_of([&] { (void)(u + v); }) == "xtad::add: shapes (3,) and (2,) do not broadcast",
           "the broadcast error");
    expect(error_of([&] { xtad::backward(e); })
               == "xtad::backward: the expression has shape (3,) (3 elements); without a seed it "
                  "needs exactly one element. Pass a seed of shape (3,), e.g. ones_like(e)",
           "the backward error: " + error_of([&] { xtad::backward(e); }));
    expect(error_of([&] {
               (void)xtad::grad(e, xtad::wrt(u), xt::xarray<double>{1., 1.});
           })
               == "xtad::grad: the seed has shape (2,) but the expression has shape (3,); pass a "
                  "seed of the expression's shape",
           "the seed error");
    expect(error_of([&] { (void)xtad::sum(u, {1}); })
               == "xtad::sum: axis 1 is out of range for a tensor of shape (3,)",
           "the axis error");
}

void lifetimes() {
    // [lifetimes]
    // A function that names a tensor constant and returns an expression of it, as the functions
    // given to the transforms do: the expression owns a copy of w, so it outlives w.
    auto f = [](auto const& x) {
        xt::xarray<double> w = {1., 2., 3.};
        return xtad::sum(w * x);
    };
    auto x = xtad::var<"x">(xt::xarray<double>{1., 1., 1.});
    auto y = f(x);
    auto [dy] = xtad::grad(y, xtad::wrt(x));
    std::cout << xtad::repr(dy) << '\n'; // tensor([1., 2., 3.])

    // xtad::ref(w) holds w itself: no copy, and the expression sees w change.
    xt::xarray<double> w = {1., 2., 3.};
    auto by_copy = xtad::sum(w * x);
    auto by_ref = xtad::sum(xtad::ref(w) * x);
    w(0) = 10.;
    std::cout << xtad::repr(xtad::eval(by_copy)) << '\n'; // tensor(6.)
    std::cout << xtad::repr(xtad::eval(by_ref)) << '\n';  // tensor(15.)
    // [lifetimes]
    expect_text(xtad::repr(dy), "tensor([1., 2., 3.])");
    expect_text(xtad::repr(xtad::eval(by_copy)), "tensor(6.)");
    expect_text(xtad::repr(xtad::eval(by_ref)), "tensor(15.)");
#if XTAD_CHECK_LIFETIMES
    auto dead = [] {
        auto b = xtad::var<"b">(xt::xarray<double>{1.});
        return 2. * b;
    }();
    expect(error_of([&] { (void)xtad::eval(dead); })
               .starts_with("xtad: leaf 'b' was destroyed before an expression that uses it was "
                            "evaluated"),
           "the dead leaf error: " + error_of([&] { (void)xtad::eval(dead); }));
#endif
}

} // namespace

int main() {
    backward_and_grad();
    unused_and_into();
    broadcasting();
    reductions();
    products();
    slices();
    decompositions();
    branches();
    errors();
    lifetimes();
    return failures == 0 ? 0 : 1;
}
