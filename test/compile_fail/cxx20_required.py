#!/usr/bin/env python3
"""Each public header, compiled in C++17 mode, stops with one sentence: xtad needs C++20.

Usage: cxx20_required.py HEADER... -- COMPILER ARGS...   (ARGS' -std=c++20 becomes -std=c++17)
The first error line must carry the sentence of xtad/core/cxx20.hpp, and the compile must stop
there: a few lines in all, not the thousands that C++17 makes of xtad's concepts.
"""
import re
import subprocess
import sys

SENTENCE = 'xtad needs C++20: compile with -std=c++20 (or /std:c++20)'
MAX_LINES = 12

split = sys.argv.index('--')
headers = sys.argv[1:split]
cmd = [('-std=c++17' if a == '-std=c++20' else a) for a in sys.argv[split + 1:]]
if '-std=c++17' not in cmd:
    sys.exit(f'no -std=c++20 to replace in {cmd}')
failures = []
for header in headers:
    proc = subprocess.run(cmd + ['-x', 'c++', '-'], input=f'#include <{header}>\n',
                          capture_output=True, text=True)
    lines = proc.stderr.splitlines()
    first = next((l for l in lines if re.search(r': (fatal )?error: ', l)), '')
    if proc.returncode == 0:
        failures.append(f'{header}: compiled in C++17 mode')
    elif SENTENCE not in first:
        failures.append(f'{header}: the first error line is not the sentence: {first[:300]}')
    elif len(lines) > MAX_LINES:
        failures.append(f'{header}: {len(lines)} lines of diagnostics, more than {MAX_LINES}:\n'
                        + '\n'.join(lines[:20]))
for f in failures:
    print(f, file=sys.stderr)
if failures:
    sys.exit(1)
print(f'{len(headers)} public headers each stop a C++17 compile with: {SENTENCE}')
