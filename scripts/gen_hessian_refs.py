#!/usr/bin/python3
"""Writes test/functional/torch_hessians.inc: torch.autograd.functional.hessian of a set of smooth
scalar functions, read by test/functional/torch_hessian_test.cpp, which checks xtad's hessian (all
three routes), hvp and grad against it.

Run with Debian's system Python and its python3-torch (1.13):

    /usr/bin/python3 scripts/gen_hessian_refs.py            # rewrites the .inc
    /usr/bin/python3 scripts/gen_hessian_refs.py --check    # fails if the committed file is stale

Each case is one function f: R^shape -> R (a 0-d result) of one input x, written here as torch
source text and in the test file as a C++ generic lambda under the same name. Its constants, its
input and a direction v (of x's shape) are float64 tensors drawn uniformly from the given range by
a torch.Generator seeded from the case's name (so the file is reproducible and adding a case leaves
the others' data unchanged), or given literally. The case records the constants, x, v, torch's
value f(x), its gradient (torch.autograd.grad), its Hessian (torch.autograd.functional.hessian,
shape x.shape + x.shape) and the Hessian-vector product H v (torch.autograd.functional.hvp).
Every case also passes torch.autograd.gradcheck and gradgradcheck, so the points are away from
kinks. Doubles are written exactly as C++ hex-float literals.
"""
import argparse
import math
import pathlib
import sys
import zlib

import torch

F64 = torch.float64
REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "test" / "functional" / "torch_hessians.inc"


class Case:
    """One function: `src` (torch source text) of the constants and the input x, by name."""

    def __init__(self, name, title, src, x, consts=(), ref_src=None):
        self.name, self.title, self.src = name, title, src
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))

        def draw(what):
            if isinstance(what, tuple):  # (shape, lo, hi)
                shape, lo, hi = what
                return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=F64)
            return torch.tensor(what, dtype=F64)

        self.consts = [(ident, draw(what)) for ident, what in consts]
        self.x = draw(x)
        self.v = -1 + 2 * torch.rand(self.x.shape, generator=gen, dtype=F64)
        # ref_src: the same function written otherwise, for the references, where torch's own
        # derivatives of src are wrong (see product below).
        code = compile(ref_src or src, name, "eval")
        env = dict(self.consts, torch=torch, product=product)

        def fn(x):
            return eval(code, dict(env, x=x))

        self.value = fn(self.x)
        assert self.value.shape == (), (name, self.value.shape)
        probe = self.x.clone().requires_grad_(True)
        (self.grad,) = torch.autograd.grad(fn(probe), probe)
        self.hessian = torch.autograd.functional.hessian(fn, self.x)
        assert self.hessian.shape == self.x.shape + self.x.shape, (name, self.hessian.shape)
        n = self.x.numel()
        h2 = self.hessian.reshape(n, n)
        assert torch.allclose(h2, h2.T, rtol=1e-12, atol=1e-12), name
        hv_value, self.hvp = torch.autograd.functional.hvp(fn, self.x, self.v)
        assert torch.equal(hv_value, self.value), name
        assert torch.allclose(self.hvp.reshape(-1), h2 @ self.v.reshape(-1)), name
        assert torch.autograd.gradcheck(fn, (probe,)), name
        assert torch.autograd.gradgradcheck(fn, (probe,)), name


def product(x, dim=None):
    """torch.prod(x[, dim]) as a chain of multiplications. torch 1.13's second derivative of prod
    is 0 where a slice has two zeros, not the product of the slice's other elements (its
    gradgradcheck fails there); a product of factors has exact derivatives of every order."""
    parts = x.reshape(-1).unbind(0) if dim is None else x.unbind(dim)
    out = parts[0]
    for p in parts[1:]:
        out = out * p
    return out


CASES = []


def case(name, title, src, x, consts=(), ref_src=None):
    CASES.append(Case(name, title, src, x, consts, ref_src))


# ---------------------------------------------------------------------------------------------
# Smooth scalar functions. Each costs the C++ test about half a minute of compilation (three
# routes, hvp and grad, each instantiating its own tree of templates, more for bigger trees), so
# they are few and small; the ops one by one, to second order, are checked in test/ops.

case("elementwise", "elementwise ops, summed",
     "torch.sum(torch.tanh(x) * torch.exp(-x * x) + torch.log1p(x * x) / (2 + torch.cos(x)))",
     ((5,), -1.5, 1.5))
case("broadcast", "broadcasting against constants of shapes (4, 3), (4, 1) and (3,)",
     "torch.sum(c * torch.sin(A * x + b) ** 2)",
     ((3,), -1, 1), [("A", ((4, 3), -1, 1)), ("b", ((4, 1), -1, 1)), ("c", ((3,), -1, 1))])
case("reductions", "sum, mean and 2-norm over all elements and over axes (negative from the end)",
     "torch.sum(torch.mean(torch.sin(x), 1) * torch.linalg.vector_norm(x, dim=(-1,)))"
     " + torch.linalg.vector_norm(x) * torch.mean(torch.sum(x * x, 0))",
     ((3, 4), -1, 1))
case("prods", "prod over all elements and over an axis",
     "torch.prod(x) + torch.sum(torch.prod(x, 1) * torch.sum(x, -1))",
     ((3, 4), 0.5, 1.5))
# The same function where the products have zeros: a second derivative of prod there is the
# product of the slice's elements other than two, nonzero if those two are its only zeros.
# torch 1.13 gives 0 for that case, so the references are of the same function written as
# products of factors (see product above); where a slice has one zero, torch agrees.
PRODS = "torch.prod(x) + torch.sum(torch.prod(x, 1) * torch.sum(x, -1))"
PRODUCTS = "product(x) + torch.sum(product(x, 1) * torch.sum(x, -1))"
case("prods_one_zero", "prods, one zero in all (in row 1)", PRODS,
     [[0.5, 1.5, -0.5, 2], [0.5, 0, 1.25, -1.5], [1, 2, 0.5, 0.75]], ref_src=PRODUCTS)
case("prods_two_zeros", "prods, two zeros in all (rows 0 and 1 have one each)", PRODS,
     [[0, 1.5, -0.5, 2], [0.5, 0, 1.25, -1.5], [1, 2, 0.5, 0.75]], ref_src=PRODUCTS)
case("prods_six_zeros", "prods, six zeros in all (rows 0, 1 and 2 have one, two and three)", PRODS,
     [[0, 1.5, -0.5, 2], [0, 0, 0.5, -1.5], [0, 0, 0, 0.75]], ref_src=PRODUCTS)
case("stack_cat_index", "stack, concatenate and elements of the input and of an expression",
     "torch.sum(torch.cat([torch.sin(x), x * x], 1) * A)"
     " + torch.sum(torch.stack([x[0, 1] * x[1, 2], (torch.sin(x) * x)[1, 0]]) ** 2)",
     ((2, 3), 0.5, 2), [("A", ((2, 6), -1, 1))])
case("matrix", "a function of a 2x3 matrix",
     "torch.sum(x * torch.exp(-torch.sum(x * x, 0))) + torch.sum(torch.cos(x)) ** 2",
     ((2, 3), -1, 1))
case("quadratic", "the dense quadratic form x^T A x + b^T x (H = A + A^T)",
     "torch.sum(x * torch.sum(A * x, 1)) + torch.sum(b * x)",
     ((5,), -2, 2), [("A", ((5, 5), -1, 1)), ("b", ((5,), -1, 1))])
case("rosenbrock", "the Rosenbrock function in R^3",
     "torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)",
     ((3,), -1.5, 1.5))
case("x2_sin", "sum(x_i^2 sin x_i): a diagonal Hessian",
     "torch.sum(x ** 2 * torch.sin(x))",
     ((7,), -3, 3))
case("logsumexp", "log-sum-exp of a linear map",
     "torch.logsumexp(torch.sum(A * x, 1), 0)",
     ((5,), -1, 1), [("A", ((4, 5), -1, 1))])
case("scalar_input", "a function of a 0-d input, broadcast against a vector",
     "torch.sum(torch.tanh(x * c)) + x ** 3",
     ((), -1, 1), [("c", ((3,), -1, 1))])

# Products and transposes (xtad/ops/linalg.hpp).
case("matmul_forms", "x^T A x by matmul, with a transpose and a vector @ matrix",
     "torch.matmul(x, torch.matmul(A, x)) + torch.sum(torch.tanh(torch.matmul(A.T, x * x)))",
     ((4,), -1, 1), [("A", ((4, 4), -1, 1))])
case("logistic", "a logistic-regression loss: mean(log(1 + exp(-y * (X w + b))))",
     "torch.mean(torch.log1p(torch.exp(-y * (torch.matmul(X, x) + 0.25))))",
     ((4,), -1, 1), [("X", ((6, 4), -2, 2)), ("y", [1., -1., 1., 1., -1., -1.])])

case("rosenbrock_vectorised", "the chained Rosenbrock function in R^6, written with slices",
     "torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)",
     ((6,), -1.5, 1.5))

# ---------------------------------------------------------------------------------------------
# Output.


def cxx_double(v):
    v = float(v)
    assert math.isfinite(v), v
    return v.hex()


def cxx_tensor(x):
    shape = "{" + ", ".join(str(d) for d in x.shape) + "}"
    vals = ", ".join(cxx_double(v) for v in x.reshape(-1).tolist())
    return "{%s, {%s}}" % (shape, vals)


def cxx_named(pairs):
    return "{%s}" % ", ".join('{"%s", %s}' % (n, cxx_tensor(x)) for n, x in pairs)


def cxx_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shape_str(s):
    return "(" + ", ".join(str(d) for d in s) + ")"


def render():
    lines = [
        "// Generated by scripts/gen_hessian_refs.py from PyTorch %s; do not edit."
        % torch.__version__,
        "// Regenerate: /usr/bin/python3 scripts/gen_hessian_refs.py   (Debian's python3-torch)",
        "//",
        "// torch.autograd.functional.hessian of the scalar functions in the script, one case",
        "// each: the torch source, its constants (by name), the input x and a direction v, torch's",
        "// value f(x), gradient, Hessian (shape x.shape + x.shape) and Hessian-vector product H v.",
        "// The same functions are written as C++ lambdas, under the same names, in",
        "// test/functional/torch_hessian_test.cpp, which defines raw_tensor, raw_named and",
        "// raw_case before including this file.",
        "// clang-format off",
        "namespace torch_hessians {",
        "",
        "inline constexpr raw_case cases[] = {",
    ]
    for c in CASES:
        lines.append("  // %s: x%s -> ()" % (c.title, shape_str(c.x.shape)))
        lines.append("  {.name = %s," % cxx_string(c.name))
        lines.append("   .torch = %s," % cxx_string(c.src))
        if c.consts:
            lines.append("   .consts = %s," % cxx_named(c.consts))
        lines.append("   .x = %s," % cxx_tensor(c.x))
        lines.append("   .v = %s," % cxx_tensor(c.v))
        lines.append("   .value = %s," % cxx_tensor(c.value))
        lines.append("   .grad = %s," % cxx_tensor(c.grad))
        lines.append("   .hessian = %s," % cxx_tensor(c.hessian))
        lines.append("   .hvp = %s}," % cxx_tensor(c.hvp))
    lines += ["};", "", "}  // namespace torch_hessians", "// clang-format on"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if %s is stale" % OUT.name)
    args = ap.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("%s is stale: run /usr/bin/python3 scripts/gen_hessian_refs.py" % OUT,
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print("wrote %s: %d cases" % (OUT.relative_to(REPO), len(CASES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
