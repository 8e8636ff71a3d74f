#!/usr/bin/env python3
"""Compile one file that must not compile, and check the compiler names the expected message.

Usage: run.py FILE -- COMPILER ARGS...
The file carries one or more '// expect: TEXT' lines; each TEXT must appear in the diagnostics.
"""
import subprocess
import sys

path = sys.argv[1]
cmd = sys.argv[sys.argv.index('--') + 1:]
with open(path, encoding='utf-8') as f:
    expected = [line.split('// expect:', 1)[1].strip() for line in f if '// expect:' in line]
if not expected:
    sys.exit(f'{path}: no "// expect:" line')
proc = subprocess.run(cmd + [path], capture_output=True, text=True)
if proc.returncode == 0:
    sys.exit(f'{path}: compiled, but it must not')
missing = [e for e in expected if e not in proc.stderr]
if missing:
    sys.stderr.write(proc.stderr[-4000:])
    sys.exit(f'{path}: the diagnostics do not say: {missing}')
print(f'{path}: fails to compile, as it must, saying {expected}')
