#!/usr/bin/env python3
"""Where a compiled WGSL kernel spends its instructions: the loops of an nvdisasm listing and what is in each.

A developer's tool for performance work on an NVIDIA GPU (not part of the extension), the companion of nvcache.py,
which writes OUTDIR/shaderN.sass. For each loop (a branch back to an earlier address; nested loops are listed
apart) this prints its address range, its instruction count and the count of each class of instruction in it:
matrix products (HMMA), workgroup-memory loads and stores (LDS, LDSM, STS), global loads and stores (LDG, STG),
local memory (LDL, STL: spills), barriers (BAR), special functions (MUFU: exp2, reciprocal), conversions (F2F, I2F,
F2I, F2FP), byte permutes (PRMT), moves, branches and the rest. The loop of a kernel's tiles is normally the
largest; its line says what one iteration issues per warp.

    python3 scripts/sassloops.py OUTDIR/shader5.sass [more.sass ...]
"""
import re
import sys
from collections import Counter

# `/*0a30*/  @!P0 HMMA.16816.F32 R8, R4, R2, R8 ;` — the address, an optional predicate, the opcode with its modifiers.
LINE = re.compile(r'/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)(\.[A-Z0-9_.]+)?\s*(.*?);')
TARGET = re.compile(r'`?\(?\.L_x_(\d+)\)?|0x([0-9a-f]+)')
LABEL = re.compile(r'^\.L_x_(\d+):')

CLASSES = [
    ('HMMA', ('HMMA',)),
    ('LDS', ('LDS', 'LDSM')),
    ('STS', ('STS',)),
    ('LDG', ('LDG',)),
    ('STG', ('STG',)),
    ('LDL/STL', ('LDL', 'STL')),
    ('BAR', ('BAR',)),
    ('MUFU', ('MUFU',)),
    ('cvt', ('F2F', 'I2F', 'F2I', 'F2FP', 'I2FP', 'F2IP')),
    ('PRMT', ('PRMT',)),
    ('mov', ('MOV', 'IMAD.MOV', 'UMOV', 'S2R', 'S2UR', 'CS2R')),
    ('branch', ('BRA', 'BSSY', 'BSYNC', 'EXIT', 'WARPSYNC', 'CALL', 'RET')),
]


def classify(op: str, mods: str) -> str:
    full = op + (mods or '')
    for name, ops in CLASSES:
        for o in ops:
            if full == o or full.startswith(o + '.') or op == o:
                return name
    return 'other'


def parse(text: str):
    """The instructions (address, opcode, class, operands) and the label addresses of a listing."""
    instrs = []
    labels = {}
    pending = []
    for raw in text.splitlines():
        line = raw.strip()
        m = LABEL.match(line)
        if m:
            pending.append(m.group(1))
            continue
        m = LINE.search(line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        for label in pending:
            labels[label] = addr
        pending = []
        instrs.append((addr, m.group(2), classify(m.group(2), m.group(3) or ''), m.group(4)))
    return instrs, labels


def loops(instrs, labels):
    """(start, end) address pairs of every branch back to an earlier address, innermost first by size."""
    found = set()
    for addr, op, _, operands in instrs:
        if op != 'BRA':
            continue
        m = TARGET.search(operands)
        if not m:
            continue
        target = labels.get(m.group(1)) if m.group(1) else int(m.group(2), 16)
        if target is not None and target <= addr:
            found.add((target, addr))
    return sorted(found, key=lambda r: (r[1] - r[0], r[0]))


def report(path: str) -> None:
    with open(path) as f:
        instrs, labels = parse(f.read())
    print(f'{path}: {len(instrs)} instructions')
    for start, end in loops(instrs, labels):
        body = [c for a, _, c, _ in instrs if start <= a <= end]
        counts = Counter(body)
        order = [name for name, _ in CLASSES] + ['other']
        parts = ', '.join(f'{name} {counts[name]}' for name in order if counts[name])
        print(f'  loop {start:#06x}–{end:#06x}: {len(body)} instructions — {parts}')


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        report(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
