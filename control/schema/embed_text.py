#!/usr/bin/env python3
"""Writes a C file defining `const char SYMBOL[]` with a text file's bytes,
NUL-terminated, so the library carries its schema without reading a file.
Usage: embed_text.py SYMBOL INPUT OUTPUT"""
import sys

symbol, source, output = sys.argv[1:4]
data = open(source, 'rb').read()
lines = ['/* Generated from %s by embed_text.py; do not edit. */' % source.split('/')[-1],
         'const char %s[] = {' % symbol]
for offset in range(0, len(data), 12):
    lines.append('\t' + ' '.join('0x%02x,' % b for b in data[offset:offset + 12]))
lines.append('\t0x00')
lines.append('};')
lines.append('const unsigned long %s_length = %d;' % (symbol, len(data)))
open(output, 'w').write('\n'.join(lines) + '\n')
