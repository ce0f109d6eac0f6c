/** The PyTorch bridge's pure parts: dtype from configs, bf16 rounding, the protocol parser, the report's two engines. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradientSample, launchBoundNote, roundToBf16, torchBytesMoved, torchFlops } from '../../../extension/engine/torchBridge';
import { configTorchDtype, parseTorchDtype } from '../../../extension/engine/torchDtype';
import { parseFromTorch, torchBackendOf } from '../../../extension/protocol/python';
import { entryOf, measuredText } from '../../../extension/hints/reportEntry';
import { readSettings } from '../../../extension/hints/settings';
import { summaryRows, summaryTable } from '../../../extension/report/summary';
import { buildRooflineModel } from '../../../extension/report/roofline-model';
import { attentionFlops } from '../../../kernels/problem';
import { kernelResult, problem, sampleReport, workload } from '../helpers';

describe('dtype', () => {
  test("a config's torch_dtype, training flags and torch.* constants", () => {
    assert.equal(configTorchDtype('{ "model_type": "qwen2", "torch_dtype": "bfloat16" }'), 'bf16');
    assert.equal(configTorchDtype('{"dtype": "torch.float16"}'), 'f16');
    assert.equal(configTorchDtype('{"torch_dtype": "float32"}'), 'f32');
    assert.equal(configTorchDtype('{"torch_dtype": "auto"}'), undefined);
    assert.equal(configTorchDtype('cutoff_len: 2048\nbf16: true\n'), 'bf16');
    assert.equal(configTorchDtype('torchrun train.py --fp16 \\\n  --model x'), 'f16');
    assert.equal(configTorchDtype('DTYPE = torch.bfloat16\nNUM_HEADS = 12'), 'bf16');
    assert.equal(configTorchDtype('NUM_HEADS = 12'), undefined);
    assert.equal(parseTorchDtype('bf16'), 'bf16');
    assert.equal(parseTorchDtype('fp16'), 'f16');
    assert.equal(parseTorchDtype('int8'), undefined);
  });

  test('bf16 rounds to nearest even, as PyTorch casts', () => {
    const x = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9, -2.5, 3.0e38, Number.NaN]);
    const y = roundToBf16(x);
    assert.equal(y[0], 1);
    assert.equal(y[1], 1, 'a tie rounds to the even mantissa (down)');
    assert.equal(y[2], 1 + 4 * 2 ** -8, 'a tie rounds to the even mantissa (up)');
    assert.equal(y[3], 1);
    assert.equal(y[4], -2.5);
    assert.ok(Number.isFinite(y[5]) || y[5] === Infinity);
    assert.ok(Number.isNaN(y[6]));
  });

  test('training counts 3.5× the forward FLOPs and the gradient traffic', () => {
    const p = problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 8, seqLenK: 8, headDim: 32 });
    assert.equal(torchFlops(p, 'fwd'), attentionFlops(p));
    assert.equal(torchFlops(p, 'train'), 3.5 * attentionFlops(p));
    const q = 2 * 4 * 8 * 32;
    const kv = 2 * 2 * 8 * 32;
    assert.equal(torchBytesMoved(p, 'bf16', 'fwd'), (2 * q + 2 * kv) * 2);
    assert.equal(torchBytesMoved(p, 'f32', 'train'), (6 * q + 6 * kv) * 4);
  });
});

describe('protocol', () => {
  test('well-formed lines parse; anything else is refused', () => {
    assert.equal(parseFromTorch('{"type":"progress","id":3,"message":"eager: warming up","backend":"eager"}')?.type, 'progress');
    assert.equal(parseFromTorch('{"type":"backend","id":3,"result":{"backend":"eager","status":"skipped","reason":"x","notes":[]}}')?.type, 'backend');
    assert.equal(parseFromTorch('{"type":"result","id":3,"ok":true}')?.type, 'result');
    assert.equal(parseFromTorch('not json'), undefined);
    assert.equal(parseFromTorch('{"type":"progress","message":"no id"}'), undefined);
    assert.equal(parseFromTorch('{"type":"backend","id":1,"result":{"backend":"eager","status":"maybe","notes":[]}}'), undefined);
    assert.equal(parseFromTorch('{"type":"hello","id":0}'), undefined, 'a hello without its facts');
    assert.equal(torchBackendOf('torch:sdpa-cudnn'), 'sdpa-cudnn');
    assert.equal(torchBackendOf('torch:nope'), undefined);
    assert.equal(torchBackendOf('flash'), undefined);
  });

  test('settings accept torch kernels, mode, torchDtype and python, and drop unknown values', () => {
    const s = readSettings((k) => ({ kernels: ['flash', 'torch:flex', 'torch:bogus'], mode: 'train', torchDtype: 'bf16', python: ' /opt/py/bin/python ' })[k as 'mode']);
    assert.deepEqual(s.kernels, ['flash', 'torch:flex']);
    assert.equal(s.mode, 'train');
    assert.equal(s.torchDtype, 'bf16');
    assert.equal(s.python, '/opt/py/bin/python');
    const d = readSettings((k) => ({ mode: 'backward', torchDtype: 'fp8' })[k as 'mode']);
    assert.equal(d.mode, 'auto'); // the default: train for a training config, fwd otherwise
    assert.equal(d.torchDtype, 'auto');
  });
});

describe('a report with both engines', () => {
  const torchRow = (kernel: string, ms: number, over = {}) =>
    kernelResult(kernel, [['flash_fwd_kernel', ms]], { engine: 'pytorch', dtype: 'bf16', ...over });
  const report = () => {
    const r = sampleReport([
      workload('Qwen2-7B', [
        kernelResult('naive', [['QKᵀ', 4]], { engine: 'webgpu' }),
        kernelResult('flash', [['fused', 0.9]], { engine: 'webgpu' }),
        torchRow('torch:sdpa-cudnn', 0.24),
        torchRow('torch:eager', 2),
        torchRow('torch:sdpa-flash', 0, { status: 'skipped', error: 'no softcap: SDPA has no score modifier', timings: undefined, correct: false }),
      ]),
    ]);
    r.engines = [
      { id: 'webgpu', label: 'WebGPU · NVIDIA H200' },
      { id: 'pytorch', label: 'PyTorch 2.11.0 · NVIDIA H200', torch: '2.11.0', device: 'NVIDIA H200' },
    ];
    return r;
  };

  test('summary: engine column with PyTorch version and device, per-row dtype, skipped with its reason', () => {
    const rows = summaryRows(report());
    assert.deepEqual(rows.map((r) => [r.engine, r.kernel, r.dtype]), [
      ['WebGPU', 'naive', 'f32'],
      ['WebGPU', 'flash', 'f32'],
      ['PyTorch 2.11.0 · NVIDIA H200', 'torch:sdpa-cudnn', 'bf16'],
      ['PyTorch 2.11.0 · NVIDIA H200', 'torch:eager', 'bf16'],
      ['PyTorch 2.11.0 · NVIDIA H200', 'torch:sdpa-flash', 'bf16'],
    ]);
    assert.equal(rows[4].status, 'skipped: no softcap: SDPA has no score modifier');
    assert.match(summaryTable(report()), /^workload\s+engine\s+kernel\s+dtype/m);
    assert.doesNotMatch(summaryTable(sampleReport()), /engine/, 'a WebGPU-only report keeps its columns');
  });

  test('CodeLens: the fastest overall and the fastest of ours; a skipped backend is not "broken"', () => {
    const entry = entryOf(report());
    assert.equal(measuredText(entry), 'measured: torch:sdpa-cudnn bf16 240 µs/layer · flash f32 900 µs');
    assert.deepEqual(entry.workloads[0].broken, []);
    assert.equal(entry.best?.kernel, 'torch:sdpa-cudnn');
  });

  test('roofline: the PyTorch points beside ours', () => {
    const kernels = buildRooflineModel(report()).points.map((p) => p.kernel);
    assert.deepEqual(kernels, ['naive', 'flash', 'torch:sdpa-cudnn', 'torch:eager']);
  });
});

test('train-mode gradient sample: dK/dV keys only while one head of keys is affordable in float64', () => {
  const small = gradientSample(problem({ batch: 1, heads: 4, kvHeads: 2, seqLenQ: 64, seqLenK: 64, headDim: 64 }));
  assert.equal(small.keysSkipped, false);
  assert.ok(small.keys.length > 0 && small.rows.length > 0);
  const qwenPrefill = gradientSample(problem({ batch: 1, heads: 28, kvHeads: 4, seqLenQ: 4096, seqLenK: 4096, headDim: 128, causal: true }));
  assert.equal(qwenPrefill.keysSkipped, true);
  assert.equal(qwenPrefill.keys.length, 0);
  assert.ok(qwenPrefill.rows.length >= 16, 'dQ rows are still checked');
  const vit3136 = gradientSample(problem({ batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 64 }));
  assert.equal(vit3136.keysSkipped, false);
});

describe('launch-bound PyTorch calls', () => {
  test('a per-call time well over its kernels\' GPU time says so; one close to it says nothing', () => {
    // The Qwen2-7B decode step on the H200: 76.5 µs per call, its kernels 22.6 + 4.45 µs (three profiled iterations).
    const traces = [27.05, 27.1, 26.9].map((ms) => ({ passes: [{ durationMs: ms * 0.835e-3 }, { durationMs: ms * 0.165e-3 }] }));
    const note = launchBoundNote(0.0765, traces);
    assert.match(note ?? '', /^launch-bound: a timed call takes 76\.5 µs, its kernels 27\.1 µs of GPU time under torch\.profiler \(2\.8×\)/);
    // ViT-196 forward: 158.5 µs per call, its kernel 161.4 µs under the profiler.
    assert.equal(launchBoundNote(0.1585, [{ passes: [{ durationMs: 0.1614 }] }]), undefined);
    // No profiled kernels (the profiler failed or was off): nothing to compare with.
    assert.equal(launchBoundNote(0.0765, []), undefined);
    assert.equal(launchBoundNote(0.0765, [{ passes: [] }]), undefined);
  });
});
