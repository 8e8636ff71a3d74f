#!/usr/bin/python3
"""Writes test/ops/torch_refs.inc: PyTorch's values and gradients for xtad's elementwise ops and
reductions, read by test/ops/torch_ref_{unary,binary,reduction}_test.cpp.

Run with Debian's system Python and its python3-torch (1.13):

    /usr/bin/python3 scripts/gen_op_refs.py            # rewrites test/ops/torch_refs.inc
    /usr/bin/python3 scripts/gen_op_refs.py --check    # fails if the committed file is stale

For every op there are several cases: float64 inputs drawn at random inside the op's domain
(a torch.Generator seeded from the op's name, so the file is reproducible and adding an op leaves
the other ops' data unchanged), edge points where torch defines something specific, and, for
binary ops, broadcast shapes. Each case records the inputs, a random seed of the output's shape,
torch's output and torch.autograd.grad(out, inputs, grad_outputs=seed). Doubles are written
exactly as C++ hex-float literals; NaN and infinities by name.

Where xtad deliberately differs from torch the case carries, beside torch's gradient, the value
xtad documents, and the reason. The one such difference: the untaken branch of where() never
leaks NaN into the gradient (xtad gives 0 where torch gives NaN for where(x > 0, sqrt(x), 0) at
x <= 0); xtad's value is computed here with the usual double-where rewrite of the same program.
"""
import argparse
import math
import pathlib
import sys
import zlib

import torch

F64 = torch.float64
REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "test" / "ops" / "torch_refs.inc"


def t(values):
    return torch.tensor(values, dtype=F64)


class Op:
    """One xtad op (one TEST_CASE): `fn(params, *inputs)` is the torch reference."""

    def __init__(self, ident, title, arity, fn, group, note=None):
        self.ident, self.title, self.arity, self.fn, self.group = ident, title, arity, fn, group
        self.note = note
        self.gen = torch.Generator().manual_seed(zlib.crc32(ident.encode()))
        self.cases = []

    # Random inputs, uniform in [lo, hi) (times a random sign where signed=True).
    def uniform(self, shape, lo, hi, signed=False):
        u = lo + (hi - lo) * torch.rand(shape, generator=self.gen, dtype=F64)
        if signed:
            s = torch.randint(0, 2, shape, generator=self.gen).to(F64) * 2 - 1
            u = u * s
        return u

    def ints(self, shape, lo, hi):
        return torch.randint(lo, hi + 1, shape, generator=self.gen).to(F64)

    def case(self, name, inputs, params=(), xtad_fn=None, deviation=None):
        """Adds a case. xtad_fn: torch program with xtad's documented semantics, where they differ."""
        assert len(inputs) == self.arity, (self.ident, name)
        xs = [x.detach().clone().requires_grad_(True) for x in inputs]
        out = self.fn(list(params), *xs)
        seed = torch.randn(out.shape, generator=self.gen, dtype=F64)
        grads = torch.autograd.grad(out, xs, grad_outputs=seed, allow_unused=True)
        grads = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, grads)]
        xtad_grads = None
        if xtad_fn is not None:
            ys = [x.detach().clone().requires_grad_(True) for x in inputs]
            out2 = xtad_fn(list(params), *ys)
            assert torch.equal(out.detach().nan_to_num(7.0), out2.detach().nan_to_num(7.0)), name
            xtad_grads = torch.autograd.grad(out2, ys, grad_outputs=seed, allow_unused=True)
            xtad_grads = [torch.zeros_like(x) if g is None else g for x, g in zip(ys, xtad_grads)]
            # A flagged case must show the difference it documents.
            assert any(not torch.equal(a.nan_to_num(7.0), b.nan_to_num(7.0))
                       for a, b in zip(grads, xtad_grads)), (self.ident, name)
        self.cases.append(dict(name=name, params=list(params), inputs=[x.detach() for x in inputs],
                               seed=seed, value=out.detach(), grads=grads, xtad_grads=xtad_grads,
                               deviation=deviation))


OPS = []


def op(ident, title, arity, fn, group, note=None):
    o = Op(ident, title, arity, fn, group, note)
    OPS.append(o)
    return o


def shape_str(s):
    return "(" + ", ".join(str(d) for d in s) + ")"


UNARY_SHAPES = [(2, 3), (4,), ()]


def unary(ident, title, fn, lo, hi, edges=(), signed=False, note=None):
    o = op(ident, title, 1, lambda p, x: fn(x), "unary", note)
    for s in UNARY_SHAPES:
        o.case("random " + shape_str(s), [o.uniform(s, lo, hi, signed)])
    if edges:
        o.case("edges " + ", ".join(repr(e) for e in edges), [t(list(edges))])
    return o


# ---------------------------------------------------------------------------------------------
# Unary elementwise ops.

unary("neg", "operator- (unary)", lambda x: -x, -3, 3)
unary("square", "square", torch.square, -3, 3, [0.0])
unary("sqrt", "sqrt", torch.sqrt, 0.1, 5, [0.0, -1.0, math.inf])
unary("cbrt", "cbrt", lambda x: torch.sign(x) * torch.abs(x).pow(1 / 3), 0.1, 5, signed=True,
      note="torch has no cbrt: reference sign(x)*|x|^(1/3), away from 0 only")
unary("exp", "exp", torch.exp, -3, 3, [0.0, 710.0, -750.0])
unary("expm1", "expm1", torch.special.expm1, -3, 3, [0.0, 1e-10, -1e-10])
unary("log", "log", torch.log, 0.1, 5, [0.0, -1.0, 1.0, math.inf])
unary("log1p", "log1p", torch.log1p, -0.9, 5, [-1.0, -2.0, 0.0, 1e-10])
unary("log2", "log2", torch.log2, 0.1, 5, [0.0, -1.0, 1.0])
unary("log10", "log10", torch.log10, 0.1, 5, [0.0, -1.0, 1.0])
unary("sin", "sin", torch.sin, -4, 4, [0.0])
unary("cos", "cos", torch.cos, -4, 4, [0.0])
unary("tan", "tan", torch.tan, -1.5, 1.5, [0.0])
unary("asin", "asin", torch.asin, -0.99, 0.99, [1.0, -1.0, 1.5, 0.0])
unary("acos", "acos", torch.acos, -0.99, 0.99, [1.0, -1.0, 1.5, 0.0])
unary("atan", "atan", torch.atan, -4, 4, [0.0, 1e200, -math.inf])
unary("sinh", "sinh", torch.sinh, -3, 3, [0.0])
unary("cosh", "cosh", torch.cosh, -3, 3, [0.0])
unary("tanh", "tanh", torch.tanh, -3, 3, [0.0, 20.0, -20.0])
unary("asinh", "asinh", torch.asinh, -4, 4, [0.0])
unary("acosh", "acosh", torch.acosh, 1.01, 5, [1.0, 0.5])
unary("atanh", "atanh", torch.atanh, -0.99, 0.99, [1.0, -1.0, 0.0, 2.0])
unary("abs", "abs", torch.abs, -3, 3, [0.0, -0.0])
unary("sign", "sign", torch.sign, -3, 3, [0.0, -0.0])
unary("sigmoid", "sigmoid", torch.sigmoid, -5, 5, [0.0, 40.0, -40.0, 800.0, -800.0])
unary("erf", "erf", torch.erf, -3, 3, [0.0, 30.0, -30.0])

o = op("clamp", "clamp", 1, lambda p, x: torch.clamp(x, p[0], p[1]), "unary")
for s in UNARY_SHAPES:
    o.case("random " + shape_str(s) + " in [-1, 2]", [o.uniform(s, -3, 3)], params=[-1.0, 2.0])
o.case("at the bounds -1 and 2 (gradient passes)", [t([-1.0, 2.0, -5.0, 5.0, 0.5])],
       params=[-1.0, 2.0])
o.case("lo == hi == 0.5", [t([0.5, 0.0, 1.0])], params=[0.5, 0.5])

for n in [-3, -2, -1, 0, 1, 2, 3, 4]:
    ident = "pow_n%d" % -n if n < 0 else "pow_%d" % n
    o = op(ident, "pow<%d>" % n, 1, lambda p, x, n=n: torch.pow(x, n), "unary")
    for s in UNARY_SHAPES:
        o.case("random " + shape_str(s), [o.uniform(s, 0.5, 2.5, signed=True)])
    o.case("edges 0, -1, -2", [t([0.0, -1.0, -2.0])])

o = op("pow_xc", "pow(x, c)", 1, lambda p, x: torch.pow(x, p[0]), "unary")
for c in [2.5, -1.5, 0.5]:
    o.case("random (2, 3), c = %r" % c, [o.uniform((2, 3), 0.5, 3)], params=[c])
for c in [2.5, 0.5, -1.5, 0.0, 2.0, 1.0]:
    o.case("edges 0, -2, 3, c = %r" % c, [t([0.0, -2.0, 3.0])], params=[c])

# ---------------------------------------------------------------------------------------------
# Binary elementwise ops.

BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), (1, 3)),
                 ((2, 1), (1, 3)), ((2, 3), ()), ((), (2, 3)), ((), ())]


def binary(ident, title, fn, xdom, ydom, edges=None, note=None):
    """xdom, ydom: (lo, hi, signed). edges: list of (name, xs, ys)."""
    o = op(ident, title, 2, lambda p, x, y: fn(x, y), "binary", note)
    for sx, sy in BINARY_SHAPES:
        o.case("random x%s y%s" % (shape_str(sx), shape_str(sy)),
               [o.uniform(sx, *xdom), o.uniform(sy, *ydom)])
    for name, xs, ys in edges or []:
        o.case(name, [t(xs), t(ys)])
    return o


ANY = (-3, 3, False)
binary("add", "operator+", torch.add, ANY, ANY)
binary("sub", "operator-", torch.sub, ANY, ANY)
binary("mul", "operator*", torch.mul, ANY, ANY,
       [("edges zero times inf", [0.0, 2.0], [math.inf, math.inf])])
binary("div", "operator/", torch.div, ANY, (0.5, 3, True),
       [("edges division by zero", [1.0, -1.0, 0.0], [0.0, 0.0, 0.0])])
binary("pow_xy", "pow(x, y)", torch.pow, (0.5, 3, False), (-2, 2, False),
       [("edges base 0", [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.5, -1.0, 1.0]),
        ("edges negative base", [-2.0, -2.0, -2.0, -2.0], [3.0, 2.0, 0.0, 0.5])])
binary("atan2", "atan2", torch.atan2, ANY, ANY,
       [("edges origin and axes", [0.0, 0.0, 1.0, -1.0, 0.0], [0.0, 1.0, 0.0, 0.0, -1.0])])
ties = ("ties x == y (torch splits the gradient half/half)",
        [1.0, -2.0, 0.0, 3.0, 1.0], [1.0, -2.0, 0.0, 2.0, 4.0])
binary("minimum", "minimum", torch.minimum, ANY, ANY, [ties])
binary("maximum", "maximum", torch.maximum, ANY, ANY, [ties])
for ident, title in [("minimum", "minimum"), ("maximum", "maximum")]:
    o = next(x for x in OPS if x.ident == ident)
    o.case("ties broadcast x(2, 3) y(3)",
           [t([[1.0, 2.0, 3.0], [1.0, 0.0, 5.0]]), t([1.0, 2.0, 4.0])])

# A double on either side.
SCALAR_SHAPES = [(2, 3), ()]


def scalar_side(ident, title, fn, dom, cs, edges=()):
    """fn(c, x) with c = params[0]; edges: list of (name, c, xs)."""
    o = op(ident, title, 1, lambda p, x: fn(p[0], x), "binary")
    for c in cs:
        for s in SCALAR_SHAPES:
            o.case("random %s, c = %r" % (shape_str(s), c), [o.uniform(s, *dom)], params=[c])
    for name, c, xs in edges:
        o.case(name, [t(xs)], params=[c])
    return o


scalar_side("add_xc", "x + c", lambda c, x: x + c, ANY, [1.5])
scalar_side("add_cx", "c + x", lambda c, x: c + x, ANY, [1.5])
scalar_side("sub_xc", "x - c", lambda c, x: x - c, ANY, [1.5])
scalar_side("sub_cx", "c - x", lambda c, x: c - x, ANY, [1.5])
scalar_side("mul_xc", "x * c", lambda c, x: x * c, ANY, [-2.5])
scalar_side("mul_cx", "c * x", lambda c, x: c * x, ANY, [-2.5])
scalar_side("div_xc", "x / c", lambda c, x: x / c, ANY, [-2.5],
            [("edges c = 0", 0.0, [1.0, -1.0, 0.0])])
scalar_side("div_cx", "c / x", lambda c, x: c / x, (0.5, 3, True), [-2.5],
            [("edges x = 0", 2.0, [0.0, 1.0]), ("edges c = 0, x = 0", 0.0, [0.0, 1.0])])
scalar_side("pow_cx", "pow(c, y)", lambda c, y: torch.pow(c, y), (-2, 2, False), [2.0, 0.5],
            [("edges base 0", 0.0, [0.0, 1.0, 2.5, -1.0]),
             ("edges base -2", -2.0, [3.0, 2.0, 0.5])])
scalar_side("atan2_yc", "atan2(y, c)", lambda c, y: torch.atan2(y, t(c)), ANY, [-1.5],
            [("edges c = 0", 0.0, [0.0, 1.0, -1.0])])
scalar_side("atan2_cx", "atan2(c, x)", lambda c, x: torch.atan2(t(c), x), ANY, [-1.5],
            [("edges c = 0", 0.0, [0.0, 1.0, -1.0])])
scalar_side("maximum_xc", "maximum(x, c)", lambda c, x: torch.maximum(x, t(c)), ANY, [0.5],
            [("ties at c = 0 (half the gradient)", 0.0, [0.0, -1.0, 1.0])])
scalar_side("minimum_cx", "minimum(c, x)", lambda c, x: torch.minimum(t(c), x), ANY, [0.5],
            [("ties at c = 0 (half the gradient)", 0.0, [0.0, -1.0, 1.0])])

# where(cond, x, y) with a comparison as the condition.
WHERE_DEVIATION = ("xtad: the untaken branch of where never leaks NaN into the gradient "
                   "(0 there; torch gives NaN)")


def where_cmp(ident, title, cmp, int_valued=False):
    o = op(ident, title, 2, lambda p, x, y: torch.where(cmp(x, y), x, y), "binary")
    for sx, sy in [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), ())]:
        if int_valued:  # so that == and != see both outcomes
            xs, ys = o.ints(sx, -1, 1), o.ints(sy, -1, 1)
        else:
            xs, ys = o.uniform(sx, -3, 3), o.uniform(sy, -3, 3)
        o.case("random x%s y%s" % (shape_str(sx), shape_str(sy)), [xs, ys])
    o.case("ties", [t([1.0, -2.0, 0.0, 3.0]), t([1.0, -2.0, 1.0, 2.0])])
    return o


where_cmp("where_lt", "where(x < y, x, y)", lambda x, y: x < y)
where_cmp("where_le", "where(x <= y, x, y)", lambda x, y: x <= y)
where_cmp("where_gt", "where(x > y, x, y)", lambda x, y: x > y)
where_cmp("where_ge", "where(x >= y, x, y)", lambda x, y: x >= y)
where_cmp("where_eq", "where(x == y, x, y)", lambda x, y: x == y, int_valued=True)
where_cmp("where_ne", "where(x != y, x, y)", lambda x, y: x != y, int_valued=True)

o = op("where_gt0", "where(x > 0, x, y)", 2, lambda p, x, y: torch.where(x > 0.0, x, y), "binary")
for sx, sy in [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((), (2, 3))]:
    o.case("random x%s y%s" % (shape_str(sx), shape_str(sy)),
           [o.uniform(sx, -3, 3), o.uniform(sy, -3, 3)])
o.case("x at 0", [t([0.0, -0.0, 1.0]), t([5.0, 6.0, 7.0])])

o = op("where_sqrt", "where(x > 0, sqrt(x), 0)", 1,
       lambda p, x: torch.where(x > 0.0, torch.sqrt(x), 0.0), "binary")
o.case("random (2, 3), all x > 0", [o.uniform((2, 3), 0.1, 5)])
safe_sqrt = lambda p, x: torch.where(x > 0.0, torch.sqrt(torch.where(x > 0.0, x, 1.0)), 0.0)
o.case("random (2, 3), mixed signs", [o.uniform((2, 3), -3, 3)],
       xtad_fn=safe_sqrt, deviation=WHERE_DEVIATION)
o.case("edges -1, 0, 1, 4", [t([-1.0, 0.0, 1.0, 4.0])],
       xtad_fn=safe_sqrt, deviation=WHERE_DEVIATION)

o = op("where_log", "where(x > 0, log(x), y)", 2,
       lambda p, x, y: torch.where(x > 0.0, torch.log(x), y), "binary")
o.case("random x(2, 3) y(2, 3), all x > 0", [o.uniform((2, 3), 0.1, 5), o.uniform((2, 3), -3, 3)])
o.case("random x(2, 3) y(3), mixed signs", [o.uniform((2, 3), -3, 3), o.uniform((3,), -3, 3)])
o.case("edges x = 0 (torch: 0 * inf = NaN)", [t([0.0, -1.0, 2.0]), t([5.0, 6.0, 7.0])],
       xtad_fn=lambda p, x, y: torch.where(x > 0.0, torch.log(torch.where(x > 0.0, x, 1.0)), y),
       deviation=WHERE_DEVIATION)

# ---------------------------------------------------------------------------------------------
# Reductions.


def reduction(ident, title, fn, shapes, edges=(), lo=-3, hi=3):
    o = op(ident, title, 1, lambda p, x: fn(x), "reduction")
    for s in shapes:
        o.case("random " + shape_str(s), [o.uniform(s, lo, hi)])
    for name, xs in edges:
        o.case(name, [t(xs)])
    return o


ALL = [(2, 3), (4,), (2, 3, 2), ()]
reduction("sum", "sum(x)", torch.sum, ALL)
reduction("sum_0", "sum(x, {0})", lambda x: torch.sum(x, 0), [(2, 3), (4,), (2, 3, 2)])
reduction("sum_1", "sum(x, {1})", lambda x: torch.sum(x, 1), [(2, 3), (2, 3, 2)])
reduction("sum_02", "sum(x, {0, 2})", lambda x: torch.sum(x, (0, 2)), [(2, 3, 2), (3, 1, 4)])
reduction("sum_01", "sum(x, {0, 1})", lambda x: torch.sum(x, (0, 1)), [(2, 3), (2, 3, 2)])
reduction("mean", "mean(x)", torch.mean, ALL)
reduction("mean_0", "mean(x, {0})", lambda x: torch.mean(x, 0), [(2, 3), (4,), (2, 3, 2)])
reduction("mean_1", "mean(x, {1})", lambda x: torch.mean(x, 1), [(2, 3), (2, 3, 2)])
reduction("mean_02", "mean(x, {0, 2})", lambda x: torch.mean(x, (0, 2)), [(2, 3, 2)])
reduction("prod", "prod(x)", torch.prod, ALL,
          [("one zero", [[1.5, 0.0, -2.0], [0.5, 3.0, -1.25]]),
           ("two zeros", [[1.5, 0.0, -2.0], [0.5, 0.0, -1.25]]),
           ("all zeros", [0.0, 0.0, 0.0])], lo=0.5, hi=2)
reduction("prod_0", "prod(x, {0})", lambda x: torch.prod(x, 0), [(2, 3), (4,), (3, 2, 2)],
          [("zeros: one in column 0, two in column 1", [[0.0, 0.0, 2.0], [1.5, 0.0, -3.0],
                                                        [-0.5, 2.0, 0.25]])], lo=0.5, hi=2)
reduction("prod_1", "prod(x, {1})", lambda x: torch.prod(x, 1), [(2, 3), (2, 3, 2)],
          [("zeros: one in row 0, two in row 1", [[0.0, 1.5, 2.0], [0.0, 0.0, -3.0]])],
          lo=0.5, hi=2)
reduction("norm", "norm(x)", torch.linalg.vector_norm, ALL,
          [("zero vector (torch: gradient 0)", [0.0, 0.0, 0.0]),
           ("one nonzero", [0.0, -3.0, 0.0]),
           ("zero 0-d", 0.0)])

# ---------------------------------------------------------------------------------------------
# Output.


def cxx_double(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v.hex()


def cxx_tensor(x):
    shape = "{" + ", ".join(str(d) for d in x.shape) + "}"
    vals = ", ".join(cxx_double(v) for v in x.reshape(-1).tolist())
    return "{%s, {%s}}" % (shape, vals)


def cxx_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render():
    lines = [
        "// Generated by scripts/gen_op_refs.py from PyTorch %s; do not edit." % torch.__version__,
        "// Regenerate: /usr/bin/python3 scripts/gen_op_refs.py   (Debian's python3-torch)",
        "//",
        "// Reference values and gradients of xtad's elementwise ops and reductions, one constant",
        "// array of cases per op: inputs, seed (grad_outputs), torch's output, and",
        "// torch.autograd.grad(out, inputs, grad_outputs=seed). Where xtad deliberately differs",
        "// from torch, xtad_grads holds xtad's documented value and deviation says why.",
        "// Read by test/ops/torch_ref.hpp (which defines raw_tensor and raw_case).",
        "// clang-format off",
        "namespace torch_refs {",
        "",
        "inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();",
        "inline constexpr double inf = std::numeric_limits<double>::infinity();",
        "",
    ]
    total = 0
    for o in OPS:
        lines.append("// %s: %d cases%s" % (o.title, len(o.cases),
                                             "; " + o.note if o.note else ""))
        lines.append("inline constexpr raw_case %s[] = {" % o.ident)
        for c in o.cases:
            total += 1
            lines.append("  {.name = %s," % cxx_string(c["name"]))
            if c["params"]:
                lines.append("   .params = {%s}," % ", ".join(cxx_double(p) for p in c["params"]))
            lines.append("   .inputs = {%s}," % ", ".join(cxx_tensor(x) for x in c["inputs"]))
            lines.append("   .seed = %s," % cxx_tensor(c["seed"]))
            lines.append("   .value = %s," % cxx_tensor(c["value"]))
            lines.append("   .grads = {%s}%s" % (", ".join(cxx_tensor(g) for g in c["grads"]),
                                                   "," if c["xtad_grads"] is not None else "},"))
            if c["xtad_grads"] is not None:
                lines.append("   .xtad_grads = {%s}," % ", ".join(cxx_tensor(g)
                                                                  for g in c["xtad_grads"]))
                lines.append("   .deviation = %s}," % cxx_string(c["deviation"]))
        lines.append("};")
        lines.append("")
    lines.append("}  // namespace torch_refs")
    lines.append("// clang-format on")
    return "\n".join(lines) + "\n", total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if %s is stale" % OUT.name)
    ap.add_argument("--summary", action="store_true", help="print the number of cases per op")
    args = ap.parse_args()
    text, total = render()
    if args.summary:
        for o in OPS:
            print("%-28s %-10s %2d" % (o.title, o.group, len(o.cases)))
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("%s is stale: run /usr/bin/python3 scripts/gen_op_refs.py" % OUT, file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print("wrote %s: %d ops, %d cases" % (OUT.relative_to(REPO), len(OPS), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
