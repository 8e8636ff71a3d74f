#!/usr/bin/env python3
"""Checks that the code shown in docs/*.md is the code of the examples that meson builds and runs.

A fenced block whose info string names a file shows that file, whole or one snippet of it:

    ```cpp examples/tensors.cpp          the whole file
    ```cpp examples/tensors.cpp#solve    the lines between the two '// [solve]' lines, dedented

Usage: check_snippets.py DOCS_DIR [--fix] [--built NAME.cpp ...]
  --fix    rewrite the blocks in the .md files from the sources instead of failing
  --built  the examples the build knows about; each docs/examples/*.cpp must be among them
           (a new example needs 'meson setup --reconfigure' before it is built and run)
"""
import difflib
import pathlib
import re
import sys

OPEN = re.compile(r'^(?P<fence>```+)cpp[ \t]+(?P<file>[^\s#]+)(?:#(?P<snippet>[\w-]+))?[ \t]*$')


def snippet_of(path, name):
    lines = path.read_text(encoding='utf-8').splitlines()
    if name is None:
        return lines
    marks = [i for i, line in enumerate(lines) if line.strip() == f'// [{name}]']
    if len(marks) != 2:
        raise ValueError(f'{path} has {len(marks)} "// [{name}]" lines, not 2')
    body = lines[marks[0] + 1:marks[1]]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return [l[indent:] for l in body]


def check(md, fix):
    """Returns the problems found in one .md file; with fix, rewrites its blocks instead."""
    problems = []
    lines = md.read_text(encoding='utf-8').splitlines()
    out = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        m = OPEN.match(lines[i])
        i += 1
        if not m:
            continue
        end = i
        while end < len(lines) and lines[end].strip() != m['fence']:
            end += 1
        if end == len(lines):
            problems.append(f'{md}: the block opened by "{lines[i - 1]}" is never closed')
            break
        shown = lines[i:end]
        where = f"{md.name}:{i} ({m['file']}{'#' + m['snippet'] if m['snippet'] else ''})"
        try:
            source = snippet_of(md.parent / m['file'], m['snippet'])
        except (OSError, ValueError) as e:
            problems.append(f'{where}: {e}')
            source = shown
        if shown != source and not fix:
            diff = difflib.unified_diff(source, shown, 'source', md.name, lineterm='')
            problems.append(f'{where}: differs from the source:\n' + '\n'.join(diff))
        out.extend(source)
        i = end
    if fix:
        text = '\n'.join(out) + '\n'
        if text != md.read_text(encoding='utf-8'):
            md.write_text(text, encoding='utf-8')
            print(f'rewrote {md}')
    return problems


def main(argv):
    docs = pathlib.Path(argv[1])
    fix = '--fix' in argv
    problems = []
    if '--built' in argv:
        built = set(argv[argv.index('--built') + 1:])
        for example in sorted((docs / 'examples').glob('*.cpp')):
            if example.name not in built:
                problems.append(f'{example} is not built: run meson setup --reconfigure')
    for md in sorted(docs.glob('*.md')):
        problems += check(md, fix)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f'the code in {docs}/*.md matches its sources')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
