#!/usr/bin/python3
"""SymPy's derivatives of xtad expressions: writes test/io/sympy_refs.inc, and checks the
derivatives xtad prints against SymPy.

Run with Debian's system Python and its python3-sympy:

    /usr/bin/python3 scripts/gen_sympy_refs.py                  # rewrites test/io/sympy_refs.inc
    /usr/bin/python3 scripts/gen_sympy_refs.py --check FILE     # checks xtad's printed derivatives
    /usr/bin/python3 scripts/gen_sympy_refs.py --check FILE --run EXE [ARGS...]

Each case below is one expression written twice, as xtad C++ and as SymPy, over the leaves a, b
and c, with the interval its random points are drawn from and the leaf of its second derivative.

The .inc file gives test/io/sympy_test_*.cpp, per case, the xtad expression as C++ code (a
generic lambda over the leaves), SymPy's first derivative with respect to each leaf and second
derivative with respect to one leaf, as text (str()) and as C++ code (cxxcode). The test
evaluates xtad::derivative and the SymPy code at random points and compares them (1e-12
relative); it also evaluates both forms of the expression itself, which catches a case whose
two spellings disagree.

--check reads the file the test writes when XTAD_SYMPY_OUT names it (one line per derivative:
id, leaf, order, xtad::to_string of it), parses each formula with sympy.parsing (`^` as the
power, comparisons as Eq/Ne/Lt/..., where() as Piecewise, sigmoid as 1/(1 + exp(-x))), and
asserts that simplify(parsed - sympy's derivative) == 0. xtad prints irrational constants as
doubles (2/sqrt(pi) as 1.1283791670955126); each such number is replaced by the closed form
nsimplify finds for it among pi, log(2) and log(10), which must reproduce it to 1e-15.

xtad's derivatives keep PyTorch's conventions at single points with where() guards: d/dx x^y
is 0 where y == 0, and d/dy x^y is 0 where x == 0 and y >= 0, where SymPy's formula is 0 * x^-1
or 0 * log(0). When simplify cannot remove such a guard, a guard whose condition is an equality
(a set of measure zero) is replaced by its general branch, and the check is made again; the
output says so. Those points are pinned by the edge-case tests, not here.

With --run, the executable is run first (with XTAD_SYMPY_OUT=FILE and only its SymPy test
cases) to write FILE. The exit status is 77 (a skipped test, for meson) when sympy cannot be
imported.

Not covered: sign, clamp, maximum and minimum. Their derivatives are piecewise constant, and
SymPy's are distributions (DiracDelta) or Heaviside steps at the points where xtad follows
torch's choice; the law tests and the edge-case tests check them.
"""
import argparse
import ast
import os
import pathlib
import subprocess
import sys

try:
    import sympy as sp
    from sympy.parsing.sympy_parser import (convert_xor, parse_expr,
                                            standard_transformations)
    from sympy.printing.cxx import CXX17CodePrinter
except ImportError:
    sp = None

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / 'test' / 'io' / 'sympy_refs.inc'
LEAVES = ('a', 'b', 'c')

# id, xtad C++ expression, SymPy expression, interval of the random points, leaf of the second
# derivative. The xtad text is C++ inside `using namespace xtad;` with the leaves a, b, c.
CASES = [
    ('notebook_Q', '3 * pow<3>(a) - pow<2>(b)', '3*a**3 - b**2', (-2, 2), 'a'),
    ('exp_times_log', 'exp(a) * log(b)', 'exp(a)*log(b)', (0.5, 3), 'b'),
    ('exp_of_product', 'exp(-pow<2>(a) * b)', 'exp(-a**2*b)', (-1.5, 1.5), 'a'),
    ('log_of_quotient', 'log(a / b)', 'log(a/b)', (0.5, 3), 'a'),
    ('sqrt_of_sum', 'sqrt(pow<2>(a) + pow<2>(b))', 'sqrt(a**2 + b**2)', (0.3, 2), 'a'),
    ('cbrt_of_product', 'cbrt(a * b)', 'cbrt(a*b)', (0.3, 2), 'b'),
    ('negative_integer_power', 'pow<-2>(a + b)', '(a + b)**-2', (0.5, 2), 'a'),
    ('real_power', 'pow(a, 2.5) * b', 'a**Rational(5, 2)*b', (0.5, 2), 'a'),
    ('expression_power', 'pow(a, b)', 'a**b', (0.5, 2), 'a'),
    ('expression_power_exponent', 'pow(a, sin(b))', 'a**sin(b)', (0.5, 2), 'b'),
    ('number_to_expression_power', 'pow(2., a * b)', '2**(a*b)', (-1, 1), 'a'),
    ('sin_times_cos', 'sin(a) * cos(b)', 'sin(a)*cos(b)', (-2, 2), 'a'),
    ('tan_of_product', 'tan(a * b)', 'tan(a*b)', (-0.7, 0.7), 'a'),
    ('asin_times_acos', 'asin(a) * acos(b)', 'asin(a)*acos(b)', (-0.8, 0.8), 'a'),
    ('acos_of_product', 'acos(a * b)', 'acos(a*b)', (-0.8, 0.8), 'b'),
    ('atan_of_quotient', 'atan(a / b)', 'atan(a/b)', (0.5, 2), 'b'),
    ('atan2', 'atan2(a, b)', 'atan2(a, b)', (0.5, 2), 'a'),
    ('sinh_times_cosh', 'sinh(a) * cosh(b)', 'sinh(a)*cosh(b)', (-1.5, 1.5), 'b'),
    ('tanh_of_difference', 'tanh(a - b)', 'tanh(a - b)', (-1, 1), 'a'),
    ('asinh_of_product', 'asinh(a * b)', 'asinh(a*b)', (-1.5, 1.5), 'a'),
    ('acosh_of_sum', 'acosh(a + b)', 'acosh(a + b)', (0.7, 2), 'b'),
    ('atanh_of_product', 'atanh(a * b)', 'atanh(a*b)', (-0.8, 0.8), 'a'),
    ('sigmoid_of_product', 'sigmoid(a * b)', 'sigmoid(a*b)', (-2, 2), 'a'),
    ('erf_times_leaf', 'erf(a) * b', 'erf(a)*b', (-1.5, 1.5), 'a'),
    ('abs_times_square', 'abs(a) * pow<2>(b)', 'Abs(a)*b**2', (-2, 2), 'b'),
    ('expm1_times_log1p', 'expm1(a) * log1p(b)', 'expm1(a)*log1p(b)', (0.1, 2), 'a'),
    ('log2_plus_log10', 'log2(a) + log10(a * b)', 'log2(a) + log10(a*b)', (0.5, 3), 'a'),
    ('quotient_of_product', 'a / (b * c)', 'a/(b*c)', (0.5, 2), 'c'),
    ('nested', 'sin(exp(a) + sqrt(b)) * log(1. + pow<2>(c))',
     'sin(exp(a) + sqrt(b))*log(1 + c**2)', (0.3, 2), 'a'),
    ('product_of_leaves', 'a * b * c * sin(a)', 'a*b*c*sin(a)', (-2, 2), 'a'),
    ('quotient_of_functions', '(a - b) / (1. + exp(a * c))', '(a - b)/(1 + exp(a*c))', (-1, 1),
     'c'),
]


def functions():
    """xtad's function names, as SymPy expressions (xtad's cbrt is real, SymPy's cbrt the
    principal root: they agree on the positive intervals used with it)."""
    x = sp.Symbol('x')
    return {
        'sigmoid': sp.Lambda(x, 1 / (1 + sp.exp(-x))),
        'expm1': sp.Lambda(x, sp.exp(x) - 1),
        'log1p': sp.Lambda(x, sp.log(1 + x)),
        'log2': sp.Lambda(x, sp.log(x) / sp.log(2)),
        'log10': sp.Lambda(x, sp.log(x) / sp.log(10)),
        'cbrt': sp.cbrt,
        'abs': sp.Abs,
        'where': lambda cond, then, other: sp.Piecewise((then, cond), (other, True)),
        'Eq': sp.Eq, 'Ne': sp.Ne, 'Lt': sp.Lt, 'Le': sp.Le, 'Gt': sp.Gt, 'Ge': sp.Ge,
        'And': sp.And, 'Or': sp.Or,
    }


def symbols(interval):
    """The leaves, real, and positive where the interval is."""
    positive = interval[0] > 0
    return {n: sp.Symbol(n, positive=True) if positive else sp.Symbol(n, real=True)
            for n in LEAVES}


def sympy_expr(text, interval):
    names = dict(functions())
    names.update(symbols(interval))
    return parse_expr(text, local_dict=names, transformations=standard_transformations)


class Case:
    def __init__(self, cid, xtad, sympy_text, interval, second):
        self.id, self.xtad, self.interval, self.second = cid, xtad, interval, second
        self.expr = sympy_expr(sympy_text, interval)
        self.syms = symbols(interval)
        used = {s.name for s in self.expr.free_symbols}
        self.leaves = [n for n in LEAVES if n in used]
        assert second in self.leaves, cid
        self.d1 = {n: sp.diff(self.expr, self.syms[n]) for n in self.leaves}
        self.d2 = sp.diff(self.d1[second], self.syms[second])

    def expected(self, leaf, order):
        return self.d1[leaf] if order == 1 else self.d2


# --- the .inc file ---------------------------------------------------------------------------

def cxx(expr):
    """cxxcode, with the constants of <numbers> and std::log(2) instead of the M_ macros."""
    class Printer(CXX17CodePrinter):
        def _print_Pi(self, expr):
            return 'std::numbers::pi'

        def _print_Exp1(self, expr):
            return 'std::numbers::e'

    code = Printer({'math_macros': {}}).doprint(expr)
    assert 'M_' not in code and 'Not supported' not in code, code
    return code


def cxx_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def lambda_of(case, expr):
    """A captureless lambda (double a, double b, double c) computing `expr`; the leaves it does
    not use are unnamed."""
    used = {s.name for s in expr.free_symbols}
    params = ', '.join('double ' + n if n in used else 'double' for n in LEAVES)
    return '+[](%s) -> double { return %s; }' % (params, cxx(expr))


def generic_lambda(case):
    params = ', '.join('auto const& ' + n if n in case.leaves else 'auto const&' for n in LEAVES)
    return '[](%s) { return %s; }' % (params, case.xtad)


def write_inc(cases):
    lines = [
        '// Generated by scripts/gen_sympy_refs.py (/usr/bin/python3, SymPy %s from Debian' % sp.__version__,
        '// python3-sympy): SymPy\'s derivatives of xtad expressions. Do not edit; regenerate with',
        '//     /usr/bin/python3 scripts/gen_sympy_refs.py',
        '// Each case: sympy_case<index, leaf of the second derivative>, the xtad expression (a',
        '// lambda over the leaves a, b, c), and sympy_case_data: id, interval of the random points,',
        '// the expression as xtad and SymPy text, SymPy\'s value, first derivatives (per leaf,',
        '// "" / nullptr for a leaf not used) and second derivative, as str() and as cxxcode.',
        '// %d cases.' % len(cases),
    ]
    for k, case in enumerate(cases):
        d1_text = ', '.join(cxx_string(str(case.d1[n])) if n in case.d1 else '""' for n in LEAVES)
        d1_code = ', '.join(lambda_of(case, case.d1[n]) if n in case.d1 else 'nullptr'
                            for n in LEAVES)
        lines += [
            "sympy_case<%d, '%s'>(%s," % (k, case.second, generic_lambda(case)),
            '  sympy_case_data{%s, %r, %r, %s, %s,' % (
                cxx_string(case.id), float(case.interval[0]), float(case.interval[1]),
                cxx_string(case.xtad), cxx_string(str(case.expr))),
            '    %s,' % lambda_of(case, case.expr),
            '    {%s},' % d1_text,
            '    {%s},' % d1_code,
            '    %s,' % cxx_string(str(case.d2)),
            '    %s});' % lambda_of(case, case.d2),
        ]
    OUT.write_text('\n'.join(lines) + '\n')
    print('wrote %s (%d cases)' % (OUT.relative_to(REPO), len(cases)))


# --- checking xtad's printed derivatives -----------------------------------------------------

class ToSymPy(ast.NodeTransformer):
    """Python's reading of a formula made SymPy's: a == b as Eq(a, b) and x & y as And(x, y)
    (Python would compare SymPy objects structurally and give True or False), and each decimal
    number as the exact constant it is a double of (1.1283791670955126 as 2/sqrt(pi)), so that
    parse_expr does not fold the numbers into one Float. The constants are names bound in
    `numbers`."""
    RELATIONS = {ast.Eq: 'Eq', ast.NotEq: 'Ne', ast.Lt: 'Lt', ast.LtE: 'Le', ast.Gt: 'Gt',
                 ast.GtE: 'Ge'}

    def __init__(self):
        self.numbers = {}

    def visit_Compare(self, node):
        self.generic_visit(node)
        assert len(node.ops) == 1, 'a chained comparison: ' + ast.unparse(node)
        name = self.RELATIONS[type(node.ops[0])]
        return ast.Call(ast.Name(name, ast.Load()), [node.left, node.comparators[0]], [])

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            name = 'And' if isinstance(node.op, ast.BitAnd) else 'Or'
            return ast.Call(ast.Name(name, ast.Load()), [node.left, node.right], [])
        return node

    def visit_Constant(self, node):
        if not isinstance(node.value, float):
            return node
        # One constant at a time (nsimplify given several finds spurious combinations of
        # them); of the forms that reproduce the double, the shortest.
        forms = [sp.nsimplify(sp.Float(node.value), constants)
                 for constants in ([], [sp.pi], [sp.log(2)], [sp.log(10)])]
        forms = [f for f in forms if abs(float(f) - node.value) <= 1e-15 * abs(node.value)]
        assert forms, 'no closed form for %r' % node.value
        exact = min(forms, key=lambda f: len(str(f)))
        name = '_number%d' % len(self.numbers)
        self.numbers[name] = exact
        return ast.Name(name, ast.Load())


def parse_xtad(text, interval):
    """xtad::to_string's formula as a SymPy expression."""
    # `^` is the power (convert_xor), made explicit before Python's parser sees it, for whom it
    # would be an xor binding less tightly than * and +.
    to_sympy = ToSymPy()
    tree = to_sympy.visit(ast.parse(text.replace('^', '**'), mode='eval'))
    names = dict(functions())
    names.update(symbols(interval))
    names.update(to_sympy.numbers)
    return parse_expr(ast.unparse(tree), local_dict=names,
                      transformations=standard_transformations + (convert_xor,))


def without_point_guards(expr):
    """Each Piecewise whose special branches hold on equalities only, replaced by its general
    branch."""
    def is_point(cond):
        if isinstance(cond, sp.Eq):
            return True
        return isinstance(cond, sp.And) and any(isinstance(c, sp.Eq) for c in cond.args)

    def general(pw):
        *special, (value, last) = pw.args
        if last == sp.true and all(is_point(c) for _, c in special):
            return value
        return pw
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), general)


def is_zero(expr):
    """simplify(expr) == 0, or, where simplify leaves radicals it cannot combine (sqrt(x^2 - 1)
    against sqrt(x - 1)*sqrt(x + 1)), simplify(factor(expr)) == 0."""
    return sp.simplify(expr) == 0 or sp.simplify(sp.factor(expr)) == 0


def check(path, cases):
    by_id = {c.id: c for c in cases}
    wanted = {(c.id, n, 1) for c in cases for n in c.leaves} | {(c.id, c.second, 2)
                                                                for c in cases}
    seen = set()
    failures = 0
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip():
            continue
        cid, leaf, order, text = line.split('\t')
        order = int(order)
        case = by_id[cid]
        key = (cid, leaf, order)
        assert key not in seen, 'twice: %s' % (key,)
        seen.add(key)
        expected = case.expected(leaf, order)
        parsed = parse_xtad(text, case.interval)
        how = 'equal'
        if not is_zero(parsed - expected):
            how = 'equal but at guarded points'
            if not is_zero(without_point_guards(parsed) - expected):
                how = None
        label = '%s d%s/d%s%s' % (cid, '' if order == 1 else '2', leaf, '' if order == 1 else '2')
        if how is None:
            failures += 1
            print('FAIL %s: xtad %s, SymPy %s' % (label, text, expected))
        else:
            print('ok   %s: %s (%s)' % (label, text, how))
    missing = wanted - seen
    for key in sorted(missing):
        print('MISSING %s d/d%s order %d: not in %s' % (key[0], key[1], key[2], path))
    print('%d derivatives checked, %d failed, %d missing' % (len(seen), failures, len(missing)))
    return failures == 0 and not missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', metavar='FILE', help="check xtad's printed derivatives in FILE")
    parser.add_argument('--run', nargs=argparse.REMAINDER, metavar='EXE',
                        help='first run EXE [ARGS...] to write FILE')
    args = parser.parse_args()
    if sp is None:
        print('sympy cannot be imported by %s: skipped' % sys.executable)
        return 77
    cases = [Case(*c) for c in CASES]
    if not args.check:
        write_inc(cases)
        return 0
    if args.run:
        if os.path.exists(args.check):
            os.remove(args.check)
        env = dict(os.environ, XTAD_SYMPY_OUT=os.path.abspath(args.check))
        done = subprocess.run(args.run, env=env)
        if done.returncode != 0:
            print('%s failed (%d)' % (' '.join(args.run), done.returncode))
            return 1
    return 0 if check(args.check, cases) else 1


if __name__ == '__main__':
    sys.exit(main())
