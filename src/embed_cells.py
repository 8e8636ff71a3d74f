#!/usr/bin/env python3
"""Writes the header of xtad-tour's cell sources: every block of tour.cpp between a line
'// [cell N]' and a line '// [end]', in order, as a raw string, so that the tour can print
each cell's code next to its output.

Usage: embed_cells.py tour.cpp tour_cells.hpp
"""
import re
import sys
import textwrap

BEGIN = re.compile(r'^\s*// \[cell (\d+)\]\s*$')
END = re.compile(r'^\s*// \[end\]\s*$')
DELIMITER = 'xtad_cell'


def cells(path):
    found, number, lines = [], None, []
    with open(path, encoding='utf-8') as source:
        for lineno, line in enumerate(source, 1):
            begin, end = BEGIN.match(line), END.match(line)
            if begin:
                if number is not None:
                    sys.exit(f'{path}:{lineno}: cell {begin[1]} starts inside cell {number}')
                number, lines = int(begin[1]), []
            elif end:
                if number is None:
                    sys.exit(f'{path}:{lineno}: // [end] without a // [cell N] before it')
                code = textwrap.dedent(''.join(lines)).strip('\n')
                if f'){DELIMITER}"' in code:
                    sys.exit(f'{path}:{lineno}: cell {number} contains the raw-string delimiter')
                found.append((number, code))
                number = None
            elif number is not None:
                lines.append(line.rstrip() + '\n')
    if number is not None:
        sys.exit(f'{path}: cell {number} has no // [end]')
    if not found:
        sys.exit(f'{path}: no cells')
    return found


def main():
    source, header = sys.argv[1:]
    out = ['// Generated from tour.cpp by embed_cells.py: the code of each cell, in order.',
           '#pragma once', '', 'namespace tour {', '',
           'struct cell_source {', '    int number;', '    const char* code;', '};', '',
           'inline constexpr cell_source cells[] = {']
    for number, code in cells(source):
        out.append(f'    {{{number}, R"{DELIMITER}({code}){DELIMITER}"}},')
    out += ['};', '', '} // namespace tour', '']
    with open(header, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out))


if __name__ == '__main__':
    main()
