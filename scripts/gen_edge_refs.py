#!/usr/bin/python3
"""Writes test/ops/edge_refs.inc: PyTorch 1.13's values and gradients at the edge points that
docs/edge_cases.md decides, one array of cases per row of its table, read by
test/ops/edge_policy_test.cpp.

Run with Debian's system Python and its python3-torch (1.13):

    /usr/bin/python3 scripts/gen_edge_refs.py            # rewrites test/ops/edge_refs.inc
    /usr/bin/python3 scripts/gen_edge_refs.py --check    # fails if the committed file is stale
    /usr/bin/python3 scripts/gen_edge_refs.py --print    # prints the cases as a readable table

Every case is a small float64 program of one or two leaves, x and y, evaluated at a handful of
points; torch.autograd.grad with a seed of ones gives the gradients. The C++ test builds the same
program in xtad from the case's `op` string (the two spellings are kept side by side: the key is
the C++ spelling) and compares value and gradients, NaN with NaN, infinities exactly, and the
sign of every zero unless the row says that the sign is not pinned.

Where xtad deliberately differs from torch, the case also holds xtad's documented gradient,
computed here by a torch program with xtad's semantics, and the reason; the script checks that the
two really differ, so that a documented difference that no longer exists is noticed.
"""
import argparse
import math
import pathlib
import sys

import torch

F64 = torch.float64
REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "test" / "ops" / "edge_refs.inc"
NAN = math.nan
INF = math.inf


def t(values):
    return torch.tensor(values, dtype=F64)


def same_bits(xs, ys):
    """Whether the tensors are equal, NaN equal to NaN and -0 different from 0."""
    def key(v):
        return [(math.isnan(a), math.copysign(1, a), 0 if math.isnan(a) else a)
                for a in v.reshape(-1).tolist()]
    return all(key(a) == key(b) for a, b in zip(xs, ys))


class Row:
    """One row of docs/edge_cases.md's table: one TEST_CASE of edge_policy_test.cpp."""

    def __init__(self, ident, title, signed_zeros=True):
        self.ident, self.title, self.signed_zeros = ident, title, signed_zeros
        self.cases = []

    def case(self, op, fn, x, y=None, param=None, xtad_fn=None, deviation=None):
        """op: the xtad program, in C++ (edge_policy_test.cpp dispatches on it); fn: torch's.
        fn and xtad_fn take the leaves (and param, if not None)."""
        leaves = [t(x)] + ([t(y)] if y is not None else [])
        ps = [] if param is None else [param]

        def run(f):
            xs = [v.clone().requires_grad_(True) for v in leaves]
            out = f(*ps, *xs)
            gs = torch.autograd.grad(out, xs, grad_outputs=torch.ones_like(out), allow_unused=True)
            return out.detach(), [torch.zeros_like(v) if g is None else g for v, g in zip(xs, gs)]

        value, grads = run(fn)
        xtad_value = xtad_grads = None
        if xtad_fn is not None:
            assert deviation, op
            xtad_value, xtad_grads = run(xtad_fn)
            assert not same_bits([value] + grads, [xtad_value] + xtad_grads), \
                ("no difference to document", op)
        self.cases.append(dict(op=op, param=param, inputs=leaves, value=value, grads=grads,
                               xtad_value=xtad_value, xtad_grads=xtad_grads, deviation=deviation))
        return self


ROWS = []


def row(ident, title, signed_zeros=True):
    r = Row(ident, title, signed_zeros)
    ROWS.append(r)
    return r


Z = [0.0, -0.0]

# pow<N>(x), N a compile-time integer: torch.pow(x, N) with an integer exponent.
r = row("pow_integer", "pow<N>(x) at 0 and at negative bases, 0^0 included")
for n in [-2, -1, 0, 1, 2, 3]:
    r.case("pow<%d>(x)" % n, lambda x, n=n: torch.pow(x, n), Z + [-2.0, NAN])

# pow(x, y) with both tensors: both partials at base 0, including 0^0 and 0^negative, and at
# negative bases, integer and not.
r = row("pow_real_base_zero", "pow(x, y) at x = 0: 0^0, 0^positive, 0^negative")
r.case("pow(x, y)", torch.pow, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, -0.0],
       [0.0, 0.5, 1.0, 2.0, -1.0, -0.5, 3.0, -1.0])
r.case("pow(x, c)", lambda c, x: torch.pow(x, c), Z + [1.0], param=0.0)
for c in [-2.0, -1.0, 2.0, 3.0]:
    r.case("pow(x, c)", lambda c, x: torch.pow(x, c), Z + [1.0, -INF], param=c)
r.case("pow(c, y)", lambda c, y: torch.pow(c, y), [0.0, 0.5, 1.0, -1.0, -0.5], param=0.0)

# torch computes a tensor to the number 0.5 as sqrt, and to -0.5 as rsqrt, unlike a tensor to a
# tensor exponent 0.5 (std::pow); the two differ at -0 and -inf. xtad's pow(x, c) is std::pow for
# every c: what torch computes for the same exponent held in a tensor.
HALF = ("xtad: pow(x, c) is std::pow for every c, as torch.pow with a tensor exponent; torch "
        "computes the number exponents 0.5 and -0.5 as sqrt and rsqrt instead")
r = row("pow_half_exponent", "pow(x, c) with c = 0.5 or -0.5 at -0 and -inf")
for c in [0.5, -0.5]:
    r.case("pow(x, c)", lambda c, x: torch.pow(x, c), Z + [1.0, -INF], param=c,
           xtad_fn=lambda c, x: torch.pow(x, torch.tensor(c, dtype=F64)), deviation=HALF)

r = row("pow_real_negative_base", "pow(x, y) at x < 0: integer and non-integer exponents")
r.case("pow(x, y)", torch.pow, [-2.0, -2.0, -2.0, -2.0, -2.0], [0.0, 2.0, 3.0, 0.5, -1.5])
r.case("pow(x, c)", lambda c, x: torch.pow(x, c), [-2.0, -8.0], param=0.5)
r.case("pow(x, c)", lambda c, x: torch.pow(x, c), [-2.0, -8.0], param=2.0)
r.case("pow(c, y)", lambda c, y: torch.pow(c, y), [2.0, 0.5, 0.0], param=-2.0)

r = row("sqrt_at_zero", "sqrt at 0 and -0, below 0, at inf")
r.case("sqrt(x)", torch.sqrt, Z + [-1.0, INF])

r = row("abs_at_zero", "abs at 0, -0, NaN and the infinities")
r.case("abs(x)", torch.abs, Z + [NAN, INF, -INF, -2.0])

r = row("sign", "sign: the value at 0, -0 and NaN, the gradient everywhere")
r.case("sign(x)", torch.sign, Z + [NAN, INF, -INF, -2.0, 3.0])

# Ties. The value of maximum(-0, 0) is one of the two zeros; torch's scalar kernel (which small
# tensors take) returns the first argument, as xtad does, but its vectorised kernel the second:
# the sign of a tied zero is not pinned, only which side gets the gradient.
r = row("max_min_ties", "maximum and minimum at ties: the gradient is split half/half",
        signed_zeros=False)
tx, ty = [1.0, -2.0, 0.0, -0.0, INF, -INF], [1.0, -2.0, -0.0, 0.0, INF, -INF]
r.case("maximum(x, y)", torch.maximum, tx, ty)
r.case("minimum(x, y)", torch.minimum, tx, ty)
r.case("maximum(x, c)", lambda c, x: torch.maximum(x, torch.tensor(c, dtype=F64)),
       [0.0, 1.0, -1.0], param=0.0)
r.case("minimum(c, x)", lambda c, x: torch.minimum(torch.tensor(c, dtype=F64), x),
       [0.0, 1.0, -1.0], param=0.0)

r = row("max_min_nan", "maximum and minimum at NaN: the value is NaN, both sides get the gradient")
nx, ny = [NAN, 1.0, NAN], [1.0, NAN, NAN]
r.case("maximum(x, y)", torch.maximum, nx, ny)
r.case("minimum(x, y)", torch.minimum, nx, ny)

r = row("clamp_bounds", "clamp at its bounds, with lo == hi or lo > hi, and at NaN")
r.case("clamp(x, -1, 2)", lambda x: torch.clamp(x, -1.0, 2.0),
       [-1.0, 2.0, -5.0, 5.0, 0.5, NAN, INF, -INF])
r.case("clamp(x, 0.5, 0.5)", lambda x: torch.clamp(x, 0.5, 0.5), [0.5, 0.0, 1.0])
r.case("clamp(x, 6, 4)", lambda x: torch.clamp(x, 6.0, 4.0), [5.0, 7.0, 3.0, 6.0, 4.0, NAN])

r = row("log_domain", "log, log2, log10 and log1p at 0, -0, below 0, at inf and NaN")
dom = Z + [-1.0, INF, NAN, 1.0]
r.case("log(x)", torch.log, dom)
r.case("log2(x)", torch.log2, dom)
r.case("log10(x)", torch.log10, dom)
r.case("log1p(x)", torch.log1p, [-1.0, -2.0, INF, NAN, 0.0, -0.0])

r = row("division_by_zero", "division by zero: x/0, 0/0, x/-0, and their gradients")
r.case("x / y", torch.div, [1.0, -1.0, 0.0, 1.0, 0.0, INF], [0.0, 0.0, 0.0, -0.0, -0.0, 0.0])
r.case("x / c", lambda c, x: x / c, [1.0, -1.0, 0.0], param=0.0)
r.case("c / x", lambda c, x: c / x, Z + [2.0], param=1.0)
r.case("c / x", lambda c, x: c / x, Z + [2.0], param=0.0)

r = row("nan_inf_arithmetic", "NaN and infinities through + - * /: values and gradients")
r.case("x + y", torch.add, [INF, NAN, INF, 1.0], [-INF, 1.0, INF, -INF])
r.case("x - y", torch.sub, [INF, NAN, -INF], [INF, 1.0, 2.0])
r.case("x * y", torch.mul, [INF, 0.0, NAN, INF, -INF], [0.0, INF, 2.0, 2.0, -0.0])
r.case("x / y", torch.div, [INF, 1.0, NAN, 2.0], [INF, INF, 2.0, NAN])

r = row("nan_inf_functions", "NaN and infinities through functions: values and gradients")
r.case("exp(x)", torch.exp, [INF, -INF, NAN])
r.case("tanh(x)", torch.tanh, [INF, -INF, NAN])
r.case("sigmoid(x)", torch.sigmoid, [INF, -INF, NAN])
r.case("sin(x)", torch.sin, [INF, -INF, NAN])
r.case("atan(x)", torch.atan, [INF, -INF, NAN])
r.case("erf(x)", torch.erf, [INF, -INF, NAN])
r.case("square(x)", torch.square, [INF, -INF, NAN])

r = row("nan_inf_reductions", "NaN and infinities through sum, mean, prod and norm")
r.case("sum(x)", torch.sum, [1.0, INF, -INF])
r.case("mean(x)", torch.mean, [1.0, NAN, 2.0])
r.case("norm(x)", torch.linalg.vector_norm, [INF, 1.0])
r.case("norm(x)", torch.linalg.vector_norm, [NAN, 1.0])
r.case("prod(x)", torch.prod, [INF, 2.0, 3.0])

r = row("norm_at_zero", "norm at the zero vector: gradient 0, not 0/0")
r.case("norm(x)", torch.linalg.vector_norm, [0.0, 0.0, 0.0])
r.case("norm(x)", torch.linalg.vector_norm, [0.0, -0.0])

r = row("mean_of_empty", "mean of an empty tensor: NaN, with an empty gradient")
r.case("mean(x)", torch.mean, [])

r = row("prod_zeros", "prod with zeros, and with a zero beside a NaN or an infinity")
r.case("prod(x)", torch.prod, [2.0, 0.0, 3.0])
r.case("prod(x)", torch.prod, [2.0, 0.0, 0.0])
r.case("prod(x)", torch.prod, [NAN, 0.0, 3.0])
r.case("prod(x)", torch.prod, [INF, 0.0, 3.0])
r.case("prod(x)", torch.prod, [2.0, 0.0, 3.0, NAN])
r.case("prod(x)", torch.prod, [NAN, 0.0, 0.0])

# Signed zero: values and gradients carry the sign IEEE arithmetic gives them.
r = row("signed_zero", "signed zeros in values and gradients")
r.case("-x", torch.neg, Z)
r.case("-(x * x)", lambda x: -(x * x), Z)
r.case("x * y", torch.mul, [1.0, -1.0, 0.0], [-0.0, 0.0, -0.0])
r.case("pow<2>(x)", lambda x: torch.pow(x, 2), Z)
r.case("sqrt(x)", torch.sqrt, Z)
r.case("1 / x", lambda x: 1 / x, Z)
r.case("x - x", lambda x: x - x, Z)
r.case("-x * 0", lambda x: -x * 0.0, [1.0, -1.0])

# The untaken branch of where. torch seeds the untaken branch with 0 and multiplies that by the
# branch's derivative: 0 * inf = NaN. xtad masks the whole chain below the branch; its value is
# what torch computes for the same program with the usual double-where rewrite.
WHY = "xtad: the untaken branch never poisons the gradient (torch: 0 * inf = NaN)"
r = row("where_untaken_branch", "where: the branch not taken never gives a NaN gradient")
r.case("where(x > 0, sqrt(x), 0)",
       lambda x: torch.where(x > 0, torch.sqrt(x), torch.zeros_like(x)), [-1.0, 0.0, 4.0],
       xtad_fn=lambda x: torch.where(x > 0, torch.sqrt(torch.where(x > 0, x, torch.ones_like(x))),
                                     torch.zeros_like(x)),
       deviation=WHY)
r.case("where(x > 0, log(x), 2 * x)",
       lambda x: torch.where(x > 0, torch.log(x), 2 * x), [-1.0, 0.0, 4.0],
       xtad_fn=lambda x: torch.where(x > 0, torch.log(torch.where(x > 0, x, torch.ones_like(x))),
                                     2 * x),
       deviation=WHY)
r.case("where(x != 0, 1 / x, 0)",
       lambda x: torch.where(x != 0, 1 / x, torch.zeros_like(x)), [0.0, 2.0],
       xtad_fn=lambda x: torch.where(x != 0, 1 / torch.where(x != 0, x, torch.ones_like(x)),
                                     torch.zeros_like(x)),
       deviation=WHY)
r.case("where(x > 0, x, y)", lambda x, y: torch.where(x > 0, x, y), [1.0, -1.0, NAN],
       [NAN, 2.0, 3.0])

# The elements a view does not read. torch's backward of a slice or a select scatters the
# gradient into zeros and multiplies those zeros by the derivatives below: 0 * inf = NaN. xtad
# keeps the gradient of an unread element an exact 0, as below the untaken branch of where; its
# value is what torch computes when the unread elements are replaced by 1 before the function.
WHY_VIEW = "xtad: an element a view does not read gets the gradient 0 (torch: 0 * inf = NaN)"
r = row("view_unread", "view: an element the view does not read has the gradient 0")
r.case("view(sqrt(x), 1)", lambda x: torch.sqrt(x)[1], [0.0, 4.0],
       xtad_fn=lambda x: torch.sqrt(torch.where(torch.arange(2) == 1, x, torch.ones_like(x)))[1],
       deviation=WHY_VIEW)
r.case("view(log(x), xt::range(1, _))", lambda x: torch.log(x)[1:], [0.0, 2.0, 4.0],
       xtad_fn=lambda x: torch.log(torch.where(torch.arange(3) >= 1, x, torch.ones_like(x)))[1:],
       deviation=WHY_VIEW)
r.case("sqrt(x)(1)", lambda x: torch.sqrt(x)[1], [0.0, 4.0],
       xtad_fn=lambda x: torch.sqrt(torch.where(torch.arange(2) == 1, x, torch.ones_like(x)))[1],
       deviation=WHY_VIEW)
r.case("diagonal(log(reshape(x, {2, 2})))", lambda x: torch.diagonal(torch.log(x.reshape(2, 2))),
       [1.0, 0.0, 0.0, 2.0],
       xtad_fn=lambda x: torch.diagonal(torch.log(torch.where(
           torch.tensor([True, False, False, True]), x, torch.ones_like(x)).reshape(2, 2))),
       deviation=WHY_VIEW)

# det at a singular matrix. torch 1.13's backward of det divides by it there and gives zeros;
# xtad's gradient is the cofactor matrix, which is what the determinant written out (Leibniz's
# formula, below) has as its gradient at every matrix, singular or not. The sign of det's zero
# comes from the order of LAPACK's pivots, and is not pinned.
WHY_DET = "xtad: det's gradient is the cofactor matrix also where det is 0 (torch 1.13: zeros)"


def det2(x):
    return x[0] * x[3] - x[1] * x[2]


def det3(x):
    return (x[0] * (x[4] * x[8] - x[5] * x[7]) - x[1] * (x[3] * x[8] - x[5] * x[6])
            + x[2] * (x[3] * x[7] - x[4] * x[6]))


r = row("det_singular", "det: the gradient at a singular matrix is the cofactor matrix",
        signed_zeros=False)
r.case("det(reshape(x, {2, 2}))", lambda x: torch.linalg.det(x.reshape(2, 2)), [1.0, 2.0, 2.0, 4.0],
       xtad_fn=det2, deviation=WHY_DET)
r.case("det(reshape(x, {3, 3}))", lambda x: torch.linalg.det(x.reshape(3, 3)),
       [2.0, 0.0, 1.0, 1.0, 3.0, 2.0, 3.0, 3.0, 3.0], xtad_fn=det3, deviation=WHY_DET)

# ---------------------------------------------------------------------------------------------
# Output.


def cxx_double(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v.hex()


def cxx_list(x):
    return "{" + ", ".join(cxx_double(v) for v in x.reshape(-1).tolist()) + "}"


def cxx_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render():
    lines = [
        "// Generated by scripts/gen_edge_refs.py from PyTorch %s; do not edit." % torch.__version__,
        "// Regenerate: /usr/bin/python3 scripts/gen_edge_refs.py   (Debian's python3-torch)",
        "//",
        "// One array per row of docs/edge_cases.md: for each case, the xtad program (op), its",
        "// number (param), the leaves x and y (1-d), torch's value, and torch.autograd.grad with a",
        "// seed of ones (gx, gy). Where xtad deliberately differs: xtad_value, xtad_gx and why.",
        "// Read by test/ops/edge_policy_test.cpp, which defines edge_case and edge_row.",
        "// clang-format off",
        "namespace edge_refs {",
        "",
        "inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();",
        "inline constexpr double inf = std::numeric_limits<double>::infinity();",
        "",
    ]
    total = 0
    for r in ROWS:
        lines.append("// %s (%d cases)" % (r.title, len(r.cases)))
        lines.append("inline constexpr edge_case %s_cases[] = {" % r.ident)
        for c in r.cases:
            total += 1
            f = ["{.op = %s" % cxx_string(c["op"])]
            if c["param"] is not None:
                f.append(".param = %s" % cxx_double(c["param"]))
            f.append(".x = %s" % cxx_list(c["inputs"][0]))
            if len(c["inputs"]) > 1:
                f.append(".y = %s" % cxx_list(c["inputs"][1]))
            f.append(".value = %s" % cxx_list(c["value"]))
            f.append(".gx = %s" % cxx_list(c["grads"][0]))
            if len(c["grads"]) > 1:
                f.append(".gy = %s" % cxx_list(c["grads"][1]))
            if c["xtad_grads"] is not None:
                assert len(c["xtad_grads"]) == 1, "xtad_gy: not needed yet"
                f.append(".xtad_value = %s" % cxx_list(c["xtad_value"]))
                f.append(".xtad_gx = %s" % cxx_list(c["xtad_grads"][0]))
                f.append(".deviation = %s" % cxx_string(c["deviation"]))
            lines.append("  " + ",\n   ".join(f) + "},")
        lines.append("};")
        lines.append("inline constexpr edge_row %s{.signed_zeros = %s, .cases = %s_cases};"
                     % (r.ident, "true" if r.signed_zeros else "false", r.ident))
        lines.append("")
    lines.append("}  // namespace edge_refs")
    lines.append("// clang-format on")
    return "\n".join(lines) + "\n", total


def show(x):
    return "[" + ", ".join("%g" % v if v != 0 else ("-0" if math.copysign(1, v) < 0 else "0")
                           for v in x.reshape(-1).tolist()) + "]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if %s is stale" % OUT.name)
    ap.add_argument("--print", action="store_true", help="print the cases, readably")
    args = ap.parse_args()
    text, total = render()
    if args.print:
        for r in ROWS:
            print("## %s: %s" % (r.ident, r.title))
            for c in r.cases:
                p = "" if c["param"] is None else " c=%g" % c["param"]
                ins = " ".join("%s=%s" % (n, show(v)) for n, v in zip("xy", c["inputs"]))
                gs = " ".join("g%s=%s" % (n, show(g)) for n, g in zip("xy", c["grads"]))
                extra = "" if c["xtad_grads"] is None else "  xtad: %s gx=%s" % (
                    show(c["xtad_value"]), show(c["xtad_grads"][0]))
                print("  %-28s%s %s -> %s  %s%s" % (c["op"], p, ins, show(c["value"]), gs, extra))
        return 0
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("%s is stale: run /usr/bin/python3 scripts/gen_edge_refs.py" % OUT,
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print("wrote %s: %d rows, %d cases" % (OUT.relative_to(REPO), len(ROWS), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
