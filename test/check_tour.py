#!/usr/bin/env python3
"""Runs xtad-tour and checks that it exits 0 and that its '# Tensors' section prints, cell by
cell, what the expected file says. Later sections of the tour are not looked at.

Usage: check_tour.py XTAD_TOUR EXPECTED_FILE

The expected file holds, after '//' comment lines, one block per cell: a line 'Out[N]:' and the
lines the cell prints. A header 'Out[N] ~TOL:' compares the numbers in the block within TOL
instead of the text, for results that depend on how the BLAS/LAPACK build rounds.
"""
import re
import subprocess
import sys

CELL_IN = re.compile(r'^In \[(\d+)\]:$')
CELL_OUT = re.compile(r'^Out\[(\d+)\](?: ~(\S+))?:$')
NUMBER = re.compile(r'[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)')


def section(lines, title):
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith('# ')), len(lines))
    return lines[start:end]


def outputs(lines):
    """[(cell number, tolerance or None, output lines)] of the Out blocks in lines."""
    cells, current = [], None
    for line in lines:
        out = CELL_OUT.match(line)
        if out:
            current = (int(out[1]), float(out[2]) if out[2] else None, [])
            cells.append(current)
        elif CELL_IN.match(line) or line.startswith(('#', '$$')):
            current = None
        elif current is not None:
            current[2].append(line)
    for _, _, block in cells:
        while block and not block[-1].strip():
            block.pop()
    return cells


def numbers(block):
    return [float(n) for n in NUMBER.findall('\n'.join(block))]


def main():
    tour, expected_path = sys.argv[1:]
    run = subprocess.run([tour], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f'{tour} exited with {run.returncode}:\n{run.stderr}')
    lines = run.stdout.splitlines()
    if '# Tensors' not in lines:
        sys.exit(f'no "# Tensors" section in the output:\n{run.stdout}')
    actual = outputs(section(lines, '# Tensors'))
    with open(expected_path, encoding='utf-8') as f:
        expected = outputs([line for line in f.read().splitlines() if not line.startswith('//')])

    failures = []
    if [n for n, _, _ in actual] != [n for n, _, _ in expected]:
        failures.append(f'cells {[n for n, _, _ in actual]}, expected {[n for n, _, _ in expected]}')
    for (n, _, got), (_, tol, want) in zip(actual, expected):
        if tol is None:
            ok = got == want
        else:
            a, b = numbers(got), numbers(want)
            ok = len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))
        if not ok:
            failures.append(f'Out[{n}]:\n' + '\n'.join(got) + '\nexpected:\n' + '\n'.join(want))
    if failures:
        sys.exit('\n\n'.join(failures))
    print(f'xtad-tour: {len(actual)} Tensors cells as expected')


if __name__ == '__main__':
    main()
