/**
 * A PyTorch row's memory timeline: the script's memory_trace (run by a real Python on snapshot-shaped dicts, as
 * torch.cuda.memory._snapshot() returns them with history recorded) and torchMemory.ts, which turns its output into
 * the report's memory events. The recording itself needs CUDA and PyTorch ≥ 2.1 (the H200: `npm run bench`); on
 * CPU the row says so in one sentence (test/unit/torch/bridge.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { memoryPeakText, shiftEvents, torchMemoryEvents, traceFault } from '../../../extension/engine/torchMemory';
import type { TorchMemoryTrace } from '../../../extension/protocol/python';
import { buildMemoryModel } from '../../../extension/report/memory-model';
import { repoPath } from '../model/helpers';
import { kernelResult, problem, sampleReport, workload } from '../helpers';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

interface TraceArgs {
  snapshot: unknown;
  marks: { start: number; end: number; mid: number | null };
  before: [string, string, number][];
  after: Record<string, [string, string]>;
  wall?: [number, number];
}

/** The shipped script's memory_trace, in a real Python (it imports the script as a module: no protocol, no torch needed). */
function memoryTrace(args: TraceArgs): TorchMemoryTrace | { error: string } {
  const code = [
    'import sys, json',
    `sys.path.insert(0, ${JSON.stringify(repoPath('dist'))})`,
    'import attnprof_torch as a',
    'x = json.load(sys.stdin)',
    'try:',
    "    print(json.dumps(a.memory_trace(x['snapshot'], 0, x['marks'], x['before'], {int(k): tuple(v) for k, v in x['after'].items()}, x.get('wall'))))",
    'except ValueError as e:',
    "    print(json.dumps({'error': str(e)}))",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify(args), encoding: 'utf8', cwd: repoPath('') });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as TorchMemoryTrace | { error: string };
}

// A problem of B=1, Hq=2, Nq=Nk=64 in bf16: S is 8192 elements, 16 KiB in bf16 and 32 KiB as float32.
const shape = { scoreElements: 1 * 2 * 64 * 64, elementBytes: 2 };
const T0 = 1_700_000_000_000_000; // time_us: microseconds since the epoch, as PyTorch's allocator stamps them
const entry = (action: string, addr: number, size: number, dt: number) => ({ action, addr, size, stream: 0, time_us: T0 + dt, frames: [] });
const START = 0x7f0000000000;
const END = 0x7f0000000200;
const MID = 0x7f0000000400;

/** Eager attention's forward as the allocator saw it, after an earlier call that used the same addresses. */
function forwardSnapshot() {
  return {
    segments: [{ device: 0, address: 0x7f0000000000, total_size: 2097152, stream: 0, segment_type: 'small', blocks: [] }],
    device_traces: [[
      entry('segment_alloc', 0x7f0000000000, 2097152, -900),
      entry('alloc', 0x7f1000000000, 16384, -800), // an earlier call's S at an address this call reuses
      entry('free_requested', 0x7f1000000000, 16384, -700),
      entry('free_completed', 0x7f1000000000, 16384, -700),
      entry('alloc', START, 512, -600), // an earlier start mark: not this call's
      entry('free_requested', START, 512, -590),
      entry('free_completed', START, 512, -590),
      entry('alloc', START, 512, 0),
      entry('alloc', 0x7f1000000000, 16384, 5), // S = QKᵀ (bf16)
      entry('alloc', 0x7f1000004000, 16384, 9), // S·scale
      entry('free_requested', 0x7f1000000000, 16384, 10),
      entry('free_completed', 0x7f1000000000, 16384, 10),
      entry('alloc', 0x7f1000008000, 32768, 14), // softmax in float32
      entry('free_requested', 0x7f1000004000, 16384, 15),
      entry('free_completed', 0x7f1000004000, 16384, 15),
      entry('alloc', 0x7f1000000000, 8192, 20), // O [1,2,64,32] bf16, at the first S's address
      entry('free_requested', 0x7f1000008000, 32768, 24),
      entry('free_completed', 0x7f1000008000, 32768, 24),
      entry('free_requested', 0x7f2000000000, 4096, 26), // a block from before the call: not this call's memory
      entry('alloc', 0x7f1000010000, 1000, 30), // workspace the backend keeps
      entry('alloc', END, 512, 400),
      entry('snapshot', 0, 0, 401),
    ]],
  };
}

const forwardArgs = (): TraceArgs => ({
  snapshot: forwardSnapshot(),
  marks: { start: START, end: END, mid: null },
  before: [['Q', 'input', 8192], ['K', 'input', 8192], ['V', 'input', 8192], ['mask (boolean, materialised)', 'input', 4096]],
  after: { [String(0x7f1000000000)]: ['O', 'output'] },
  wall: [(T0 - 50) as number, (T0 + 1000) as number],
});

describe('the script\'s memory_trace on a snapshot-shaped dict', () => {
  test('forward: the call between the marks, earlier history and frees of older blocks left out, tensors named', () => {
    const t = memoryTrace(forwardArgs());
    assert.ok(!('error' in t), JSON.stringify(t));
    assert.deepEqual(t.blocks, [
      { bytes: 8192, name: 'Q', role: 'input', before: true },
      { bytes: 8192, name: 'K', role: 'input', before: true },
      { bytes: 8192, name: 'V', role: 'input', before: true },
      { bytes: 4096, name: 'mask (boolean, materialised)', role: 'input', before: true },
      { bytes: 16384 },
      { bytes: 16384 },
      { bytes: 32768 },
      { bytes: 8192, after: true, name: 'O', role: 'output' },
      { bytes: 1000, after: true },
    ]);
    assert.deepEqual(t.events, [
      { kind: 'alloc', block: 4, us: 5 },
      { kind: 'alloc', block: 5, us: 9 },
      { kind: 'free', block: 4, us: 10 },
      { kind: 'alloc', block: 6, us: 14 },
      { kind: 'free', block: 5, us: 15 },
      { kind: 'alloc', block: 7, us: 20 },
      { kind: 'free', block: 6, us: 24 },
      { kind: 'alloc', block: 8, us: 30 },
    ]);
    assert.equal(t.endUs, 400);
    assert.equal(t.forwardEndUs, undefined);
  });

  test('a clock in nanoseconds is recognised against the wall-clock bracket', () => {
    const snap = forwardSnapshot();
    for (const e of snap.device_traces[0]) e.time_us = (e.time_us - T0) * 1000 + T0 * 1000;
    const t = memoryTrace({ ...forwardArgs(), snapshot: snap });
    assert.ok(!('error' in t));
    assert.equal(t.endUs, 400);
    assert.deepEqual(t.events[0], { kind: 'alloc', block: 4, us: 5 });
  });

  test('a history without the start of the call, or without times, is one sentence', () => {
    const dropped = forwardSnapshot();
    dropped.device_traces[0] = dropped.device_traces[0].filter((e) => !(e.action === 'alloc' && e.addr === START));
    assert.deepEqual(memoryTrace({ ...forwardArgs(), snapshot: dropped }), { error: "the allocator's history does not hold the whole call (its ring buffer dropped the start)" });
    const untimed = forwardSnapshot();
    for (const e of untimed.device_traces[0]) delete (e as { time_us?: number }).time_us;
    assert.deepEqual(memoryTrace({ ...forwardArgs(), snapshot: untimed }), { error: "this PyTorch's allocator history carries no event times (time_us)" });
  });
});

/** A training step: the forward keeps P for the backward (freed there), the backward allocates dQ, dK, dV. */
function trainArgs(): TraceArgs {
  return {
    snapshot: {
      segments: [],
      device_traces: [[
        entry('alloc', START, 512, 0),
        entry('alloc', 0x7f1000000000, 16384, 3), // S (bf16), freed in the forward
        entry('alloc', 0x7f1000004000, 32768, 6), // P (float32), saved for the backward
        entry('free_requested', 0x7f1000000000, 16384, 7),
        entry('alloc', 0x7f1000010000, 8192, 8), // O
        entry('alloc', MID, 512, 10),
        entry('alloc', 0x7f1000020000, 8192, 12), // dQ
        entry('alloc', 0x7f1000030000, 2048, 13), // backward workspace
        entry('free_requested', 0x7f1000030000, 2048, 14),
        entry('alloc', 0x7f1000040000, 4096, 15), // dK
        entry('alloc', 0x7f1000050000, 4096, 16), // dV
        entry('free_requested', 0x7f1000004000, 32768, 17), // P released after the backward used it
        entry('alloc', END, 512, 90),
      ]],
    },
    marks: { start: START, end: END, mid: MID },
    before: [['Q', 'input', 8192], ['K', 'input', 4096], ['V', 'input', 4096], ['dO', 'gradient', 8192]],
    after: {
      [String(0x7f1000010000)]: ['O', 'output'],
      [String(0x7f1000020000)]: ['dQ', 'gradient'],
      [String(0x7f1000040000)]: ['dK', 'gradient'],
      [String(0x7f1000050000)]: ['dV', 'gradient'],
    },
  };
}

describe('torchMemory: the trace as the report\'s memory events', () => {
  test('forward: inputs at 0, S-sized blocks as scores, the rest workspace, everything freed at the end', () => {
    const t = memoryTrace(forwardArgs()) as TorchMemoryTrace;
    const events = torchMemoryEvents(t, 'torch:eager', shape);
    assert.deepEqual(
      events.map((e) => [e.kind, e.label, e.role, e.bytes, e.timeMs, e.liveBytes]),
      [
        ['alloc', 'Q', 'input', 8192, 0, 8192],
        ['alloc', 'K', 'input', 8192, 0, 16384],
        ['alloc', 'V', 'input', 8192, 0, 24576],
        ['alloc', 'mask (boolean, materialised)', 'input', 4096, 0, 28672],
        ['alloc', 'S/P (B·Hq·Nq·Nk)', 'scores', 16384, 0.005, 45056],
        ['alloc', 'S/P (B·Hq·Nq·Nk)', 'scores', 16384, 0.009, 61440],
        ['free', 'S/P (B·Hq·Nq·Nk)', 'scores', 16384, 0.01, 45056],
        ['alloc', 'S/P (B·Hq·Nq·Nk)', 'scores', 32768, 0.014, 77824],
        ['free', 'S/P (B·Hq·Nq·Nk)', 'scores', 16384, 0.015, 61440],
        ['alloc', 'O', 'output', 8192, 0.02, 69632],
        ['free', 'S/P (B·Hq·Nq·Nk)', 'scores', 32768, 0.024, 36864],
        ['alloc', 'workspace (live after the call)', 'scratch', 1000, 0.03, 37864],
        ['free', 'O', 'output', 8192, 0.4, 29672],
        ['free', 'workspace (live after the call)', 'scratch', 1000, 0.4, 28672],
        ['free', 'Q', 'input', 8192, 0.4, 20480],
        ['free', 'K', 'input', 8192, 0.4, 12288],
        ['free', 'V', 'input', 8192, 0.4, 4096],
        ['free', 'mask (boolean, materialised)', 'input', 4096, 0.4, 0],
      ],
    );
    assert.ok(events.every((e) => e.phase === 'torch:eager'));
    assert.equal(new Set(events.filter((e) => e.kind === 'alloc').map((e) => e.id)).size, 9, 'one id per block');
    assert.equal(memoryPeakText(events), 'peak 76 KiB (input 28 KiB, scores 48 KiB)');
  });

  test('train: what the forward keeps past its end is saved for the backward; dO and dQ, dK, dV are gradients', () => {
    const t = memoryTrace(trainArgs()) as TorchMemoryTrace;
    assert.equal(t.forwardEndUs, 10);
    const events = torchMemoryEvents(t, 'torch:eager', shape);
    const roleOf = (label: string) => events.find((e) => e.label === label)?.role;
    assert.equal(roleOf('dO'), 'gradient');
    assert.equal(roleOf('dQ'), 'gradient');
    assert.equal(roleOf('dV'), 'gradient');
    assert.equal(roleOf('saved for backward (P, B·Hq·Nq·Nk)'), 'saved');
    assert.deepEqual(events.filter((e) => e.role === 'scores').map((e) => [e.kind, e.bytes]), [['alloc', 16384], ['free', 16384]], 'S freed inside the forward is not saved');
    assert.deepEqual(events.filter((e) => e.role === 'scratch').map((e) => [e.kind, e.label, e.timeMs]), [['alloc', 'workspace', 0.013], ['free', 'workspace', 0.014]]);
    assert.equal(events.at(-1)?.liveBytes, 0);
    assert.equal(memoryPeakText(events), 'peak 80 KiB (input 16 KiB, gradient 24 KiB, saved 32 KiB, output 8 KiB)');
  });

  test('a malformed trace is refused with the reason', () => {
    const t = memoryTrace(forwardArgs()) as TorchMemoryTrace;
    assert.match(traceFault({ ...t, events: [...t.events, { kind: 'free', block: 4, us: 500 }] }) ?? '', /block 4 is freed while not live/);
    assert.match(traceFault({ ...t, events: [{ kind: 'alloc', block: 99, us: 1 }] }) ?? '', /names block 99/);
    assert.match(traceFault({ ...t, events: [t.events[1], t.events[0]] }) ?? '', /out of time order/);
    assert.throws(() => torchMemoryEvents({ ...t, blocks: [{ bytes: -1 }] }, 'torch:eager', shape), /the memory trace is malformed: block 0 has no size\./);
  });

  test('placed after our kernels\' timeline, the report\'s memory model reads both without a warning', () => {
    const events = torchMemoryEvents(memoryTrace(trainArgs()) as TorchMemoryTrace, 'torch:sdpa-math', shape);
    const w = workload('shape', [kernelResult('flash', [['fused', 0.25]]), kernelResult('torch:sdpa-math', [['attention', 0.1]])], problem({ batch: 1, heads: 2, kvHeads: 2, seqLenQ: 64, seqLenK: 64 }));
    const last = w.memory.at(-1);
    assert.ok(last);
    const placed = shiftEvents(events, last.timeMs + 1, Math.max(...w.memory.map((e) => e.id)), last.liveBytes);
    w.memory = [...w.memory, ...placed];
    const model = buildMemoryModel(sampleReport([w]));
    assert.deepEqual(model.warnings, []);
    const phase = model.phases.find((p) => p.name === 'torch:sdpa-math');
    assert.ok(phase, model.phases.map((p) => p.name).join(', '));
    assert.equal(phase.peakBytes, 80 * 1024 + last.liveBytes);
    assert.ok(model.roles.includes('saved') && model.roles.includes('gradient'));
  });
});
