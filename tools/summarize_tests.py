#!/usr/bin/env python3
"""Prints 'N passed, N failed' for a meson test log: doctest's test-case totals for the doctest
suites, and one test each for everything else (header, compile-fail, docs, packaging tests)."""
import json
import re
import sys

TOTALS = re.compile(r'\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed')
passed = failed = 0
with open(sys.argv[1], encoding='utf-8') as log:
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
print(f'{passed} passed, {failed} failed')
