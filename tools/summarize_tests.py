#!/usr/bin/env python3
"""Prints 'N passed, N failed' for one or more meson test logs (testlog.json), summed: doctest's
test-case totals for the doctest suites, and one test each for everything else (header,
compile-fail, docs, packaging tests). A log that does not exist (the build failed before the
tests ran) counts as one failed test.

Usage: summarize_tests.py TESTLOG.json [TESTLOG.json...]"""
import json
import re
import sys

TOTALS = re.compile(r'\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed')


def count(path):
    passed = failed = 0
    with open(path, encoding='utf-8') as log:
        for line in log:
            test = json.loads(line)
            ok = test['result'] in ('OK', 'EXPECTEDFAIL', 'SKIP')
            totals = TOTALS.findall(test.get('stdout') or '')
            if totals:
                _, p, f = map(int, totals[-1])
                passed += p
                failed += f
                if not ok and f == 0:  # crashed or timed out after doctest's totals, or without them
                    failed += 1
            elif test['result'] != 'SKIP':
                passed += ok
                failed += not ok
    return passed, failed


passed = failed = 0
for path in sys.argv[1:]:
    try:
        p, f = count(path)
    except FileNotFoundError:
        print(f'{path}: no test log (the build failed?); counted as 1 failed', file=sys.stderr)
        p, f = 0, 1
    passed += p
    failed += f
print(f'{passed} passed, {failed} failed')
