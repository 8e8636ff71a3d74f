#!/usr/bin/python3
"""Prints what PyTorch 1.13 does on empty tensors, shapes (0,), (0, 3) and (3, 0): the value and
gradient shape of each reduction, a leaf broadcast against an empty tensor, and the Jacobians and
Hessians. test/reverse/empty_test.cpp checks xtad against these. Run with Debian's system Python
and its python3-torch: /usr/bin/python3 scripts/torch_empty.py
"""
import functorch
import torch

REDUCTIONS = [
    ("sum", lambda x: x.sum()), ("mean", lambda x: x.mean()), ("prod", lambda x: x.prod()),
    ("norm", lambda x: x.norm()), ("sum(0)", lambda x: x.sum(0)), ("mean(0)", lambda x: x.mean(0)),
    ("prod(0)", lambda x: x.prod(0)), ("norm(dim=0)", lambda x: x.norm(dim=0)),
    ("sum(-1)", lambda x: x.sum(-1)), ("mean(-1)", lambda x: x.mean(-1)),
    ("amax", lambda x: x.amax()), ("max", lambda x: x.max()),
]


def first_line(e):
    return str(e).splitlines()[0][:110]


def main():
    for shp in [(0,), (0, 3), (3, 0)]:
        for name, f in REDUCTIONS:
            x = torch.zeros(shp, dtype=torch.float64, requires_grad=True)
            try:
                y = f(x)
                g, = torch.autograd.grad(y, x, torch.ones_like(y))
                print(shp, name, "value", tuple(y.shape), y.detach().tolist(), "grad", tuple(g.shape))
            except RuntimeError as e:
                print(shp, name, "error:", first_line(e))
        for yshape in [(1,), (3,), ()]:
            x = torch.zeros(shp, dtype=torch.float64, requires_grad=True)
            y = torch.full(yshape, 2.0, dtype=torch.float64, requires_grad=True)
            try:
                e = x * y
                _, gy = torch.autograd.grad(e, (x, y), torch.ones_like(e))
                print(shp, "x * y, y of shape", yshape, "->", tuple(e.shape), "y's gradient", gy.tolist())
            except RuntimeError as ex:
                print(shp, "x * y, y of shape", yshape, "error:", first_line(ex))
        x0 = torch.zeros(shp, dtype=torch.float64)
        transforms = [
            ("autograd.functional.jacobian(sin)",
             lambda: torch.autograd.functional.jacobian(torch.sin, x0)),
            ("autograd.functional.hessian(mean)",
             lambda: torch.autograd.functional.hessian(torch.mean, x0)),
            ("functorch.jacfwd(sin)", lambda: functorch.jacfwd(torch.sin)(x0)),
            ("functorch.jacrev(sin)", lambda: functorch.jacrev(torch.sin)(x0)),
            ("functorch.hessian(mean)", lambda: functorch.hessian(torch.mean)(x0)),
        ]
        for name, t in transforms:
            try:
                print(shp, name, "shape", tuple(t().shape))
            except RuntimeError as e:
                print(shp, name, "error:", first_line(e))


if __name__ == "__main__":
    main()
