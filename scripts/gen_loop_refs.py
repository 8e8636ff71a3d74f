#!/usr/bin/python3
"""Writes test/loops/loop_refs.inc: PyTorch 1.13's values and gradients of programs with
loops (explicit Euler, RK4, Newton's method to convergence, a linear recurrence, a scan that
collects an output per step, and a loop nested in a loop), unrolled eagerly by torch, as
references for xtad's gradients through the same loops.

Run with Debian's system Python and its python3-torch (1.13):

    /usr/bin/python3 scripts/gen_loop_refs.py            # rewrites the .inc
    /usr/bin/python3 scripts/gen_loop_refs.py --check    # fails if the committed file is stale

Every case runs its loop in Python, one torch operation after another in the order written
below (the C++ side compares at about 1e-12 relative, so the order of the floating-point
operations matters), in float64, with 0-d tensors for the scalar leaves; torch.autograd.grad
gives the gradients of the scalar loss. The euler case also records
torch.autograd.functional.hessian of its loss and torch.autograd.functional.jacobian of its
final state with respect to x0. For euler, forcing, recurrence and nested, every gradient is
checked, element by element, against central finite differences (step 1e-6) to a relative 1e-6,
so that the references are known sound; except recurrence's grad_x0, about 1e-13 and so below
what differences of the loss resolve, which is checked against its closed form. newton prints
how far its gradient is from the analytic 1/(2 sqrt(a)).

The file has one namespace per case, of `inline constexpr double` scalars and flattened
(row-major) arrays, and `inline constexpr int` counts. Doubles are written with repr, the
shortest text that reads back as the same double.
"""
import argparse
import math
import pathlib
import sys

import torch

F64 = torch.float64
REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "test" / "loops" / "loop_refs.inc"
FD_STEP = 1e-6
FD_RTOL = 1e-6
NEWTON_TOL = 1e-14
NEWTON_MAX_STEPS = 100
MAX_LINE = 99  # of the .inc


def leaf(values):
    return torch.tensor(values, dtype=F64, requires_grad=True)


def fd_check(name, fn, leaves, grads):
    """Asserts that the gradients of fn(*leaves) agree with central differences, elementwise to
    FD_RTOL relative."""
    with torch.no_grad():
        for i, (x, grad) in enumerate(zip(leaves, grads)):
            for j in range(x.numel()):
                step = torch.zeros(x.numel(), dtype=F64)
                step[j] = FD_STEP
                step = step.reshape(x.shape)
                plus = [x + step if n == i else y for n, y in enumerate(leaves)]
                minus = [x - step if n == i else y for n, y in enumerate(leaves)]
                fd = (fn(*plus) - fn(*minus)).item() / (2 * FD_STEP)
                g = grad.reshape(-1)[j].item()
                assert abs(fd - g) <= FD_RTOL * abs(g), (name, i, j, g, fd)


# ---------------------------------------------------------------------------------------------
# The loops.


def euler_run(x0, k):
    x = x0
    for _ in range(1000):
        x = x + 0.01 * (-k * x + torch.sin(x))
    return x


def euler_loss(x0, k):
    x = euler_run(x0, k)
    return torch.sum(x * x)


def forcing_loss(x0, k):
    x = x0
    for i in range(500):
        x = x + 0.01 * (-k * x + math.cos(0.05 * i))
    return torch.sum(x ** 3)


def pendulum_run(s0, c, w2):
    def f(s):
        return torch.stack([s[1], -w2 * torch.sin(s[0]) - c * s[1]])

    h = 0.05
    s = s0
    for _ in range(100):
        k1 = f(s)
        k2 = f(s + 0.5*h*k1)
        k3 = f(s + 0.5*h*k2)
        k4 = f(s + h*k3)
        s = s + (h/6) * (k1 + 2*k2 + 2*k3 + k4)
    return s


def newton_run(a):
    """Newton's method for sqrt(a) from y = a, to convergence; returns y and the trip count."""
    y = a * 1.0
    steps = 0
    while torch.max(torch.abs(y * y - a)).item() >= NEWTON_TOL:
        if steps == NEWTON_MAX_STEPS:
            raise RuntimeError("newton: no convergence in %d steps" % NEWTON_MAX_STEPS)
        y = 0.5 * (y + a / y)
        steps += 1
    return y, steps


def recurrence_loss(A, b, x0):
    x = x0
    for _ in range(50):
        x = torch.matmul(A, x) + b
    return torch.sum(x * x)


def scan_loss(x0, k):
    x = x0
    ys = []
    for _ in range(100):
        x = x + 0.01 * (-k * x + torch.sin(x))
        ys.append(torch.sin(x))
    Y = torch.stack(ys)
    return torch.sum(Y * Y) + torch.sum(x)


def nested_loss(x0, k):
    x = x0
    for _ in range(20):
        z = x
        for _ in range(5):
            z = z + 0.1 * (torch.sin(z) - k * x)
        x = 0.5 * x + 0.5 * z
    return torch.sum(x * x)


# ---------------------------------------------------------------------------------------------
# The cases: each returns its entries, (name, tensor or int), in the order written.

CASES = []


def case(title):
    def register(fn):
        CASES.append((fn.__name__, title, fn))
        return fn
    return register


@case("1000 explicit Euler steps of x' = -k x + sin(x); loss sum(x^2)")
def euler():
    x0, k = leaf([0.5, -1.2, 2.0]), leaf(0.7)
    x = euler_run(x0, k)
    loss = torch.sum(x * x)
    grad_x0, grad_k = torch.autograd.grad(loss, (x0, k))
    fd_check("euler", euler_loss, (x0, k), (grad_x0, grad_k))
    const_k = k.detach()
    hess = torch.autograd.functional.hessian(lambda x0: euler_loss(x0, const_k), x0.detach())
    assert torch.allclose(hess, hess.T, rtol=1e-12, atol=1e-12)
    jac = torch.autograd.functional.jacobian(lambda x0: euler_run(x0, const_k), x0.detach())
    assert torch.allclose(grad_x0, 2 * jac.T @ x.detach(), rtol=1e-12, atol=1e-12)
    return [("loss", loss), ("x_final", x), ("grad_x0", grad_x0), ("grad_k", grad_k),
            ("hess_x0", hess), ("jac_x0", jac)]


@case("500 Euler steps of x' = -k x + cos(0.05 i), a constant forcing; loss sum(x^3)")
def forcing():
    x0, k = leaf([0.3, -0.4]), leaf(1.3)
    loss = forcing_loss(x0, k)
    grad_x0, grad_k = torch.autograd.grad(loss, (x0, k))
    fd_check("forcing", forcing_loss, (x0, k), (grad_x0, grad_k))
    return [("loss", loss), ("grad_x0", grad_x0), ("grad_k", grad_k)]


@case("100 RK4 steps (h = 0.05) of a damped pendulum, s = [theta, omega]; loss s0 s1 + s0")
def pendulum():
    s0, c, w2 = leaf([1.0, 0.0]), leaf(0.3), leaf(4.0)
    s = pendulum_run(s0, c, w2)
    loss = s[0] * s[1] + s[0]
    grad_s0, grad_c, grad_w2 = torch.autograd.grad(loss, (s0, c, w2))
    return [("loss", loss), ("s_final", s), ("grad_s0", grad_s0), ("grad_c", grad_c),
            ("grad_w2", grad_w2)]


@case("Newton's method for sqrt(a) from y = a until max|y^2 - a| < 1e-14; loss sum(y)")
def newton():
    a = leaf([2.0, 9.0, 0.5])
    y, steps = newton_run(a)
    (grad_a,) = torch.autograd.grad(torch.sum(y), a)
    analytic = 1 / (2 * torch.sqrt(a.detach()))
    print("newton: %d steps; grad_a - 1/(2 sqrt(a)) = %s (max relative %.3g)"
          % (steps, [float(d) for d in grad_a - analytic],
             torch.max(torch.abs(grad_a - analytic) / analytic).item()))
    return [("steps", steps), ("y_final", y), ("grad_a", grad_a)]


@case("50 steps of the linear recurrence x = A x + b; loss sum(x^2)")
def recurrence():
    A = leaf([[0.5, 0.1, -0.2], [0.0, 0.4, 0.3], [0.2, -0.1, 0.6]])
    b, x0 = leaf([1.0, -1.0, 0.5]), leaf([0.1, 0.2, 0.3])
    loss = recurrence_loss(A, b, x0)
    grad_A, grad_b, grad_x0 = torch.autograd.grad(loss, (A, b, x0))
    fd_check("recurrence", lambda A, b: recurrence_loss(A, b, x0), (A, b), (grad_A, grad_b))
    # grad_x0 is 2 (A^50)^T x_50, about 1e-13 (A's spectral radius is 0.54): below what finite
    # differences of the loss resolve, so it is checked against that closed form instead.
    with torch.no_grad():
        x = x0
        for _ in range(50):
            x = torch.matmul(A, x) + b
        closed_form = 2 * torch.linalg.matrix_power(A, 50).T @ x
    assert torch.allclose(grad_x0, closed_form, rtol=1e-12, atol=0), (grad_x0, closed_form)
    return [("loss", loss), ("grad_A", grad_A), ("grad_b", grad_b), ("grad_x0", grad_x0)]


@case("a scan: 100 steps as in euler, emitting Y[i] = sin(x) of the new x; loss sum(Y^2) + sum(x)")
def scan():
    x0, k = leaf([0.5, -1.2, 2.0]), leaf(0.7)
    loss = scan_loss(x0, k)
    grad_x0, grad_k = torch.autograd.grad(loss, (x0, k))
    return [("loss", loss), ("grad_x0", grad_x0), ("grad_k", grad_k)]


@case("20 outer steps x = (x + z) / 2, z = x then 5 steps z += 0.1 (sin(z) - k x); loss sum(x^2)")
def nested():
    x0, k = leaf([0.5, -1.2, 2.0]), leaf(0.7)
    loss = nested_loss(x0, k)
    grad_x0, grad_k = torch.autograd.grad(loss, (x0, k))
    fd_check("nested", nested_loss, (x0, k), (grad_x0, grad_k))
    return [("loss", loss), ("grad_x0", grad_x0), ("grad_k", grad_k)]


# ---------------------------------------------------------------------------------------------
# Output.


def cxx_double(v):
    v = float(v)
    assert math.isfinite(v), v
    return repr(v)


def cxx_entry(name, value):
    if isinstance(value, int):
        return ["inline constexpr int %s = %d;" % (name, value)]
    value = value.detach()
    if value.dim() == 0:
        return ["inline constexpr double %s = %s;" % (name, cxx_double(value))]
    # A matrix is written a row a line, still as one flat array; so is a long vector.
    rows = value.reshape(-1, value.shape[-1]).tolist()
    body = [", ".join(cxx_double(v) for v in row) for row in rows]
    line = "inline constexpr double %s[] = {%s};" % (name, body[0])
    if len(body) == 1 and len(line) <= MAX_LINE:
        return [line]
    return (["inline constexpr double %s[] = {" % name]
            + ["    %s," % row for row in body[:-1]] + ["    %s};" % body[-1]])


def render():
    lines = [
        "// Generated by scripts/gen_loop_refs.py from PyTorch %s; do not edit."
        % torch.__version__,
        "// Regenerate: /usr/bin/python3 scripts/gen_loop_refs.py   (Debian's python3-torch)",
        "//",
        "// Values and gradients of loops unrolled eagerly by torch, in float64, one namespace",
        "// per case of the script (which has the programs); arrays are flattened row-major.",
        "// clang-format off",
        "namespace loop_refs {",
    ]
    for name, title, fn in CASES:
        lines += ["", "// %s" % title, "namespace %s {" % name]
        for entry in fn():
            lines += cxx_entry(*entry)
        lines.append("}  // namespace %s" % name)
    lines += ["", "}  // namespace loop_refs", "// clang-format on"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if %s is stale" % OUT.name)
    args = ap.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("%s is stale: run /usr/bin/python3 scripts/gen_loop_refs.py" % OUT,
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print("wrote %s: %d cases" % (OUT.relative_to(REPO), len(CASES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
