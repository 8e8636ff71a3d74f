#!/usr/bin/env python3
"""Runs xtad-tour and checks that it exits 0 and that each section named by an expected file
prints, cell by cell, what that file says. Sections no expected file names are not looked at.

Usage: check_tour.py XTAD_TOUR EXPECTED_FILE...

Every tour_expected_*.txt beside a named file is checked too, so that a new section needs only
its file. An expected file names its section in a line '// section: # TITLE' (the tour's heading line);
a section runs from its heading to the next '# ' heading, its '## ' subsections included. After
'//' comment lines, the file holds one block per cell, in the tour's order: a line 'Out[N]:' and
the lines the cell prints (none for a cell that prints nothing). A header 'Out[N] ~TOL:' compares
the numbers in the block within TOL instead of the text, for results that depend on how the
BLAS/LAPACK build rounds. The section's cells must be exactly the file's: a cell added to the
section needs its output added to the file.
"""
import pathlib
import re
import subprocess
import sys

CELL_IN = re.compile(r'^In \[(\d+)\]:$')
CELL_OUT = re.compile(r'^Out\[(\d+)\](?: ~(\S+))?:$')
SECTION = re.compile(r'^// section: (# .+)$')
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


def check_section(lines, expected_path):
    """The failures of one expected file against the tour's output lines, and its section."""
    with open(expected_path, encoding='utf-8') as f:
        text = f.read().splitlines()
    titles = [m[1] for m in map(SECTION.match, text) if m]
    if len(titles) != 1:
        return [f'{expected_path}: needs one "// section: # TITLE" line, has {len(titles)}'], None
    title = titles[0]
    if title not in lines:
        return [f'no "{title}" section in the output'], title
    actual = outputs(section(lines, title))
    expected = outputs([line for line in text if not line.startswith('//')])

    failures = []
    if [n for n, _, _ in actual] != [n for n, _, _ in expected]:
        failures.append(f'{title}: cells {[n for n, _, _ in actual]}, expected '
                        f'{[n for n, _, _ in expected]} ({expected_path})')
    for (n, _, got), (_, tol, want) in zip(actual, expected):
        if tol is None:
            ok = got == want
        else:
            a, b = numbers(got), numbers(want)
            ok = len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))
        if not ok:
            failures.append(f'{title}, Out[{n}]:\n' + '\n'.join(got) + '\nexpected:\n'
                            + '\n'.join(want))
    return failures, f'{len(actual)} cells of "{title}"'


def main():
    tour, *named = sys.argv[1:]
    if not named:
        sys.exit(__doc__)
    expected_paths = []
    for n in map(pathlib.Path, named):
        for p in [n, *sorted(n.parent.glob('tour_expected_*.txt'))]:
            if p.resolve() not in expected_paths:
                expected_paths.append(p.resolve())
    run = subprocess.run([tour], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f'{tour} exited with {run.returncode}:\n{run.stderr}')
    lines = run.stdout.splitlines()
    failures, checked = [], []
    for path in expected_paths:
        f, what = check_section(lines, path)
        failures += f
        checked.append(what)
    if failures:
        sys.exit('\n\n'.join(failures) + f'\n\nthe output was:\n{run.stdout}')
    print('xtad-tour: as expected: ' + ', '.join(checked))


if __name__ == '__main__':
    main()
