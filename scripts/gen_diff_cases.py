#!/usr/bin/python3
"""Differential testing of xtad against PyTorch 1.13: random expression trees, checked both ways.

A case is one random, domain-safe expression tree over xtad's ops (+ - * / and negation, pow<N>,
pow with a number or an expression as exponent or base, square, sqrt, cbrt, exp, expm1, log,
log1p, log2, log10, the trigonometric and hyperbolic functions and their inverses, atan2, abs,
sign, sigmoid, erf, maximum, minimum, clamp, where with < <= > >=, sum/mean/prod/norm over all
elements and over axes, element access x(i, j), e(i, j) and index(e, i, j) (negative indices
too), reshape, flatten, stack, concatenate, and the tensor ops: matmul of matrices, vectors and
batches as torch.matmul, dot, outer, transpose with all axes reversed or permuted as given, view
with integer, xt::all(), xt::range and xt::newaxis() slices, diagonal with offsets of both signs
and axes of both signs, trace, and filter(e, mask) as torch's e[mask], the mask a constant boolean
tensor or a comparison) of one to three inputs x0, x1, x2 of shapes (), (3,), (2, 3),
(1, 3), (2, 1), broadcast against each other, checked at several random points. At each point
PyTorch computes in float64 the value, the gradient weighted by a seed (ones or random:
torch.autograd.grad with grad_outputs), the Jacobian wrt every input
(torch.autograd.functional.jacobian) and the Hessian of sum(tree) wrt x0
(torch.autograd.functional.hessian); the script writes doctest files in which xtad computes the
same (CHECKS below says which checks each tree gets). The points of one tree
share one compiled tree type: compiling a tree costs seconds, evaluating it at another point
nothing.

Run with Debian's system Python and its python3-torch (1.13):

    # the committed suite, test/diff/cases_NN.cpp and test/diff/meson.build (the defaults):
    /usr/bin/python3 scripts/gen_diff_cases.py
    # N more trees, generated, built and run in a temporary directory:
    tools/diff-test N
    # ... each featuring one of some ops only (names of FEATURES, or what comes before '('):
    tools/diff-test N --only 'diagonal,trace,filter,e(i)'
    # the smallest failing tree of a failing case (builds one case per try with g++; the failing
    # check prints this command with the case's options):
    /usr/bin/python3 scripts/gen_diff_cases.py --shrink CASE_SEED [--points P --max-nodes M ...]

A case is drawn from its own seed alone (case seed = 1000000 * seed + index, with the options that
shape trees), so a failure names the case seed and --shrink draws exactly that case again. Trees
are domain-safe by construction (log(u^2 + 1/2), u / (v^2 + 1/2), sqrt(u^2 + 1/4),
acos(0.9 tanh(u)), pow(u^2 + 1/2, v), ...), and a point is kept only if every kink is at least
1e-3 away (|u| for abs and sign, |u - v| for maximum, minimum and the comparison in where,
|u - bound| for clamp, atan2 off its branch cut), every domain boundary at least 1e-2 away, every
node's value at most 1e4 in magnitude, and every reference number finite and at most 1e8 in
magnitude. Numbers are written as exact hex-float literals.

filter's result has as many elements as its mask selects, and xtad counts them when the
expression is built: a filter node has a fixed count (part of its shape), a mask that compares
inputs is drawn only if it selects that many at a good share of random points, and a point is
kept only if it does there (every point of a case selects the same number, not always the same
elements).

A real exponent whose value is an integer (pow(u, 2.0), pow(u, -1.0)) takes a base of any sign, as
real code does (its derivative in the base is finite; forward mode must form no partial in the
constant exponent, whose x^y log x is NaN there). Every third point is snapped: the inputs are
drawn from the grid -1.5, -1, ..., 2 (exact in double, so that + - * of them are exact in torch and
xtad alike), and there maximum, minimum and clamp may sit exactly at a tie or a bound (where torch
splits the gradient half and half, or passes it at the bound) and a norm at exactly zero (gradient
0); every other kink keeps its distance.
"""
import argparse
import math
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

import torch

F64 = torch.float64
REPO = pathlib.Path(__file__).resolve().parent.parent

KINK = 1e-3  # the least distance from a kink at a drawn point
MAX_INTERMEDIATE = 1e4  # the largest magnitude of any node's value
MAX_REFERENCE = 1e8  # the largest magnitude of any reference number
PERTURB = None  # --perturb F: torch's F is made wrong by 1e-6, to see the tests and shrink fail


class Retry(Exception):
    """The tree or point drawn does not fit; draw again."""


# ---------------------------------------------------------------------------------------------
# Shapes


def size(s):
    return math.prod(s)


def bcast(a, b):
    """numpy's broadcast of two shapes, or None."""
    out = []
    for i in range(max(len(a), len(b))):
        x = a[len(a) - 1 - i] if i < len(a) else 1
        y = b[len(b) - 1 - i] if i < len(b) else 1
        if x != y and x != 1 and y != 1:
            return None
        out.append(max(x, y) if x != 1 and y != 1 else (x if y == 1 else y))
    return tuple(reversed(out))


def under(rng, s):
    """A random shape that broadcasts to s (s itself more often than not)."""
    r = rng.random()
    if r < 0.55 or not s:
        return s
    if r < 0.7:
        return ()
    if r < 0.85 and len(s) > 1:
        return s[rng.randrange(1, len(s)):]
    return tuple(1 if rng.random() < 0.5 else d for d in s)


# ---------------------------------------------------------------------------------------------
# Trees of primitive nodes. Every node has an op, kids and parameters; its shape follows.

UNARY_FUNCS = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
               "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt",
               "erf", "sigmoid", "abs", "sign", "square"]
TORCH_UNARY = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "asin": torch.asin,
    "acos": torch.acos, "atan": torch.atan, "sinh": torch.sinh, "cosh": torch.cosh,
    "tanh": torch.tanh, "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh,
    "exp": torch.exp, "expm1": torch.expm1, "log": torch.log, "log1p": torch.log1p,
    "log2": torch.log2, "log10": torch.log10, "sqrt": torch.sqrt,
    # torch 1.13 has no cbrt: the real cube root, differentiable away from 0
    "cbrt": lambda a: torch.sign(a) * torch.abs(a) ** (1.0 / 3.0),
    "erf": torch.erf, "sigmoid": torch.sigmoid, "abs": torch.abs, "sign": torch.sign,
    "square": torch.square, "neg": torch.neg,
}
CMP = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge}
BIN = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}


class Node:
    """op: 'leaf' (k), 'const' (value, is_int), 'un' (f), 'ipow' (n), 'bin' (sym), 'pow',
    'atan2', 'maximum', 'minimum', 'clamp' (lo, hi), 'cmp' (sym), 'where', 'red' (f, axes),
    'index' (idx, call: e(i) rather than index(e, i) where e is not a leaf), 'reshape' (to,
    flat), 'stack', 'concat' (axis), 'matmul' (f: matmul or dot), 'outer', 'permute' (axes: None
    for transpose(e), reversed), 'view' (slices: ('int', i), ('all',), ('range', start, stop,
    step) with None for an end or step left out, ('new',)), 'diagonal' (args: offset, dim1, dim2
    as written, those left out at their defaults 0, 0, 1), 'trace', 'filter' (count: the elements
    its mask selects; kids: the tensor and the mask, a 'cmp' or a 'bools'), 'bools' (shape, bits:
    a constant boolean tensor, in row-major order)."""

    def __init__(self, op, kids=(), **p):
        self.op, self.kids, self.p = op, list(kids), p
        self.shape = shape_of(self)

    def copy(self):
        n = Node.__new__(Node)
        n.op, n.kids, n.p, n.shape = self.op, [k.copy() for k in self.kids], dict(self.p), self.shape
        return n

    def nodes(self):
        yield self
        for k in self.kids:
            yield from k.nodes()

    def count(self):
        return sum(1 for n in self.nodes() if n.op not in ("leaf", "const", "bools"))


def shape_of(n):
    k = [c.shape for c in n.kids]
    op, p = n.op, n.p
    if op == "leaf":
        return p["shape"]
    if op == "const":
        return ()
    if op == "bools":
        return p["shape"]
    if op in ("un", "ipow", "clamp"):
        return k[0]
    if op in ("bin", "pow", "atan2", "maximum", "minimum", "cmp"):
        s = bcast(k[0], k[1])
        if s is None:
            raise Retry
        return s
    if op == "where":
        s = bcast(k[0], bcast(k[1], k[2]) or (99,))
        if s is None or bcast(k[1], k[2]) is None:
            raise Retry
        return s
    if op == "red":
        if p["axes"] is None:
            return ()
        r = len(k[0])
        ax = {a % r for a in p["axes"]}
        return tuple(d for i, d in enumerate(k[0]) if i not in ax)
    if op == "index":
        return ()
    if op == "reshape":
        return tuple(p["to"])
    if op == "stack":
        return (len(k),) + k[0]
    if op == "concat":
        s = list(k[0])
        s[p["axis"]] = sum(c[p["axis"]] for c in k)
        return tuple(s)
    if op == "matmul":  # torch.matmul's: a vector operand's axis is dropped; batches broadcast
        a, b = k
        if len(a) == 1 and len(b) == 1:
            return ()
        if len(a) == 1:
            return b[:-2] + b[-1:]
        if len(b) == 1:
            return a[:-1]
        s = bcast(a[:-2], b[:-2])
        if s is None:
            raise Retry
        return s + (a[-2], b[-1])
    if op == "outer":
        return (k[0][0], k[1][0])
    if op == "permute":
        return tuple(k[0][a % len(k[0])] for a in perm_of(n))
    if op == "view":
        return view_shape(k[0], p["slices"])
    if op == "diagonal":
        s = diagonal_shape(k[0], *diagonal_args(n))
        if s is None:
            raise Retry
        return s
    if op == "trace":  # torch.trace: a matrix's, square or not
        if len(k[0]) != 2:
            raise Retry
        return ()
    if op == "filter":  # torch's e[mask], the mask of e's shape: as many elements as it selects
        if k[0] != k[1] or not k[0]:
            raise Retry
        return (p["count"],)
    raise AssertionError(op)


def diagonal_args(n):
    """offset, dim1, dim2 of a 'diagonal' node (xtad's defaults where not written)."""
    return tuple(n.p["args"]) + (0, 0, 1)[len(n.p["args"]):]


def diagonal_shape(t, offset, dim1, dim2):
    """torch.diagonal's shape rule: t's axes but dim1 and dim2 (negative from the end), then the
    diagonal's length; None where they are not two axes of t or the diagonal is empty."""
    r = len(t)
    if r < 2 or not -r <= dim1 < r or not -r <= dim2 < r or dim1 % r == dim2 % r:
        return None
    n1, n2 = t[dim1 % r], t[dim2 % r]
    length = min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2)
    if length <= 0:
        return None
    return tuple(d for i, d in enumerate(t) if i not in (dim1 % r, dim2 % r)) + (length,)


def perm_of(n):
    """The axes of a 'permute' node, reversed where transpose(e) has none."""
    r = len(n.kids[0].shape)
    return list(range(r - 1, -1, -1)) if n.p["axes"] is None else n.p["axes"]


def view_shape(t, slices):
    """The shape of a tensor of shape t sliced by `slices` (the axes not named kept whole)."""
    out, d = [], 0
    for sl in slices:
        if sl[0] == "new":
            out.append(1)
            continue
        n, d = t[d], d + 1
        if sl[0] == "all":
            out.append(n)
        elif sl[0] == "range":
            out.append(len(range(n)[slice(*sl[1:])]))
    return tuple(out) + tuple(t[d:])


def torch_slices(slices):
    return tuple(sl[1] if sl[0] == "int" else None if sl[0] == "new" else
                 slice(None) if sl[0] == "all" else slice(*sl[1:]) for sl in slices)


def cpp_slice(sl):
    if sl[0] == "int":
        return str(sl[1])
    if sl[0] == "all":
        return "xt::all()"
    if sl[0] == "new":
        return "xt::newaxis()"
    ends = ["_" if v is None else str(v) for v in sl[1:3]]
    return "xt::range(%s)" % ", ".join(ends + ([] if sl[3] is None else [str(sl[3])]))


def cpp_bools(shape, bits):
    """A constant boolean tensor: xt::xarray<bool> of nested braces (rank 1 or more). Where the
    last axis has size 1, {{true}, {false}} would be as much a vector (of {true} and {false}) as
    a matrix: the braces are given their rank."""
    def nest(s, b):
        if len(s) == 1:
            return "{%s}" % ", ".join("true" if x else "false" for x in b)
        step = len(b) // s[0]
        return "{%s}" % ", ".join(nest(s[1:], b[i * step:(i + 1) * step]) for i in range(s[0]))
    if len(shape) >= 2 and shape[-1] == 1:
        return "xt::xarray<bool>(xt::nested_initializer_list_t<bool, %d>%s)" % (
            len(shape), nest(shape, bits))
    return "xt::xarray<bool>" + nest(shape, bits)


def fmt_num(v, is_int=False):
    if is_int:
        return str(int(v))
    s = repr(float(v))
    return "(" + s + ")" if v < 0 else s


def cpp_of(n, kid):
    """The C++ text of node n, its kids already written as `kid` (a list of strings)."""
    op, p = n.op, n.p
    if op == "leaf":
        return "x%d" % p["k"]
    if op == "const":
        return fmt_num(p["value"], p["is_int"])
    if op == "bools":
        return cpp_bools(p["shape"], p["bits"])
    if op == "un":
        if p["f"] == "neg":  # -(-x), not --x
            return "-" + kid[0] if not kid[0].startswith("-") else "-(%s)" % kid[0]
        return "%s(%s)" % (p["f"], kid[0])
    if op == "ipow":
        return "pow<%d>(%s)" % (p["n"], kid[0])
    if op == "bin":
        return "(%s %s %s)" % (kid[0], p["sym"], kid[1])
    if op == "cmp":
        return "(%s %s %s)" % (kid[0], p["sym"], kid[1])
    if op in ("pow", "atan2", "maximum", "minimum"):
        return "%s(%s, %s)" % (op, kid[0], kid[1])
    if op == "clamp":
        return "clamp(%s, %s, %s)" % (kid[0], fmt_num(p["lo"]), fmt_num(p["hi"]))
    if op == "where":
        return "where(%s, %s, %s)" % (kid[0], kid[1], kid[2])
    if op == "red":
        if p["axes"] is None:
            return "%s(%s)" % (p["f"], kid[0])
        return "%s(%s, {%s})" % (p["f"], kid[0], ", ".join(map(str, p["axes"])))
    if op == "index":
        idx = ", ".join(map(str, p["idx"]))
        if n.kids[0].op == "leaf":
            return "%s(%s)" % (kid[0], idx)
        if p["call"]:  # e(i, j) on the expression itself; -e(i) would be -(e(i))
            return ("(%s)(%s)" if kid[0].startswith("-") else "%s(%s)") % (kid[0], idx)
        return "xtad::index(%s, %s)" % (kid[0], idx)
    if op == "reshape":
        if p["flat"]:
            return "flatten(%s)" % kid[0]
        return "reshape(%s, {%s})" % (kid[0], ", ".join(map(str, p["to"])))
    if op == "stack":
        return "stack(%s)" % ", ".join(kid)
    if op == "concat":
        return "concatenate(%d, %s)" % (p["axis"], ", ".join(kid))
    if op == "matmul":
        return "xtad::%s(%s, %s)" % (p["f"], kid[0], kid[1])
    if op == "outer":
        return "xtad::outer(%s, %s)" % (kid[0], kid[1])
    if op == "permute":
        if p["axes"] is None:
            return "xtad::transpose(%s)" % kid[0]
        return "xtad::transpose(%s, {%s})" % (kid[0], ", ".join(map(str, p["axes"])))
    if op == "view":
        return "xtad::view(%s, %s)" % (kid[0], ", ".join(map(cpp_slice, p["slices"])))
    if op == "diagonal":  # a negative axis converts to std::size_t, and xtad reads it as signed
        return "xtad::diagonal(%s)" % ", ".join(kid[:1] + [str(a) for a in p["args"]])
    if op == "trace":
        return "xtad::trace(%s)" % kid[0]
    if op == "filter":  # qualified: a mask of xt::xarray<bool> brings in xt::filter
        return "xtad::filter(%s, %s)" % (kid[0], kid[1])
    raise AssertionError(op)


def cpp_nested(n):
    return cpp_of(n, [cpp_nested(k) for k in n.kids])


def cpp_chain(n, lines, counter):
    """Appends `auto tK = ...;` for every inner node of n (post-order); returns n's name."""
    if n.op in ("leaf", "const", "bools"):
        return cpp_of(n, [])
    kid = [cpp_chain(k, lines, counter) for k in n.kids]
    name = "t%d" % counter[0]
    counter[0] += 1
    lines.append("auto %s = %s;" % (name, cpp_of(n, kid)))
    return name


class Stats:
    def __init__(self, ties=False):
        self.margin = math.inf  # the least distance from a kink or a domain boundary
        self.big = 0.0  # the largest magnitude of any node's value
        self.ties = ties  # a snapped point: exact ties and zeros allowed where torch defines them

    def need(self, t, at_least):
        """t (a tensor of distances) must be >= at_least everywhere."""
        if t.numel():
            self.margin = min(self.margin, float(torch.min(t)) / at_least)

    def need_or_tie(self, t, at_least):
        """As need, but at a snapped point a distance of exactly 0 (a tie) is allowed too."""
        t = torch.as_tensor(t, dtype=F64)
        if self.ties:
            t = torch.where(t == 0, torch.full_like(t, math.inf), t)
        self.need(t, at_least)


def ev(n, xs, st=None):
    """Evaluates the tree in torch on the inputs xs; with st, records kinks and magnitudes."""
    op, p = n.op, n.p
    if op == "leaf":
        return xs[p["k"]]
    if op == "const":
        return p["value"]
    if op == "bools":
        return torch.tensor(p["bits"], dtype=torch.bool).reshape(p["shape"])
    k = [ev(c, xs, st) for c in n.kids]
    if op == "un":
        f = p["f"]
        a = k[0]
        if st is not None:
            if f in ("abs", "sign"):
                st.need(a.abs(), KINK)
            elif f == "cbrt":
                st.need(a.abs(), 0.05)
            elif f in ("log", "log2", "log10", "sqrt"):
                st.need(a, 0.01)
            elif f == "log1p":
                st.need(a + 1, 0.01)
            elif f in ("asin", "acos", "atanh"):
                st.need(0.96 - a.abs(), 0.01)
            elif f == "acosh":
                st.need(a - 1.04, 0.01)
            elif f == "tan":
                st.need(torch.cos(a).abs(), 0.05)
        r = TORCH_UNARY[f](a)
        if f == PERTURB:
            r = r * (1 + 1e-6)
    elif op == "ipow":
        if st is not None and p["n"] < 0:
            st.need(k[0].abs(), 0.01)
        r = k[0] ** p["n"]
    elif op == "bin":
        if st is not None and p["sym"] == "/":
            st.need(torch.as_tensor(k[1], dtype=F64).abs(), 0.01)
        r = BIN[p["sym"]](k[0], k[1]) if torch.is_tensor(k[0]) else BIN[p["sym"]](
            torch.as_tensor(k[0], dtype=F64), k[1])
    elif op == "pow":
        base, e = k
        if st is not None and torch.is_tensor(base):
            if isinstance(e, float) and e == int(e):
                # an integer-valued real exponent: a base of any sign, nonzero for e < 0
                if e < 0:
                    st.need(base.abs(), 0.01)
            else:
                st.need(base, 0.01)
        if not torch.is_tensor(base):
            r = torch.pow(base, e)
        else:
            r = torch.pow(base, e)
    elif op == "atan2":
        if st is not None:
            st.need(k[0] ** 2 + k[1] ** 2, 1e-2)
            st.need(torch.where(k[1] < 0, k[0].abs(), torch.ones_like(k[0])), KINK)
        r = torch.atan2(k[0], k[1])
    elif op in ("maximum", "minimum"):
        if st is not None:
            st.need_or_tie((k[0] - k[1]).abs(), KINK)
        r = getattr(torch, op)(k[0], k[1])
    elif op == "clamp":
        if st is not None:
            st.need_or_tie((k[0] - p["lo"]).abs(), KINK)
            st.need_or_tie((k[0] - p["hi"]).abs(), KINK)
        r = torch.clamp(k[0], p["lo"], p["hi"])
    elif op == "cmp":
        if st is not None:
            st.need(torch.as_tensor(k[0] - k[1]).abs(), KINK)
        return CMP[p["sym"]](k[0], k[1])
    elif op == "where":
        r = torch.where(k[0], k[1], k[2])
    elif op == "red":
        a, f, axes = k[0], p["f"], p["axes"]
        if f == "sum":
            r = torch.sum(a) if axes is None else torch.sum(a, dim=tuple(axes))
        elif f == "mean":
            r = torch.mean(a) if axes is None else torch.mean(a, dim=tuple(axes))
        elif f == "prod":
            if axes is None:
                r = torch.prod(a)
            else:
                r = a
                for ax in sorted((x % a.dim() for x in axes), reverse=True):
                    r = torch.prod(r, dim=ax)
        else:
            r = torch.linalg.vector_norm(a) if axes is None else torch.linalg.vector_norm(
                a, dim=tuple(axes))
            if st is not None:
                st.need_or_tie(r, 0.05)
    elif op == "index":
        r = k[0][tuple(p["idx"])]
    elif op == "reshape":
        r = torch.flatten(k[0]) if p["flat"] else torch.reshape(k[0], tuple(p["to"]))
    elif op == "stack":
        r = torch.stack(k)
    elif op == "concat":
        r = torch.cat(k, dim=p["axis"])
    elif op == "matmul":
        r = torch.matmul(k[0], k[1]) if p["f"] == "matmul" else torch.dot(k[0], k[1])
    elif op == "outer":
        r = torch.outer(k[0], k[1])
    elif op == "permute":
        r = k[0].permute(*[a % k[0].dim() for a in perm_of(n)])
    elif op == "view":
        r = k[0][torch_slices(p["slices"])]
    elif op == "diagonal":
        offset, dim1, dim2 = diagonal_args(n)
        r = torch.diagonal(k[0], offset, dim1, dim2)
    elif op == "trace":
        r = torch.trace(k[0])
    elif op == "filter":
        selected = int(torch.sum(k[1]))
        if selected != p["count"]:
            # xtad counted the mask when the tree was built: this point does not fit the case
            if st is None:
                raise AssertionError("filter: %d selected, not %d" % (selected, p["count"]))
            raise RuntimeError("filter: the mask selects another number of elements here")
        r = k[0][k[1]]
    else:
        raise AssertionError(op)
    if st is not None and torch.is_tensor(r) and r.numel():
        st.big = max(st.big, float(torch.max(torch.abs(r))))
    return r


# ---------------------------------------------------------------------------------------------
# Drawing a tree: produce(S, d) returns a tree of shape S and depth about d.

SCENARIOS = [
    [()], [(3,)], [(2, 3)], [(1, 3)],
    [(), ()], [(3,), (3,)], [(2, 3), (2, 3)], [(2, 3), (3,)], [(3,), (2, 3)], [(1, 3), (2, 1)],
    [(), (2, 3)], [(3,), ()],
    [(), (), ()], [(3,), (3,), (3,)], [(2, 3), (3,), ()], [(1, 3), (2, 1), (2, 3)],
    [(2, 3), (2, 3), (3,)], [(3,), (), (3,)],
]
RESHAPES = {1: [(), (1,), (1, 1)], 2: [(2,), (2, 1), (1, 2)], 3: [(3,), (1, 3), (3, 1)],
            4: [(4,), (2, 2)], 6: [(6,), (2, 3), (3, 2)], 9: [(9,), (3, 3)], 12: [(12,), (2, 6), (4, 3)],
            18: [(18,), (3, 6), (2, 9)]}
CONSTS = [0.5, 0.25, 1.5, -0.75, 2.0, -1.25, 0.125, 3.0]


class Drawer:
    def __init__(self, rng, shapes, max_nodes, feature=None):
        self.rng, self.shapes, self.max_nodes = rng, shapes, max_nodes
        self.budget = 60
        self.used = [0] * len(shapes)
        self.feature = feature  # the name of the featured op, or None

    def const(self):
        r = self.rng
        if r.random() < 0.25:
            return Node("const", value=r.choice([2, 3, -1, 4]), is_int=True)
        return Node("const", value=r.choice(CONSTS), is_int=False)

    def leaf(self, s):
        ks = [k for k, t in enumerate(self.shapes) if t == s]
        if not ks:
            return None
        k = min(ks, key=lambda k: (self.used[k], self.rng.random()))
        self.used[k] += 1
        return Node("leaf", k=k, shape=s)

    def produce(self, s, d):
        self.budget -= 1
        if self.budget < 0:
            raise Retry
        r = self.rng
        if d <= 0 or r.random() < (0.1 if d >= 3 else 0.25):
            lf = self.leaf(s)
            if lf is not None:
                return lf
        if d < -2:
            raise Retry
        cats = [("unary", 40), ("binary", 30), ("where", 5), ("reduce", 8)]
        if d <= 0:
            cats = [("binary", 10), ("reduce", 10)]
        if s == ():
            cats.append(("index", 8 if d > 0 else 20))
        if size(s) in RESHAPES:
            cats.append(("reshape", 4 if d > 0 else 10))
        if s and s[0] in (2, 3) and len(s) <= 3:
            cats.append(("stack", 4 if d > 0 else 10))
        if s and max(s) >= 2:
            cats.append(("concat", 8 if d > 0 else 10))
        # The tensor ops are drawn seldom: a tree with one costs about twice the compile time of
        # another, and each is featured anyway (FEATURES).
        if len(s) <= 3 and size(s) <= 6:
            cats.append(("product", 2 if d > 0 else 4))
        if len(s) >= 2 or (s and r.random() < 0.2):
            cats.append(("transpose", 1 if d > 0 else 3))
        if len(s) <= 3 and size(s) <= 12:
            cats.append(("view", 2 if d > 0 else 4))
        if 1 <= len(s) <= 2 and size(s) <= 6:
            cats.append(("diagonal", 1 if d > 0 else 3))
        if s == ():
            cats.append(("trace", 1 if d > 0 else 3))
        if len(s) == 1 and s[0] <= 6:
            cats.append(("filter", 1 if d > 0 else 3))
        if self.feature in FAVOURED:  # an op that too few trees would have otherwise
            cats = [(c, w * 10 if c == FAVOURED[self.feature] else w) for c, w in cats]
        cat = r.choices([c for c, _ in cats], [w for _, w in cats])[0]
        return getattr(self, "make_" + cat)(s, d - 1)

    # -- unary: one kid of the same shape, made domain-safe where the function needs it
    def make_unary(self, s, d):
        r = self.rng
        a = self.produce(s, d)
        f = r.choice(UNARY_FUNCS + ["neg", "ipow", "ipow", "rpow", "cpow", "clamp"])
        half = lambda a, c=0.5: Node("bin", [Node("ipow", [a], n=2), Node("const", value=c, is_int=False)],
                                     sym="+")
        squash = lambda a, c: Node("bin", [Node("un", [a], f="tanh"), Node("const", value=c, is_int=False)],
                                   sym="*")
        if f in ("log", "log2", "log10"):
            return Node("un", [half(a, r.choice([0.5, 0.25, 1.0]))], f=f)
        if f == "sqrt":
            return Node("un", [half(a, r.choice([0.25, 0.5]))], f=f)
        if f == "log1p":
            return Node("un", [Node("ipow", [a], n=2)], f=f)
        if f in ("asin", "acos", "atanh"):
            return Node("un", [squash(a, 0.9)], f=f)
        if f == "tan":
            return Node("un", [squash(a, 1.25)], f=f)
        if f == "acosh":
            return Node("un", [half(a, 1.25)], f=f)
        if f == "ipow":
            n = r.choice([2, 3, 4, -1, -2, -3])
            return Node("ipow", [a if n > 0 else half(a)], n=n)
        if f == "rpow":
            c = r.choice([0.5, 1.5, -0.5, 2.5, -1.5, 2.0, 3.0, 4.0, -1.0, -2.0])
            base = a if c == int(c) else half(a)
            return Node("pow", [base, Node("const", value=c, is_int=False)])
        if f == "cpow":
            return Node("pow", [Node("const", value=r.choice([0.5, 2.0, 3.0]), is_int=False), a])
        if f == "clamp":
            lo, hi = r.choice([(-0.5, 0.5), (-1.0, 0.25), (0.0, 1.0), (-0.25, 2.0)])
            return Node("clamp", [a], lo=lo, hi=hi)
        return Node("un", [a], f=f)

    def kid_shapes(self, s):
        r = self.rng
        if len(s) == 2 and s[0] > 1 and s[1] > 1 and r.random() < 0.2:
            a, b = (1, s[1]), (s[0], 1)
        else:
            a, b = s, under(r, s)
        return (a, b) if r.random() < 0.5 else (b, a)

    # -- binary: kids whose shapes broadcast to s, or a kid and a number
    def make_binary(self, s, d):
        r = self.rng
        f = r.choices(["+", "-", "*", "/", "num", "atan2", "maximum", "minimum", "pow"],
                      [12, 10, 12, 8, 10, 4, 4, 4, 3])[0]
        if f == "num":
            a = self.produce(s, d)
            sym = r.choice(["+", "-", "*", "/", "/"])
            c = self.const()
            if sym == "/":
                if r.random() < 0.5:
                    return Node("bin", [a, Node("const", value=r.choice([2.0, -4.0, 0.5, 3]),
                                                is_int=False)], sym="/")
                den = Node("bin", [Node("ipow", [a], n=2), Node("const", value=0.5, is_int=False)],
                           sym="+")
                return Node("bin", [c, den], sym="/")
            return Node("bin", [a, c] if r.random() < 0.5 else [c, a], sym=sym)
        sa, sb = self.kid_shapes(s)
        a, b = self.produce(sa, d), self.produce(sb, d)
        if f == "/":
            den = Node("bin", [Node("ipow", [b], n=2), Node("const", value=0.5, is_int=False)],
                       sym="+")
            return Node("bin", [a, den], sym="/")
        if f == "pow":
            base = Node("bin", [Node("ipow", [a], n=2), Node("const", value=0.5, is_int=False)],
                        sym="+")
            return Node("pow", [base, b])
        if f in ("atan2", "maximum", "minimum"):
            return Node(f, [a, b])
        return Node("bin", [a, b], sym=f)

    def make_where(self, s, d):
        r = self.rng
        sa, sb = self.kid_shapes(s)
        c1 = self.produce(under(r, s), d - 1)
        c2 = self.const() if r.random() < 0.4 else self.produce(under(r, s), d - 1)
        cond = Node("cmp", [c1, c2], sym=r.choice(list(CMP)))
        return Node("where", [cond, self.produce(sa, d), self.produce(sb, d)])

    def make_reduce(self, s, d):
        r = self.rng
        f = r.choices(["sum", "mean", "prod", "norm"], [4, 3, 2, 2])[0]
        if s == ():
            cands = [t for t in self.shapes if t]
            t = r.choice(cands) if cands and r.random() < 0.7 else r.choice([(3,), (2, 3), (2,)])
            axes = None
            if r.random() < 0.3:
                axes = list(range(len(t)))
                if r.random() < 0.5:
                    axes = [a - len(t) for a in axes]
            return Node("red", [self.produce(t, d)], f=f, axes=axes)
        if len(s) >= 3:
            raise Retry
        cands = [(t, i) for t in self.shapes if len(t) == len(s) + 1
                 for i in range(len(t)) if t[:i] + t[i + 1:] == s]
        if cands and r.random() < 0.7:
            t, i = r.choice(cands)
        else:
            i = r.randrange(len(s) + 1)
            t = s[:i] + (r.choice([2, 3]),) + s[i:]
        ax = i - len(t) if r.random() < 0.3 else i
        return Node("red", [self.produce(t, d)], f=f, axes=[ax])

    # -- element access: x(i, j) on a leaf, e(i, j) or index(e, i, j) on another expression; an
    # index negative from the end as often as not
    def make_index(self, s, d):
        r = self.rng
        cands = [t for t in self.shapes if t]
        t = r.choice(cands) if cands and r.random() < 0.8 else r.choice([(3,), (2, 3)])
        return Node("index", [self.produce(t, d)], idx=[r.randrange(-n, n) for n in t],
                    call=r.random() < 0.5)

    def make_reshape(self, s, d):
        r = self.rng
        cands = [t for t in RESHAPES[size(s)] if t != s]
        inputs = [t for t in cands if t in self.shapes]
        t = r.choice(inputs) if inputs and r.random() < 0.7 else r.choice(cands)
        flat = len(s) == 1 and r.random() < 0.5
        return Node("reshape", [self.produce(t, d)], to=list(s) if not flat else [-1], flat=flat)

    def make_stack(self, s, d):
        return Node("stack", [self.produce(s[1:], d) for _ in range(s[0])])

    def make_concat(self, s, d):
        r = self.rng
        axis = r.choice([i for i, n in enumerate(s) if n >= 2])
        n = s[axis]
        cut = r.randrange(1, n)
        parts = [cut, n - cut]
        kids = [self.produce(s[:axis] + (m,) + s[axis + 1:], d) for m in parts]
        return Node("concat", kids, axis=axis)

    # -- products: matmul of matrices, vectors (as torch.matmul reads them) and batches, dot and
    # outer; the inner size k preferably one that makes an operand an input's shape
    def make_product(self, s, d):
        r = self.rng
        if s == ():
            forms = [lambda k: ((k,), (k,))]
        elif len(s) == 1:
            n = s[0]
            forms = [lambda k: ((n, k), (k,)), lambda k: ((k,), (k, n))]
        elif len(s) == 2:
            m, n = s
            if r.random() < 0.25:
                return Node("outer", [self.produce((m,), d), self.produce((n,), d)])
            forms = [lambda k: ((m, k), (k, n))]
        else:
            b, m, n = s
            forms = [lambda k: ((b, m, k), (b, k, n)), lambda k: ((b, m, k), (k, n)),
                     lambda k: ((m, k), (b, k, n)), lambda k: ((1, m, k), (b, k, n))]
        form = r.choice(forms)
        ks = [k for k in (1, 2, 3) if any(t in self.shapes for t in form(k))]
        k = r.choice(ks) if ks and r.random() < 0.7 else r.choice([1, 2, 2, 3, 3])
        sa, sb = form(k)
        f = "dot" if s == () and r.random() < 0.5 else "matmul"
        return Node("matmul", [self.produce(sa, d), self.produce(sb, d)], f=f)

    # -- transpose: all axes reversed, or permuted (negative axes too)
    def make_transpose(self, s, d):
        r = self.rng
        n = len(s)
        perms = []
        for _ in range(6):
            perm = list(range(n))
            r.shuffle(perm)
            perms.append(perm)
        perms.append(list(range(n - 1, -1, -1)))

        def kid(perm):
            t = [0] * n
            for i, a in enumerate(perm):
                t[a] = s[i]
            return tuple(t)
        inputs = [q for q in perms if kid(q) in self.shapes]
        perm = r.choice(inputs) if inputs and r.random() < 0.7 else r.choice(perms)
        if perm == list(range(n - 1, -1, -1)) and r.random() < 0.6:
            axes = None
        else:
            axes = [a - n if r.random() < 0.3 else a for a in perm]
        return Node("permute", [self.produce(kid(perm), d)], axes=axes)

    # -- view: a kid shape sliced to s, an input's shape where random slices of it give s
    def make_view(self, s, d):
        r = self.rng
        cands = [t for t in dict.fromkeys(self.shapes) if t]
        r.shuffle(cands)
        if r.random() < 0.3:
            cands = []
        for t in cands:
            for _ in range(12):
                sl = self.slices_of(t)
                if view_shape(t, sl) == s:
                    return Node("view", [self.produce(t, d)], slices=sl)
        t, sl = self.slices_to(s)
        return Node("view", [self.produce(t, d)], slices=sl)

    def range_of(self, n, count=None):
        """A ('range', start, stop, step) over an axis of size n reading `count` elements (any
        number but 0 where None); ends written from the front, from the back or left open."""
        r = self.rng
        while True:
            step = r.choice([1, 1, 1, 2])
            start = r.randrange(n)
            stop = r.randrange(start + 1, n + 1)
            if count is not None:
                if (count - 1) * step + 1 > n:
                    continue
                start = r.randrange(n - (count - 1) * step)
                stop = r.randrange(start + (count - 1) * step + 1, min(n, start + count * step) + 1)
            a = r.choice([None, 0, -n]) if start == 0 else r.choice([start, start - n])
            b = r.choice([None, n]) if stop == n else r.choice([stop, stop - n])
            sl = ("range", a, b, step if step > 1 or r.random() < 0.2 else None)
            if sl[1:] != (None, None, None):
                assert count is None or len(range(n)[slice(*sl[1:])]) == count
                return sl

    def slices_of(self, t):
        """Random slices of a tensor of shape t."""
        r = self.rng
        sl = []
        for n in t:
            u = r.random()
            if u < 0.3:
                sl.append(("int", r.randrange(-n, n)))
            elif u < 0.55:
                sl.append(("all",))
            else:
                sl.append(self.range_of(n))
        if r.random() < 0.15:
            sl.insert(r.randrange(len(sl) + 1), ("new",))
        while len(sl) > 1 and sl[-1] == ("all",) and r.random() < 0.5:
            sl.pop()  # the axes not named are kept whole
        return sl

    def slices_to(self, s):
        """A kid shape and slices of it that give shape s."""
        r = self.rng
        t, sl = [], []
        for n in list(s) + [None]:
            if r.random() < (0.25 if n is not None else 0.5 if s else 1):
                m = r.choice([2, 3])
                t.append(m)
                sl.append(("int", r.randrange(-m, m)))
            if n is None:
                break
            u = r.random()
            if n == 1 and u < 0.3:
                sl.append(("new",))
            elif u < 0.6:
                m = r.choice([n, n + 1, n + 2] if n < 3 else [n, n + 1])
                t.append(m)
                sl.append(self.range_of(m, n) if m > n or r.random() < 0.3 else ("all",))
            else:
                t.append(n)
                sl.append(("all",))
        if len(t) > 3 or len(t) == 0:
            raise Retry
        while len(sl) > 1 and sl[-1] == ("all",) and r.random() < 0.5:
            sl.pop()
        return tuple(t), sl

    # -- diagonal: a kid shape whose diagonal over some two axes, at some offset, has shape s (an
    # input's shape where one does); axes written negative from the end now and then, and the
    # trailing arguments left out where they are the defaults
    def make_diagonal(self, s, d):
        r = self.rng
        n = len(s) + 1
        kids = [t for t in dict.fromkeys(self.shapes) if len(t) == n]
        if r.random() < 0.3:
            kids = []
        kids += [t for t in DIAGONAL_KIDS if len(t) == n and t not in kids]
        forms = [(t, o, a, b) for t in kids for o in range(-3, 4) for a in range(n)
                 for b in range(n) if diagonal_shape(t, o, a, b) == s]
        if not forms:
            raise Retry
        inputs = [f for f in forms if f[0] in self.shapes]
        t, offset, dim1, dim2 = r.choice(inputs if inputs and r.random() < 0.7 else forms)
        dim1, dim2 = (a - n if r.random() < 0.4 else a for a in (dim1, dim2))
        args = [offset, dim1, dim2]
        while args and args[-1] == (0, 0, 1)[len(args) - 1] and r.random() < 0.6:
            args.pop()
        return Node("diagonal", [self.produce(t, d)], args=args)

    def make_trace(self, s, d):
        r = self.rng
        cands = [t for t in self.shapes if len(t) == 2]
        t = r.choice(cands) if cands and r.random() < 0.7 else r.choice(
            [(2, 2), (3, 3), (2, 3), (3, 2), (1, 3)])
        return Node("trace", [self.produce(t, d)])

    # -- filter(e, mask) to shape (m,): e of a shape of at least m elements; the mask a constant
    # boolean tensor that selects m of them, or a comparison of expressions (of the inputs) that
    # selects m at a good share of random points (the points drawn are kept only where it does)
    def make_filter(self, s, d):
        r = self.rng
        m = s[0]
        # mostly a mask that leaves some elements out
        low = m if r.random() < 0.1 else m + 1
        cands = [t for t in dict.fromkeys(self.shapes) if t and size(t) >= low]
        t = r.choice(cands) if cands and r.random() < 0.7 else r.choice(
            [t for t in FILTER_KIDS if size(t) >= low])
        a = self.produce(t, d)
        if m < size(t) and r.random() < (0.9 if self.feature == "filter(e, a < b)" else 0.5):
            # The mask reads the inputs used most so far (an input read by a mask only is not
            # differentiated), and counts as no use of them.
            used, self.used = self.used, [-u for u in self.used]
            c1 = self.produce(t, min(d, 1) - 1)
            # c1 against a number (one that selects m often enough) or an expression
            c2s = [Node("const", value=v, is_int=False) for v in MASK_CONSTS] \
                if r.random() < 0.6 else [self.produce(under(r, t), min(d, 1) - 1)]
            self.used = used
            sym = r.choice(list(CMP))
            shares = self.shares_selecting(c1, c2s, sym, m)
            fits = [c2 for c2, share in zip(c2s, shares) if share >= 0.3]
            if fits:
                return Node("filter", [a, Node("cmp", [c1, r.choice(fits)], sym=sym)], count=m)
        bits = [True] * m + [False] * (size(t) - m)
        r.shuffle(bits)
        return Node("filter", [a, Node("bools", shape=t, bits=bits)], count=m)

    def shares_selecting(self, c1, c2s, sym, m, tries=40):
        """For each c2 of c2s, the share of random points at which the mask `c1 sym c2` selects m
        elements, away from its ties and from c1's kinks."""
        hits = [0] * len(c2s)
        for _ in range(tries):
            xs = [torch.tensor([self.rng.uniform(-1.5, 1.5) for _ in range(size(t))],
                               dtype=F64).reshape(t) for t in self.shapes]
            try:
                with torch.no_grad():
                    st = Stats()
                    u = ev(c1, xs, st)
                    if st.margin < 1:
                        continue
                    for j, c2 in enumerate(c2s):
                        st = Stats()
                        v = ev(c2, xs, st)
                        st.need(torch.as_tensor(u - v).abs(), KINK)
                        hits[j] += int(torch.sum(CMP[sym](u, v))) == m and st.margin >= 1
            except RuntimeError:
                continue
        return [h / tries for h in hits]


# The category a featured op is drawn from where trees would have it too seldom to find one that
# fits in a few thousand draws: there it is drawn ten times as often, in shallower trees.
FAVOURED = {"diagonal(e, k, ...)": "diagonal", "trace": "trace", "filter(e, bools)": "filter",
            "filter(e, a < b)": "filter"}
DIAGONAL_KIDS = [(2, 2), (3, 3), (2, 3), (3, 2), (1, 3), (3, 1), (2, 4), (4, 2), (2, 2, 2),
                 (2, 2, 3), (2, 3, 2), (3, 2, 2), (2, 3, 3), (3, 3, 2), (1, 2, 3), (2, 1, 3),
                 (3, 2, 1), (2, 3, 1)]
MASK_CONSTS = sorted(set(CONSTS + [-c for c in CONSTS]))
FILTER_KIDS = [(3,), (4,), (6,), (2, 2), (2, 3), (3, 2), (1, 3), (2, 1), (3, 3), (2, 1, 3),
               (3, 1, 2), (2, 2, 2)]


def diff_leaves(n):
    """The inputs the tree is differentiable in (a comparison's operands are not)."""
    if n.op == "leaf":
        return {n.p["k"]}
    if n.op == "cmp":
        return set()
    return set().union(*[diff_leaves(k) for k in n.kids]) if n.kids else set()


def _const(n):
    return n.op == "const"


# Tree k of a run features op FEATURES[k % len(FEATURES)] (it is drawn until it has one), so that
# any len(FEATURES) (72) consecutive trees cover every op and every way of writing it: the
# committed suite has that many (--only: of the ops it names).
FEATURES = [(f, lambda n, f=f: n.op == "un" and n.p["f"] == f) for f in UNARY_FUNCS + ["neg"]] + [
    ("pow<N>", lambda n: n.op == "ipow" and n.p["n"] > 0),
    ("pow<-N>", lambda n: n.op == "ipow" and n.p["n"] < 0),
    ("pow(x, c)", lambda n: n.op == "pow" and _const(n.kids[1])),
    ("pow(c, x)", lambda n: n.op == "pow" and _const(n.kids[0])),
    ("pow(x, y)", lambda n: n.op == "pow" and not _const(n.kids[0]) and not _const(n.kids[1])),
    ("clamp", lambda n: n.op == "clamp"),
    ("atan2", lambda n: n.op == "atan2"),
    ("maximum", lambda n: n.op == "maximum"),
    ("minimum", lambda n: n.op == "minimum"),
] + [("x %s y" % o, lambda n, o=o: n.op == "bin" and n.p["sym"] == o and not any(map(_const, n.kids)))
     for o in "+-*/"] + [
    ("x op c", lambda n: n.op == "bin" and _const(n.kids[1])),
    ("c op x", lambda n: n.op == "bin" and _const(n.kids[0])),
] + [("where(%s)" % o, lambda n, o=o: n.op == "where" and n.kids[0].p["sym"] == o) for o in CMP] + [
    ("%s%s" % (f, a), lambda n, f=f, a=a: n.op == "red" and n.p["f"] == f
     and (n.p["axes"] is None) == (a == ""))
    for f in ("sum", "mean", "prod", "norm") for a in ("", "(axes)")] + [
    ("x(i)", lambda n: n.op == "index" and n.kids[0].op == "leaf"),
    ("index(e, i)", lambda n: n.op == "index" and n.kids[0].op != "leaf" and not n.p["call"]),
    ("e(i)", lambda n: n.op == "index" and n.kids[0].op != "leaf" and n.p["call"]),
    ("reshape", lambda n: n.op == "reshape" and not n.p["flat"]),
    ("flatten", lambda n: n.op == "reshape" and n.p["flat"]),
    ("stack", lambda n: n.op == "stack"),
    ("concatenate", lambda n: n.op == "concat"),
    ("matmul(A, B)", lambda n: n.op == "matmul" and min(len(k.shape) for k in n.kids) >= 2),
    ("matmul(A, x)", lambda n: n.op == "matmul" and sorted(len(k.shape) for k in n.kids)[0] == 1
     and n.shape != ()),
    ("matmul(x, y)", lambda n: n.op == "matmul" and n.p["f"] == "matmul" and n.shape == ()),
    ("dot", lambda n: n.op == "matmul" and n.p["f"] == "dot"),
    ("outer", lambda n: n.op == "outer"),
    ("transpose(e)", lambda n: n.op == "permute" and n.p["axes"] is None
     and len(n.shape) >= 2),
    ("transpose(e, axes)", lambda n: n.op == "permute" and n.p["axes"] is not None
     and len(n.shape) >= 2),
    ("view", lambda n: n.op == "view"),
    ("diagonal(e, k, ...)", lambda n: n.op == "diagonal" and diagonal_args(n)[0] != 0),
    ("trace", lambda n: n.op == "trace"),
    ("filter(e, bools)", lambda n: n.op == "filter" and n.kids[1].op == "bools"),
    ("filter(e, a < b)", lambda n: n.op == "filter" and n.kids[1].op == "cmp"),
]


def featured(case_seed, opts):
    """The op case `case_seed` features: of FEATURES, or of those --only names."""
    feats = FEATURES
    if getattr(opts, "only", None):
        names = opts.only.split(",")
        feats = [f for f in FEATURES if f[0] in names or f[0].split("(")[0] in names]
        if not feats:
            raise SystemExit("--only %s: no such op (FEATURES has: %s)"
                             % (opts.only, ", ".join(f[0] for f in FEATURES)))
    return feats[case_seed % 1000000 % len(feats)]


def draw_tree(rng, shapes, min_nodes, max_nodes, feature=None):
    """A tree of the inputs' shapes, in which every input is differentiated (and which has the
    featured op)."""
    for _ in range(2000 if feature else 500):
        dr = Drawer(rng, shapes, max_nodes, feature[0] if feature else None)
        roots = list(dict.fromkeys(shapes))
        all_b = shapes[0]
        for t in shapes[1:]:
            all_b = bcast(all_b, t)
        roots += [all_b, all_b, ()]
        if rng.random() < 0.15:
            roots.append((2,) + rng.choice(shapes))
        try:
            # (a favoured op, which comes with kids of its own, in a shallower tree)
            tree = dr.produce(rng.choice(roots), rng.choice([1, 2, 2, 3] if dr.feature in FAVOURED
                                                            else [2, 3, 3, 4]))
        except Retry:
            continue
        if diff_leaves(tree) != set(range(len(shapes))):
            continue
        if not min_nodes <= tree.count() <= max_nodes:
            continue
        if feature is not None and not any(feature[1](n) for n in tree.nodes()):
            continue
        return tree
    raise Retry


# ---------------------------------------------------------------------------------------------
# A case: one tree at several points, each with torch's references


class Point:
    pass


class Case:
    pass


def references(tree, xs, seed):
    """torch's value, seeded gradient, Jacobians and Hessian of sum(tree) wrt x0."""
    leaves = [x.clone().requires_grad_(True) for x in xs]
    y = ev(tree, leaves)
    g = torch.autograd.grad(y, leaves, grad_outputs=seed if seed is not None else torch.ones_like(y),
                            allow_unused=True)
    grads = [gi.detach() if gi is not None else torch.zeros_like(x) for gi, x in zip(g, xs)]
    jac = torch.autograd.functional.jacobian(lambda *a: ev(tree, list(a)), tuple(xs))
    hess = torch.autograd.functional.hessian(
        lambda a: torch.sum(ev(tree, [a] + list(xs[1:]))), xs[0]).detach()
    return y.detach(), grads, [j.detach() for j in jac], hess


SNAP_GRID = [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]


def draw_point(rng, tree, shapes, ones_seed, snapped=False):
    """A point away from kinks and overflow, with its references; None if the draw failed. A
    snapped point's inputs come from SNAP_GRID, and there ties and zeros are allowed (Stats)."""
    draw = (lambda: rng.choice(SNAP_GRID)) if snapped else (lambda: rng.uniform(-1.5, 1.5))
    xs = [torch.tensor([draw() for _ in range(size(s))], dtype=F64).reshape(s) for s in shapes]
    st = Stats(ties=snapped)
    try:
        with torch.no_grad():
            y = ev(tree, xs, st)
    except RuntimeError:
        return None
    if st.margin < 1 or st.big > MAX_INTERMEDIATE:
        return None
    seed = None if ones_seed else torch.tensor(
        [rng.uniform(-1.0, 1.0) for _ in range(y.numel())], dtype=F64).reshape(y.shape)
    p = Point()
    p.xs, p.seed = xs, seed
    p.value, p.grads, p.jac, p.hess = references(tree, xs, seed)
    nums = [p.value, p.hess] + p.grads + p.jac
    if not all(bool(torch.all(torch.isfinite(a))) for a in nums):
        return None
    if max(float(a.abs().max()) if a.numel() else 0.0 for a in nums) > MAX_REFERENCE:
        return None
    return p


def make_case(case_seed, opts, tree=None, shapes=None, ones_seed=None):
    """Case `case_seed`: a tree and opts.points points; or, given a tree, the same at new points
    (None if too few points fit)."""
    rng = random.Random(case_seed)
    for _ in range(100):
        if tree is None:
            shp = rng.choice(SCENARIOS)
            try:
                t = draw_tree(rng, shp, opts.min_nodes, opts.max_nodes,
                              featured(case_seed, opts))
            except Retry:
                continue
            ones = rng.random() < 0.5
        else:
            shp, t, ones = shapes, tree, ones_seed
        pts = []
        misses = 0  # a tree whose domain leaves out the grid takes a random point instead
        # (a mask that compares inputs selects the tree's count at some points only)
        masked = any(n.op == "filter" and n.kids[1].op == "cmp" for n in t.nodes())
        for _ in range((24 if masked else 6) * opts.points):
            p = draw_point(rng, t, shp, ones, snapped=len(pts) % 3 == 2 and misses < 8)
            misses = 0 if p is not None else misses + 1
            if p is not None:
                pts.append(p)
                if len(pts) == opts.points:
                    break
        if len(pts) == opts.points:
            c = Case()
            c.seed, c.tree, c.shapes, c.ones_seed, c.points = case_seed, t, shp, ones, pts
            return c
        if tree is not None:
            return None
    raise RuntimeError("case %d: no tree found" % case_seed)


# ---------------------------------------------------------------------------------------------
# C++


def hexf(v):
    v = float(v)
    if math.isnan(v):
        return "diff::nan"
    if math.isinf(v):
        return "diff::inf" if v > 0 else "-diff::inf"
    if v == 0:
        return "-0.0" if math.copysign(1, v) < 0 else "0.0"
    return v.hex()


def ref(t):
    """A diff::ref literal: {{shape}, {values}}."""
    t = torch.as_tensor(t, dtype=F64)
    return "{{%s}, {%s}}" % (", ".join(map(str, t.shape)),
                             ", ".join(hexf(v) for v in t.reshape(-1).tolist()))


CHECKS = """\
// Each TEST_CASE is one random tree, checked at several random points against PyTorch 1.13:
// at every point, the value and the gradient (xtad::grad with allow_unused, seeded by ones or by
// a random tensor) of the tree written as one nested expression, and the same of the tree written
// as a chain of `auto tK = ...;` statements (dangling references in the expression templates).
// Trees marked [J] also check the Jacobian wrt every input at every point (jacrev, jacfwd or
// jacobian, in turn from tree to tree), trees marked [H] the Hessian of sum(tree) wrt x0
// (xtad::hessian by the forward-over-reverse, reverse-over-reverse and forward-over-forward
// routes, in turn)."""


def emit_case(c, jac_kind, hess_route, chain=True):
    n = len(c.shapes)
    expr = cpp_nested(c.tree)
    ident = "points_%d" % c.seed
    params = ", ".join("auto const& x%d" % k for k in range(n))
    vs = ", ".join("v%d" % k for k in range(n))
    xs = ", ".join("x%d" % k for k in range(n))
    gs = ", ".join("g%d" % k for k in range(n))
    marks = (" [J]" if jac_kind else "") + (" [H]" if hess_route else "")
    L = ["// case %d: %s" % (c.seed, expr), "constexpr diff::point %s[] = {" % ident]
    for p in c.points:
        fields = [".inputs = {%s}" % ", ".join(ref(x) for x in p.xs)]
        if p.seed is not None:
            fields.append(".seed = %s" % ref(p.seed))
        fields.append(".value = %s" % ref(p.value))
        fields.append(".grads = {%s}" % ", ".join(ref(g) for g in p.grads))
        if jac_kind:
            fields.append(".jacobians = {%s}" % ", ".join(ref(j) for j in p.jac))
        if hess_route:
            fields.append(".hessian = %s" % ref(p.hess))
        L.append("  {" + ",\n   ".join(fields) + "},")
    L.append("};")
    L.append("")
    L.append('TEST_CASE("diff %d%s: %s") {' % (c.seed, marks, expr))
    L.append('    diff::info info{%d, options, "%s"};' % (c.seed, expr))
    L.append("    for (auto const& p : %s) {" % ident)
    for k in range(n):
        L.append("        auto const v%d = diff::make(p.inputs.begin()[%d]);" % (k, k))
    for k in range(n):
        L.append('        auto const x%d = var<"x%d">(v%d);' % (k, k, k))
    if c.ones_seed:
        seed = "ones_like(y)"
    else:
        L.append("        auto const seed = diff::make(p.seed);")
        seed = "seed"
    body = []
    body.append("{")
    body.append("    auto const y = %s;" % expr)
    body.append('    diff::check(info, "value", eval(y), p.value);')
    body.append("    auto const [%s] = grad(y, wrt(%s), %s, allow_unused);" % (gs, xs, seed))
    for k in range(n):
        body.append('    diff::check(info, "grad x%d", g%d, p.grads.begin()[%d]);' % (k, k, k))
    body.append("}")
    if chain:
        body.append("{")
        lines, counter = [], [0]
        last = cpp_chain(c.tree, lines, counter)
        body += ["    " + ln for ln in lines]
        body.append("    auto const& y = %s;" % last)
        body.append('    diff::check(info, "chain value", eval(y), p.value);')
        body.append("    auto const [%s] = grad(y, wrt(%s), %s, allow_unused);" % (gs, xs, seed))
        for k in range(n):
            body.append('    diff::check(info, "chain grad x%d", g%d, p.grads.begin()[%d]);'
                        % (k, k, k))
        body.append("}")
    if jac_kind:
        body.append("{")
        body.append("    auto const f = [](%s) { return %s; };" % (params, expr))
        body.append("    auto const jac = %s(f, at(%s));" % (jac_kind, vs))
        for k in range(n):
            got = "jac" if n == 1 else "std::get<%d>(jac)" % k
            body.append('    diff::check(info, "%s x%d", %s, p.jacobians.begin()[%d]);'
                        % (jac_kind, k, got, k))
        body.append("}")
    if hess_route:
        body.append("{")
        cap = ", ".join("&x%d" % k for k in range(1, n))
        body.append("    auto const h = [%s](auto const& x0) { return sum(%s); };" % (cap, expr))
        body.append("    auto const hess = hessian<route::%s>(h, at(v0));" % hess_route)
        body.append('    diff::check(info, "hessian (%s)", hess, p.hessian);' % hess_route)
        body.append("}")
    L += ["        " + b for b in body]
    L.append("        ++info.point;")
    L.append("    }")
    L.append("}")
    return "\n".join(L)


JAC_KINDS = ["jacrev", "jacfwd", "jacobian"]
HESS_ROUTES = ["forward_over_reverse", "reverse_over_reverse", "forward_over_forward"]


def checks_of(i, opts):
    """What tree i checks beyond value and gradient: (Jacobian transform, Hessian route)."""
    jac = hess = None
    if opts.jac_every and i % opts.jac_every == 0:
        jac = JAC_KINDS[(i // opts.jac_every) % 3]
    if opts.hess_every and i % opts.hess_every == opts.hess_every // 2:
        hess = HESS_ROUTES[(i // opts.hess_every) % 3]
    return jac, hess


def emit_tu(cases, opts, args_line):
    out = ["// clang-format off",
           "// Generated by scripts/gen_diff_cases.py (PyTorch %s); do not edit." % torch.__version__,
           "// Regenerate: /usr/bin/python3 scripts/gen_diff_cases.py %s" % args_line,
           "//", CHECKS,
           '#include "diff_check.hpp"', "", "#include <doctest/doctest.h>", "", "#include <tuple>", "",
           "namespace {", "", "using namespace xtad;", "using xt::placeholders::_;", "",
           'constexpr char const* options = "%s";' % shrink_options(opts), ""]
    tests = []
    for c, i in cases:
        jac, hess = checks_of(i, opts)
        text = emit_case(c, jac, hess, chain=not opts.no_chain)
        data, test = text.split("\nTEST_CASE", 1)
        out.append(data)
        tests.append("TEST_CASE" + test)
    out += ["} // namespace", ""]
    out += [t + "\n" for t in tests]
    return "\n".join(out)


MESON = """\
# Generated by scripts/gen_diff_cases.py; do not edit. The differential tests against PyTorch 1.13
# (suite 'diff'): %d trees at %d points each, in %d translation units that build in parallel.
# Regenerate: /usr/bin/python3 scripts/gen_diff_cases.py %s
diff_exe = executable('test_diff', files(%s),
  link_with: test_main,
  dependencies: [xtad_dep, doctest_dep],
  build_by_default: true)
test('diff', diff_exe, args: ['--no-version', '--force-colors=false'],
  protocol: 'exitcode', timeout: 300, suite: 'diff')
"""


def shrink_options(opts):
    """The options a case's seed needs to be drawn again."""
    return "--points %d --min-nodes %d --max-nodes %d%s%s" % (
        opts.points, opts.min_nodes, opts.max_nodes,
        " --perturb " + opts.perturb if opts.perturb else "",
        " --only '%s'" % opts.only if opts.only else "")


def args_line(opts):
    return ("--seed %d --count %d --points %d --per-tu %d --jac-every %d --hess-every %d "
            "--min-nodes %d --max-nodes %d%s%s%s" % (
                opts.seed, opts.count, opts.points, opts.per_tu, opts.jac_every, opts.hess_every,
                opts.min_nodes, opts.max_nodes, " --no-chain" if opts.no_chain else "",
                " --perturb " + opts.perturb if opts.perturb else "",
                " --only '%s'" % opts.only if opts.only else ""))


def generate(opts):
    out = pathlib.Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("cases_*.cpp"):
        old.unlink()
    line = args_line(opts) + ("" if out.resolve() == (REPO / "test" / "diff").resolve()
                              else " --out " + opts.out)
    cases = []
    for i in range(opts.count):
        cases.append((make_case(opts.seed * 1000000 + i, opts), i))
        if opts.verbose and i % 50 == 49:
            print("%d trees" % (i + 1), file=sys.stderr)
    names = []
    for t in range(0, len(cases), opts.per_tu):
        name = "cases_%02d.cpp" % (t // opts.per_tu)
        (out / name).write_text(emit_tu(cases[t:t + opts.per_tu], opts, line))
        names.append(name)
    if opts.meson:
        srcs = ", ".join("'%s'" % n for n in names + ["diff_check.cpp"])
        (out / "meson.build").write_text(
            MESON % (len(cases), opts.points, len(names), line, srcs))
    here = REPO / "test" / "diff"
    if out.resolve() != here.resolve():
        for f in ("diff_check.hpp", "diff_check.cpp"):
            shutil.copy(here / f, out / f)
    npts = sum(len(c.points) for c, _ in cases)
    print("%d trees, %d cases (tree x point) in %d files under %s" % (len(cases), npts, len(names), out))


# ---------------------------------------------------------------------------------------------
# Shrinking a failing case


def replace(tree, target, new):
    if tree is target:
        return new.copy()
    n = Node.__new__(Node)
    n.op, n.p, n.shape = tree.op, dict(tree.p), tree.shape
    n.kids = [replace(k, target, new) for k in tree.kids]
    return n


class Builder:
    """Builds and runs one-case translation units with g++ (for the shrinker)."""

    FLAGS = ["-std=c++20", "-O1", "-I" + str(REPO / "include"), "-I" + str(REPO / "test" / "diff"),
             "-I/usr/include/x86_64-linux-gnu/openblas-pthread/"]

    def __init__(self, tmp):
        self.tmp = tmp
        for src in (REPO / "test" / "diff" / "diff_check.cpp", REPO / "test" / "main.cpp"):
            subprocess.run(["g++"] + self.FLAGS + ["-c", str(src), "-o", str(tmp / (src.stem + ".o"))],
                           check=True)

    def run_one(self, src):
        (self.tmp / "case.cpp").write_text(src)
        cmd = ["g++"] + self.FLAGS + [str(self.tmp / "case.cpp"), str(self.tmp / "diff_check.o"),
                                      str(self.tmp / "main.o"), "-o", str(self.tmp / "case"),
                                      "-lopenblas", "-llapack"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return False, "compile error:\n" + r.stderr
        r = subprocess.run([str(self.tmp / "case"), "--no-version"], capture_output=True, text=True)
        return r.returncode == 0, r.stdout + r.stderr


def shrink(opts):
    """Greedy: replace an inner node by one of its kids or by an input of its shape, as long as
    the smaller tree still fails (at new points drawn for it: every check, every route)."""
    c0 = make_case(opts.shrink, opts)
    print("case %d: %s" % (opts.shrink, cpp_nested(c0.tree)), flush=True)
    build = Builder(pathlib.Path(tempfile.mkdtemp(prefix="xtad-shrink-")))
    last = {}

    def fails(c):
        # The first tree is tried with every check; a smaller one only with the checks that
        # failed, so that it fails the same way (and each try is one build).
        for jac, hess in [last["checks"]] if "checks" in last else zip(JAC_KINDS, HESS_ROUTES):
            ok, log = build.run_one("\n".join([
                '#include "diff_check.hpp"', "#include <doctest/doctest.h>", "#include <tuple>",
                "namespace {", "using namespace xtad;", "using xt::placeholders::_;",
                'constexpr char const* options = "%s";' % shrink_options(opts),
                emit_case(c, jac, hess), "}"]))
            if not ok:
                last["case"], last["log"], last["checks"] = c, log, (jac, hess)
                return True
        return False

    if not fails(c0):
        print("case %d passes every check; nothing to shrink" % opts.shrink)
        return 0
    tree = c0.tree
    leaves = [Node("leaf", k=k, shape=s) for k, s in enumerate(c0.shapes)]
    changed = True
    tried = set()
    while changed:
        changed = False
        # (not a comparison: a mask must stay one)
        for target in [n for n in tree.nodes() if n.op not in ("leaf", "const", "bools", "cmp")]:
            subs = [k for k in target.kids
                    if k.shape == target.shape and k.op not in ("const", "cmp", "bools")]
            subs += [lf for lf in leaves if lf.shape == target.shape]
            for new in subs:
                cand = replace(tree, target, new)
                if cand.op == "leaf" or diff_leaves(cand) != set(range(len(c0.shapes))):
                    continue
                if cpp_nested(cand) in tried:
                    continue
                tried.add(cpp_nested(cand))
                c = make_case(opts.shrink, opts, tree=cand, shapes=c0.shapes, ones_seed=c0.ones_seed)
                if c is None:
                    continue
                print("  try %s" % cpp_nested(cand), flush=True)
                if fails(c):
                    tree, changed = cand, True
                    break
            if changed:
                break
    jac, hess = last["checks"]
    print("\nminimal failing tree of case %d: %s\n" % (opts.shrink, cpp_nested(tree)))
    print(emit_case(last["case"], jac, hess))
    print("\n" + last["log"][-6000:])
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="case seeds are 1000000 * seed + index")
    ap.add_argument("--count", type=int, default=72, help="trees")
    ap.add_argument("--points", type=int, default=17, help="points per tree")
    ap.add_argument("--per-tu", type=int, default=24, help="trees per translation unit")
    ap.add_argument("--out", default=str(REPO / "test" / "diff"))
    ap.add_argument("--jac-every", type=int, default=10, help="Jacobians on every k-th tree (0: none)")
    ap.add_argument("--hess-every", type=int, default=10, help="Hessian on every k-th tree (0: none)")
    ap.add_argument("--min-nodes", type=int, default=2, help="inner nodes per tree, at least")
    ap.add_argument("--max-nodes", type=int, default=4, help="inner nodes per tree, at most")
    ap.add_argument("--no-chain", action="store_true", help="omit the chained form")
    ap.add_argument("--no-meson", dest="meson", action="store_false", help="write no meson.build")
    ap.add_argument("--check", action="store_true",
                    help="fail if test/diff differs from what these options generate")
    ap.add_argument("--shrink", type=int, metavar="CASE_SEED", help="shrink a failing case")
    ap.add_argument("--print", type=int, metavar="CASE_SEED", help="print one case's C++")
    ap.add_argument("--only", metavar="OPS", help="feature only these ops: names of FEATURES, or "
                    "what comes before their '(', comma-separated ('diagonal,trace,filter,e(i)')")
    ap.add_argument("--perturb", metavar="FUNC", help="make torch's FUNC (e.g. sinh) wrong by 1e-6: "
                    "the cases that use it must fail, and --shrink must find it")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()
    torch.set_default_dtype(F64)
    global PERTURB
    PERTURB = opts.perturb
    if opts.shrink is not None:
        return shrink(opts)
    if opts.print is not None:
        print(emit_case(make_case(opts.print, opts), "jacrev", "forward_over_reverse"))
        return 0
    if opts.check:
        here = REPO / "test" / "diff"
        with tempfile.TemporaryDirectory() as tmp:
            opts.out = tmp
            generate(opts)
            stale = [f.name for f in sorted(pathlib.Path(tmp).glob("cases_*.cpp"))
                     if not (here / f.name).exists()
                     or (here / f.name).read_text().replace(" --out " + tmp, "") != f.read_text()
                     .replace(" --out " + tmp, "")]
        if stale:
            print("stale (regenerate with the command in their header): " + " ".join(stale))
            return 1
        print("test/diff is up to date")
        return 0
    generate(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
