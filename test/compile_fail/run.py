#!/usr/bin/env python3
"""Compile one file that must not compile, and check the compiler names the mistake in one sentence.

Usage: run.py FILE -- COMPILER ARGS...
The file carries one or more '// expect: TEXT' lines; each TEXT must appear in the diagnostics,
and the first must appear in the first error line. That line's message (after 'error: ' and a
'static assertion failed: ') is the sentence a user reads first: at most MAX_PROSE characters,
so no type names crowd it out. The compile must report exactly one error, so that no cascade
follows it, unless the file says '// errors: N' for a cascade not removed yet.
"""
import re
import subprocess
import sys

MAX_PROSE = 200
ERROR = re.compile(r': (?:fatal )?error: (?:static assertion failed: )?(.*)$')

path = sys.argv[1]
cmd = sys.argv[sys.argv.index('--') + 1:]
with open(path, encoding='utf-8') as f:
    lines = f.read().splitlines()
expected = [line.split('// expect:', 1)[1].strip() for line in lines if '// expect:' in line]
counts = [int(line.split('// errors:', 1)[1]) for line in lines if '// errors:' in line]
errors_allowed = counts[0] if counts else 1
if not expected:
    sys.exit(f'{path}: no "// expect:" line')
proc = subprocess.run(cmd + [path], capture_output=True, text=True)
if proc.returncode == 0:
    sys.exit(f'{path}: compiled, but it must not')
errors = [m.group(1) for m in map(ERROR.search, proc.stderr.splitlines()) if m]
missing = [e for e in expected if e not in proc.stderr]
failures = []
if missing:
    failures.append(f'the diagnostics do not say: {missing}')
if not errors:
    failures.append('no error line in the diagnostics')
else:
    if expected[0] not in errors[0]:
        failures.append(f'the first error line does not say {expected[0]!r}: {errors[0][:300]!r}')
    if len(errors[0]) > MAX_PROSE:
        failures.append(f'the first error message has {len(errors[0])} characters, more than '
                        f'{MAX_PROSE}: {errors[0][:300]!r}')
    if len(errors) != errors_allowed:
        failures.append(f'{len(errors)} errors, not {errors_allowed}; the second: '
                        f'{errors[1:2]!r:.300}')
if failures:
    sys.stderr.write(proc.stderr[-4000:])
    sys.exit('\n'.join(f'{path}: {f}' for f in failures))
print(f'{path}: fails to compile, as it must, with {len(errors)} error(s), the first of '
      f'{len(errors[0])} characters, in {len(proc.stderr.splitlines())} lines of diagnostics, '
      f'saying {expected}')
