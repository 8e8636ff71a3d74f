#!/usr/bin/python3
"""Writes test/functional/torch_jacobians.inc: torch.autograd.functional.jacobian of a set of
functions, read by test/functional/torch_jacobian_test.cpp, which checks xtad's jacfwd, jacrev and
jacobian against it.

Run with Debian's system Python and its python3-torch (1.13):

    /usr/bin/python3 scripts/gen_jacobian_refs.py            # rewrites the .inc
    /usr/bin/python3 scripts/gen_jacobian_refs.py --check    # fails if the committed file is stale

Each case is one function, written here as torch source text and in the test file as a C++ generic
lambda under the same name. Its constants and inputs are float64 tensors drawn uniformly from the
given range by a torch.Generator seeded from the case's name (so the file is reproducible and adding
a case leaves the others' data unchanged), or given literally. The case records the constants, the
inputs, torch's value of the function and its Jacobians (one per input, each of shape
out.shape + in.shape). Every case also passes torch.autograd.gradcheck, so the points are away from
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
OUT = REPO / "test" / "functional" / "torch_jacobians.inc"


class Case:
    """One function: `src` (torch source text) of the constants and inputs, by name."""

    def __init__(self, name, title, src, inputs, consts=()):
        self.name, self.title, self.src = name, title, src
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))

        def draw(spec):
            ident, what = spec[0], spec[1]
            if isinstance(what, tuple):  # (shape, lo, hi)
                shape, lo, hi = what
                return ident, lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=F64)
            return ident, torch.tensor(what, dtype=F64)

        self.consts = [draw(c) for c in consts]
        self.inputs = [draw(x) for x in inputs]
        code = compile(src, name, "eval")
        names = [n for n, _ in self.inputs]
        env = dict(self.consts, torch=torch)

        def fn(*xs):
            return eval(code, dict(env, **dict(zip(names, xs))))

        xs = tuple(x for _, x in self.inputs)
        self.value = fn(*xs)
        self.jacobians = torch.autograd.functional.jacobian(fn, xs)
        for x, j in zip(xs, self.jacobians):
            assert j.shape == self.value.shape + x.shape, (name, j.shape)
        probe = tuple(x.clone().requires_grad_(True) for x in xs)
        assert torch.autograd.gradcheck(fn, probe), name


CASES = []


def case(name, title, src, inputs, consts=()):
    CASES.append(Case(name, title, src, inputs, consts))


# ---------------------------------------------------------------------------------------------
# The notebook's Jacobian cell.

case("notebook", "the notebook: z = [x0^2 + x1^3, x0^3 + x1^2] at x = [1, 2]",
     "torch.stack([x[0] ** 2 + x[1] ** 3, x[0] ** 3 + x[1] ** 2])",
     [("x", [1.0, 2.0])])
assert torch.equal(CASES[-1].jacobians[0], torch.tensor([[2.0, 12.0], [3.0, 4.0]], dtype=F64))

# ---------------------------------------------------------------------------------------------
# Random smooth functions R^n -> R^m (A, B: random matrices; sum(A * x, 1) is A x). The
# elementwise ops one by one are checked against torch in test/ops; these are about the shape
# and the assembly of Jacobians, and are kept small because each one costs the C++ test several
# seconds of compilation.

case("r1_to_r5", "R^1 -> R^5",
     "torch.tanh(a * x + b) * torch.exp(-x * x)",
     [("x", ((1,), -1, 1))], [("a", ((5,), -2, 2)), ("b", ((5,), -1, 1))])
case("r5_to_r1", "R^5 -> R^1",
     "torch.log1p(torch.sum(A * x * x, 1)) + torch.sin(torch.sum(A * x, 1))",
     [("x", ((5,), -1, 1))], [("A", ((1, 5), 0.1, 1))])
case("r3_to_r3", "R^3 -> R^3",
     "x * torch.sum(A * torch.tanh(x), 1) + torch.cos(x) / (1 + x * x)",
     [("x", ((3,), -1.5, 1.5))], [("A", ((3, 3), -1, 1))])
case("r10_to_r4", "R^10 -> R^4",
     "torch.sum(A * torch.sin(x), 1) + torch.sigmoid(torch.sum(B * x * x, 1))",
     [("x", ((10,), -2, 2))], [("A", ((4, 10), -1, 1)), ("B", ((4, 10), -1, 1))])
case("r4_to_r10", "R^4 -> R^10",
     "torch.tanh(torch.sum(A * x, 1) + b) * torch.exp(-0.1 * torch.sum(x * x))",
     [("x", ((4,), -1, 1))], [("A", ((10, 4), -1, 1)), ("b", ((10,), -0.5, 0.5))])

# ---------------------------------------------------------------------------------------------
# Matrix-shaped inputs and outputs.

case("mat_to_mat", "R^(2x3) -> R^(2x3)",
     "x * torch.exp(-torch.sum(x * x, 0)) + torch.sin(x)",
     [("x", ((2, 3), -1, 1))])

# ---------------------------------------------------------------------------------------------
# Two inputs: one Jacobian per input.

case("two_mat_vec", "(R^(2x3), R^3) -> R^(2x3)",
     "torch.sin(a) * b + torch.sum(a * a) * torch.mean(b)",
     [("a", ((2, 3), -1, 1)), ("b", ((3,), -1, 1))])
case("two_vec_scalar", "(R^4, R (0-d)) -> R (0-d)",
     "torch.sum(a * s) / torch.linalg.vector_norm(a) + torch.prod(torch.exp(s * a))",
     [("a", ((4,), -1, 1)), ("s", ((), 0.5, 1.5))])

# ---------------------------------------------------------------------------------------------
# Reductions over all elements and over axes.

case("sum_mean_axes", "R^(2x3x4) -> R^3: sum and mean over axes (negative from the end)",
     "torch.sum(torch.sin(x) * x, (0, 2)) + torch.mean(torch.tanh(x), (-1, -3))"
     " * torch.sum(x * x, -2)[1, 3]",
     [("x", ((2, 3, 4), -1, 1))])
case("prod_norm_axes", "R^(3x4) -> R^3: prod and 2-norm over an axis and over all",
     "torch.prod(x, 1) * torch.linalg.vector_norm(x, dim=(-1,))"
     " + torch.prod(x) * torch.linalg.vector_norm(x, dim=(0,))[1]",
     [("x", ((3, 4), 0.5, 1.5))])

# ---------------------------------------------------------------------------------------------
# Stacks of element accesses (stack, x(i, j) on the input, index(e, i) on an expression).

case("stacks", "R^(2x3) -> R^(2x2): stacks of elements of the input and of expressions",
     "torch.stack([torch.stack([x[0, 1] * x[1, 2], torch.sum(A * x, 1)[0]]),"
     " torch.stack([torch.exp(x[1, 0]) / x[0, 2], (torch.sin(x) * x)[1, 1] ** 2])])",
     [("x", ((2, 3), 0.5, 2))], [("A", ((2, 3), -1, 1))])

# ---------------------------------------------------------------------------------------------
# Products and transposes (xtad/ops/linalg.hpp): torch.matmul in its 1-D, 2-D and batched forms,
# dot, outer, the transpose A.T and permute, and a logistic-regression loss.

case("matmul_mm", "matmul: matrix @ matrix", "torch.matmul(A, B)",
     [("A", ((2, 3), -1, 1)), ("B", ((3, 4), -1, 1))])
case("matmul_mv", "matmul: matrix @ vector", "torch.sin(torch.matmul(A, x))",
     [("A", ((3, 2), -1, 1)), ("x", ((2,), -1, 1))])
case("matmul_vm", "matmul: vector @ matrix", "torch.matmul(v, A) * torch.matmul(v, A)",
     [("v", ((3,), -1, 1)), ("A", ((3, 2), -1, 1))])
case("matmul_vv", "matmul: vector @ vector, and dot", "torch.matmul(x, y) * torch.dot(torch.sin(x), y)",
     [("x", ((4,), -1, 1)), ("y", ((4,), -1, 1))])
case("matmul_batched", "matmul: a batch of matrices @ a matrix, and a matrix @ a batch",
     "torch.matmul(C, torch.matmul(A, B))",
     [("A", ((2, 2, 3), -1, 1)), ("B", ((3, 2), -1, 1))], [("C", ((3, 2), -1, 1))])
case("matmul_broadcast", "matmul: batch axes that broadcast, and a vector @ a batch",
     "torch.matmul(A, B) + torch.matmul(v, B)",
     [("A", ((3, 1, 2, 2), -1, 1)), ("B", ((2, 2, 2), -1, 1))], [("v", ((2,), -1, 1))])
case("transpose", "A * A.T and A.T @ A", "A * A.T + torch.matmul(A.T, torch.sin(A))",
     [("A", ((3, 3), -1, 1))])
case("permute", "a permutation of three axes", "torch.sin(torch.permute(x, (2, 0, 1))) * c",
     [("x", ((2, 3, 2), -1, 1))], [("c", ((2, 2, 3), -1, 1))])
case("outer", "outer(x, y) @ x", "torch.matmul(torch.outer(x, y), torch.exp(y))",
     [("x", ((3,), -1, 1)), ("y", ((3,), -1, 1))])
case("logistic", "a logistic-regression loss: mean(log(1 + exp(-y * (X w + b))))",
     "torch.mean(torch.log1p(torch.exp(-y * (torch.matmul(X, w) + 0.25))))",
     [("w", ((4,), -1, 1))], [("X", ((6, 4), -2, 2)), ("y", [1., -1., 1., 1., -1., -1.])])

# Slices and masks (xtad/ops/slice.hpp): integers (negative from the end), ranges with steps and
# open ends, new axes; selection by a mask.
case("slices", "slices: A[:, 0] * A[1, :3], steps, negative ends and a new axis",
     "A[:, 0] * A[1, :3] + torch.sum(torch.sin(A[::2, None, 1:-1]) * A[-1, None, 1:3])",
     [("A", ((3, 4), -1, 1))])
case("masks", "selection by a mask: A[A > 0] and A[abs(A) < 0.5]",
     "torch.sin(A[A > 0]) * A[A > 0] + torch.sum(A[torch.abs(A) < 0.5] ** 2)",
     [("A", ((3, 3), -1, 1))])
case("notebook_slices", "the notebook's sum(A[:, 0] * A[1, :]) + sum(A * A.T)",
     "torch.sum(A[:, 0] * A[1, :]) + torch.sum(A * A.T)",
     [("A", ((3, 3), -1, 1))])
case("diagonal_trace", "diagonals with offsets, of a batch, and the trace",
     "torch.sin(torch.diagonal(A, 1)) * torch.trace(A @ A.T)"
     " + torch.sum(torch.diagonal(B, -1, -2, -1) ** 2)",
     [("A", ((3, 4), -1, 1)), ("B", ((2, 3, 3), -1, 1))])

# Inverses, solves and determinants (xtad/ops/decomp.hpp), at well-conditioned matrices.
M3 = [[2.0, 0.5, -0.3], [0.1, 1.5, 0.4], [-0.2, 0.3, 1.8]]
case("inv", "the inverse, and a sum over it", "torch.inverse(A) + torch.sum(torch.linalg.inv(A * A))",
     [("A", M3)])
case("det", "the determinant, times a sum", "torch.linalg.det(A) * torch.sum(torch.sin(A))",
     [("A", M3)])
case("slogdet", "slogdet: log |det| and the sign", "torch.linalg.slogdet(A)[1] * torch.linalg.slogdet(A - 1)[0]",
     [("A", M3)])
# cholesky reads one triangle, and torch's gradient is symmetric: a Jacobian in the matrix itself
# is a convention, which finite differences (and gradcheck) do not share. Through A Aᵀ + I it is
# not.
case("cholesky", "the Cholesky factors of A Aᵀ + I and Aᵀ A + 2I",
     "torch.linalg.cholesky(A @ A.T + torch.eye(3, dtype=torch.float64))"
     " * torch.sum(torch.linalg.cholesky(A.T @ A + 2 * torch.eye(3, dtype=torch.float64)))",
     [("A", ((3, 3), -1, 1))])
case("solve", "c * solve(A, b), in A and b", "c * torch.linalg.solve(A, b)",
     [("A", M3), ("b", ((3,), -1, 1))], [("c", ((3,), 0.5, 2))])
case("solve_matrix", "solve with a matrix of right-hand sides", "torch.linalg.solve(A, B) ** 2",
     [("A", M3), ("B", ((3, 2), -1, 1))])
case("notebook_residual", "the notebook's check: A solve(A, b) - b",
     "torch.matmul(A, torch.linalg.solve(A, b)) - b",
     [("A", M3), ("b", ((3,), -1, 1))])

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
        "// Generated by scripts/gen_jacobian_refs.py from PyTorch %s; do not edit."
        % torch.__version__,
        "// Regenerate: /usr/bin/python3 scripts/gen_jacobian_refs.py   (Debian's python3-torch)",
        "//",
        "// torch.autograd.functional.jacobian of the functions in the script, one case each:",
        "// the torch source, its constants and inputs (by name), torch's value of the function",
        "// and its Jacobians (one per input, shape out.shape + in.shape). The same functions are",
        "// written as C++ lambdas, under the same names, in",
        "// test/functional/torch_jacobian_test.cpp, which defines raw_tensor, raw_named and",
        "// raw_case before including this file.",
        "// clang-format off",
        "namespace torch_jacobians {",
        "",
        "inline constexpr raw_case cases[] = {",
    ]
    for c in CASES:
        shapes = ", ".join("%s%s" % (n, shape_str(x.shape)) for n, x in c.inputs)
        lines.append("  // %s: %s -> %s" % (c.title, shapes, shape_str(c.value.shape)))
        lines.append("  {.name = %s," % cxx_string(c.name))
        lines.append("   .torch = %s," % cxx_string(c.src))
        if c.consts:
            lines.append("   .consts = %s," % cxx_named(c.consts))
        lines.append("   .inputs = %s," % cxx_named(c.inputs))
        lines.append("   .value = %s," % cxx_tensor(c.value))
        lines.append("   .jacobians = {%s}}," % ", ".join(cxx_tensor(j) for j in c.jacobians))
    lines += ["};", "", "}  // namespace torch_jacobians", "// clang-format on"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if %s is stale" % OUT.name)
    args = ap.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("%s is stale: run /usr/bin/python3 scripts/gen_jacobian_refs.py" % OUT,
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print("wrote %s: %d cases" % (OUT.relative_to(REPO), len(CASES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
