#!/usr/bin/env python3
"""What the NVIDIA driver compiled a WGSL pipeline to: register count and, optionally, SASS.

A developer's tool for performance work on an NVIDIA GPU (it is not part of the extension). Run the workload with the
driver's shader disk cache pointed at an empty directory, then read that directory:

    mkdir -p /tmp/glc && __GL_SHADER_DISK_CACHE=1 __GL_SHADER_DISK_CACHE_PATH=/tmp/glc \\
        __GL_SHADER_DISK_CACHE_SKIP_CLEANUP=1 node dist/bench.js --shapes vit3136 --kernels flash-mma --dtype f16
    python3 scripts/nvcache.py /tmp/glc /tmp/glc-out [path/to/nvdisasm]

Each cache file holds zstd frames (the `zstd` command decompresses them; set ZSTD to its path); each frame that holds a
compiled shader is an `NVuc` container whose section table (32-byte entries from 0x20 past the magic: type, size,
offset) has the register count (type 3) and the machine code (type 1). With nvdisasm the code is disassembled for
SM 9.0 (Hopper) into OUTDIR/shaderN.sass. One line per shader: its size, sections and registers.
"""
import os
import struct
import subprocess
import sys

ZSTD_MAGIC = b'\x28\xb5\x2f\xfd'


def frames(data: bytes):
    starts = []
    at = data.find(ZSTD_MAGIC)
    while at >= 0:
        starts.append(at)
        at = data.find(ZSTD_MAGIC, at + 4)
    for i, start in enumerate(starts):
        yield data[start:starts[i + 1] if i + 1 < len(starts) else len(data)]


def sections(blob: bytes, base: int):
    found = []
    for k in range(16):
        at = base + 0x20 + 32 * k
        if at + 32 > len(blob):
            break
        kind, size, offset = struct.unpack_from('<III', blob, at)
        if size == 0 or base + offset + size > len(blob):
            break
        found.append((kind, size, offset))
    return found


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    src, out = sys.argv[1], sys.argv[2]
    disassembler = sys.argv[3] if len(sys.argv) > 3 else None
    zstd = os.environ.get('ZSTD', 'zstd')
    os.makedirs(out, exist_ok=True)
    count = 0
    for root, _, files in os.walk(src):
        for name in sorted(files):
            with open(os.path.join(root, name), 'rb') as f:
                data = f.read()
            for frame in frames(data):
                blob = subprocess.run([zstd, '-d', '-q', '-c'], input=frame, capture_output=True).stdout
                base = blob.find(b'NVuc')
                if base < 0:
                    continue
                count += 1
                secs = sections(blob, base)
                registers = next((struct.unpack_from('<I', blob, base + o)[0] for t, s, o in secs if t == 3 and s >= 4), None)
                print(f'shader{count}: {len(blob)} bytes, sections {secs}, registers {registers}')
                code = next(((o, s) for t, s, o in secs if t == 1), None)
                if code and disassembler:
                    path = os.path.join(out, f'shader{count}')
                    with open(path + '.code', 'wb') as f:
                        f.write(blob[base + code[0]:base + code[0] + code[1]])
                    sass = subprocess.run([disassembler, '-b', 'SM90', '-raw', path + '.code'], capture_output=True, text=True)
                    with open(path + '.sass', 'w') as f:
                        f.write(sass.stdout + sass.stderr)
    print(f'{count} shaders')
    return 0


if __name__ == '__main__':
    sys.exit(main())
