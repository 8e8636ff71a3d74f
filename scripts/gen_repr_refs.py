#!/usr/bin/python3
"""Writes test/io/repr_refs.inc: what PyTorch prints for each case, for test/io/repr_test.cpp.

Run with Debian's system Python and its python3-torch (PyTorch 1.13):

    /usr/bin/python3 scripts/gen_repr_refs.py

Each case is a tensor (dtype, shape, values), the repr_options it is printed with and the
exact text torch prints. A double (float) case is printed with torch's default dtype set to
float64 (float32), because xtad prints double and float tensors as torch prints a tensor of its
default dtype (see include/xtad/io/repr.hpp). A grad_fn case makes the tensor with a real
torch operation and records the name torch gives its grad_fn and the values it holds.
"""
import math
import pathlib
import random

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / 'test' / 'io' / 'repr_refs.inc'

DTYPES = {
    'float64': torch.float64, 'float32': torch.float32, 'int64': torch.int64,
    'int32': torch.int32, 'int16': torch.int16, 'int8': torch.int8, 'uint8': torch.uint8,
    'boolean': torch.bool,
}
# repr_options fields other than requires_grad and grad_fn, as torch.set_printoptions names them.
PRINT_OPTIONS = ('precision', 'threshold', 'edgeitems', 'linewidth', 'sci_mode')

inf = math.inf
nan = math.nan
cases = []


def case(name, values, dtype='float64', shape=None, requires_grad=False, grad_fn=None, **opts):
    """Records one case; values is a (nested) list, shape reshapes it, grad_fn names a torch op
    ('sub', 'mul', 'clone', 'view', 'stack', 'copy_slices') that makes the printed tensor."""
    assert set(opts) <= set(PRINT_OPTIONS), opts
    assert name not in (c['name'] for c in cases), name
    torch.set_default_dtype(torch.float32 if dtype == 'float32' else torch.float64)
    t = torch.tensor(values, dtype=DTYPES[dtype])
    if shape is not None:
        t = t.reshape(shape)
    if requires_grad or grad_fn:
        t.requires_grad_()
    if grad_fn:
        t = make_with_grad_fn(t, grad_fn)
    torch.set_printoptions(**opts)
    try:
        text = repr(t)
    finally:
        torch.set_printoptions(profile='default')
        torch.set_default_dtype(torch.float32)
    cases.append(dict(name=name, dtype=dtype, shape=tuple(t.shape), values=t.detach().flatten().tolist(),
                      requires_grad=t.requires_grad and t.grad_fn is None,
                      grad_fn=type(t.grad_fn).__name__ if t.grad_fn is not None else '',
                      opts=opts, text=text))


def make_with_grad_fn(leaf, op):
    if op == 'sub':
        return leaf - 0
    if op == 'mul':
        return leaf * 1
    if op == 'clone':
        return leaf.clone()
    if op == 'view':
        return leaf.view(leaf.shape)
    if op == 'stack':
        return torch.stack(list(leaf.unbind(0)))
    if op == 'copy_slices':
        out = torch.zeros(leaf.shape)
        out[...] = leaf
        return out
    raise ValueError(op)


def seeded(seed, n, scale=1.0):
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1.0) * scale for _ in range(n)]


# The notebook's tensors.
case('notebook_A', [[1.0, 2], [3, 4]])
case('notebook_b', [5., 6])
case('notebook_x', [-4.0, 4.5])
case('notebook_residual_zero', [0., 0.])
case('notebook_A_col0', [1., 3.])
case('notebook_filter', [4.])
case('notebook_A_times_AT', [[1., 6.], [6., 16.]])
case('notebook_leaf_requires_grad', [[1., 2.], [3., 4.]], requires_grad=True)
case('notebook_Q_sub_backward', [[-13., -1.], [45., 143.]], grad_fn='sub')
case('notebook_dQ_da_mul_backward', [[9., 36.], [81., 144.]], grad_fn='mul')
case('notebook_dQ_db', [[-8., -10.], [-12., -14.]])
case('notebook_grad_1d', [9.])
case('notebook_z_stack_backward', [9., 5.], grad_fn='stack')
case('notebook_jacobian_copy_slices', [[2., 12.], [3., 4.]], grad_fn='copy_slices')
case('notebook_jacobian_view_backward', [[2., 12.], [3., 4.]], grad_fn='view')

# Integer mode, widths and signs.
case('int_mode_negatives', [-1., 10., -100.])
case('negative_zero', [-0., 0.])
case('negative_zero_alone', [-0.])
case('negative_zero_with_fraction', [-0., 1.5])
case('int_mode_ratio_1000_stays_fixed', [1., 1000.])
case('int_mode_ratio_above_1000_is_sci', [1., 1001.])
case('int_mode_1e8_stays_fixed', [1.0e8])
case('int_mode_above_1e8_is_sci', [1.0e8 + 1.0])
case('int_mode_huge', [1e20, -3.])

# Fixed and scientific notation for non-integers.
case('fixed_rounding', [1.23456789, -0.00015, 2.00005, 0.12345])
case('fixed_min_1e-4_stays_fixed', [1.0e-4, 0.0625])
case('fixed_below_1e-4_is_sci', [9.9e-5, 0.0625])
case('fixed_max_1e8_stays_fixed', [99999999.5, 1.0e6])
case('fixed_above_1e8_is_sci', [100000000.5, 1.0e6])
case('sci_small_and_one', [1.0e-8, 1.0])
case('sci_large_and_fraction', [1.0e10, 0.5])
case('sci_negative_mixed', [-1.0e-8, 1.0e10, 3.25])
case('sci_three_digit_exponent', [1.5e-300, 2.5e300])
case('sci_subnormal', [5e-324, 1.0])
case('sci_negative_zero', [-0., 1.0e-8, 1.0])
case('fixed_negative_zero', [-0., 0.5, -0.25])
case('fixed_wide_values', [123.456, -0.5, 999.99995])
case('fixed_ratio_just_above_1000', [1000.5, 0.5])

# nan and inf.
case('nan_inf_only', [nan, inf, -inf])
case('nan_alone', [nan])
case('negative_nan', [-nan, 1.5])
case('inf_with_int', [1., inf])
case('inf_with_fraction', [1.5, inf, -inf, nan])
case('inf_with_sci', [1.0e-8, inf, nan, -2.0e5])
case('nan_with_zero', [-inf, 0., nan])
case('inf_with_wide_ints', [-1000., inf, 5.])

# 0-d tensors.
case('scalar_fraction', 3.5)
case('scalar_int', 2.)
case('scalar_negative_zero', -0.)
case('scalar_nan', nan)
case('scalar_sci', 1.0e-10)
case('scalar_requires_grad', 1.5, requires_grad=True)
case('scalar_grad_fn', 4., grad_fn='mul')

# Empty tensors.
case('empty_1d', [])
case('empty_0x3', [], shape=(0, 3))
case('empty_2x0', [], shape=(2, 0))
case('empty_0x2x3', [], shape=(0, 2, 3))
case('empty_requires_grad', [], requires_grad=True)
case('empty_2d_requires_grad', [], shape=(1, 0), requires_grad=True)

# Higher ranks.
case('rank3_ints', list(range(12)), shape=(2, 2, 3))
case('rank3_fractions', seeded(1, 12), shape=(2, 3, 2))
case('rank3_singletons', [1.5, -2., 3.], shape=(3, 1, 1))
case('rank4', [x / 4 for x in range(16)], shape=(2, 2, 2, 2))
case('rank2_random', seeded(2, 12, 10.0), shape=(3, 4))
case('rank2_sci', seeded(3, 6, 1e6), shape=(2, 3))
case('rank2_single_column', [1., 2., 3.], shape=(3, 1))

# Wrapping at linewidth 80 (indent 7 for 1-d, more for inner rows).
case('wrap_1d_fixed', seeded(4, 30))
case('wrap_1d_ints', list(range(40)))
case('wrap_1d_sci', seeded(5, 20, 1e-6))
case('wrap_2d_rows', seeded(6, 40), shape=(2, 20))
case('wrap_3d_rows', seeded(7, 60), shape=(2, 2, 15))
case('wrap_1000_no_summary', [float(x) for x in range(1000)])
# How far a suffix fits on the last line: one case per length around the boundary.
for n in range(5, 11):
    case(f'suffix_wrap_grad_fn_{n}', seeded(10 + n, n), grad_fn='sub')
for n in range(5, 11):
    case(f'suffix_wrap_requires_grad_{n}', [float(x) for x in range(100, 100 + n)], requires_grad=True)
case('suffix_after_wrapped_rows', seeded(30, 24), shape=(2, 12), grad_fn='clone')

# Summaries above 1000 elements, edgeitems 3.
case('summary_1d', [float(x) for x in range(1001)])
case('summary_1d_fractions', [x * 0.25 for x in range(2000)])
case('summary_1d_sci', [10.0 ** (x % 12 - 4) for x in range(1200)])
case('summary_2d_both', [x / 3 for x in range(40 * 30)], shape=(40, 30))
case('summary_2d_rows_only', [float(x) for x in range(501 * 2)], shape=(501, 2))
case('summary_2d_columns_only', [float(x) for x in range(2 * 501)], shape=(2, 501))
case('summary_3d', [float(x) for x in range(11 ** 3)], shape=(11, 11, 11))
case('summary_width_from_shown_only', [1.0e-9] + [0.5] * 1000 + [2.0])
case('summary_grad_fn', [float(x) for x in range(1001)], grad_fn='sub')

# float32, printed with torch's default dtype float32.
case('float32_notebook_A', [[1.0, 2], [3, 4]], dtype='float32')
case('float32_tenths', [0.1, 0.2, 0.3], dtype='float32')
case('float32_third', [1 / 3, -2 / 3], dtype='float32')
case('float32_sci', [1.0e-8, 1.0], dtype='float32')
case('float32_large_int', [16777217.0], dtype='float32')
case('float32_empty', [], dtype='float32', shape=(0, 2))

# Integer and bool tensors, as torch prints them.
case('int64_values', [1, -20, 300], dtype='int64')
case('int64_extremes', [-2 ** 63, 2 ** 63 - 1], dtype='int64')
case('int64_2d', [[1, 2], [30, -4]], dtype='int64')
case('int64_summary', list(range(1001)), dtype='int64')
case('int64_empty', [], dtype='int64')
case('int64_scalar', 7, dtype='int64')
case('int32', [1, 2], dtype='int32')
case('int32_empty_2d', [], dtype='int32', shape=(0, 4))
case('int16', [-32768, 5], dtype='int16')
case('int8', [-128, 127], dtype='int8')
case('uint8', [0, 255], dtype='uint8')
case('bool_1d', [True, False], dtype='boolean')
case('bool_2d', [[False, False], [False, True]], dtype='boolean')
case('bool_scalar', True, dtype='boolean')
case('bool_empty', [], dtype='boolean')

# torch.set_printoptions.
case('opt_precision_2', [1.12345, -2.5], precision=2)
case('opt_precision_0_sci', [1.5e-8, 2.0], precision=0)
case('opt_precision_10', [math.pi, -math.e], precision=10)
case('opt_sci_on', [1., 2.], sci_mode=True)
case('opt_sci_on_fraction', [0.5, 2.25], sci_mode=True)
case('opt_sci_off', [1.0e-8, 1.0], sci_mode=False)
case('opt_sci_off_ints', [1.0e10, 1.0], sci_mode=False)
case('opt_sci_on_all_zero', [0., 0.], sci_mode=True)
case('opt_linewidth_40', seeded(40, 20), linewidth=40)
case('opt_linewidth_narrow', [1., 2., 3.], linewidth=5)
case('opt_linewidth_suffix', [1., 2., 3.], linewidth=20, requires_grad=True)
case('opt_threshold_5_edgeitems_2', [float(x) for x in range(10)], threshold=5, edgeitems=2)
case('opt_threshold_inf', [float(x) for x in range(1001)], threshold=inf)
case('opt_threshold_2d', [float(x) for x in range(36)], shape=(6, 6), threshold=10, edgeitems=1)


def literal(value, dtype):
    """A C++ literal of the double (or integer) value, exact: repr() of a float round-trips."""
    if dtype in ('float64', 'float32'):
        if math.isnan(value):
            return '-nan_v' if math.copysign(1.0, value) < 0 else 'nan_v'
        if math.isinf(value):
            return '-inf_v' if value < 0 else 'inf_v'
        return repr(value)
    value = int(value)
    return '(-9223372036854775807 - 1)' if value == -2 ** 63 else str(value)


def options(c):
    fields = []
    if c['requires_grad']:
        fields.append('.requires_grad = true')
    if c['grad_fn']:
        fields.append(f'.grad_fn = "{c["grad_fn"]}"')
    for key in PRINT_OPTIONS:  # declaration order, as designated initialisers need
        if key in c['opts']:
            value = c['opts'][key]
            if isinstance(value, bool):
                value = str(value).lower()
            elif value == inf:
                value = 'std::numeric_limits<std::size_t>::max()'
            fields.append(f'.{key} = {value}')
    return '{' + ', '.join(fields) + '}'


def wrapped(items, indent):
    lines, line = [], ''
    for item in items:
        if line and len(indent) + len(line) + len(item) + 2 > 100:
            lines.append(line.rstrip())
            line = ''
        line += item + ', '
    if line:
        lines.append(line.rstrip().rstrip(','))
    return ('\n' + indent).join(lines)


def main():
    assert all(')xtad"' not in c['text'] for c in cases)
    floats = ('float64', 'float32')
    out = [
        f'// Generated by scripts/gen_repr_refs.py (/usr/bin/python3, torch {torch.__version__} from',
        '// Debian python3-torch): what torch prints for each tensor. Do not edit; regenerate with',
        '//     /usr/bin/python3 scripts/gen_repr_refs.py',
        '// Each case: check_repr(name, dtype, shape, values (float dtypes), values (integer and bool',
        '//                       dtypes), repr_options, the text torch prints).',
        f'// {len(cases)} cases.',
    ]
    for c in cases:
        vals = [literal(v, c['dtype']) for v in c['values']]
        shape = '{' + ', '.join(str(n) for n in c['shape']) + '}'
        fvals = '{' + wrapped(vals, '   ') + '}' if c['dtype'] in floats else '{}'
        ivals = '{}' if c['dtype'] in floats else '{' + wrapped(vals, '   ') + '}'
        out.append(f'check_repr("{c["name"]}", dtype::{c["dtype"]}, {shape},\n  {fvals},\n  {ivals},\n'
                   f'  {options(c)},\n  R"xtad({c["text"]})xtad");')
    OUT.write_text('\n'.join(out) + '\n', encoding='utf-8')
    print(f'wrote {len(cases)} cases to {OUT}')


if __name__ == '__main__':
    main()
