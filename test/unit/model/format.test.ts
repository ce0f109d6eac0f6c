import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectJson, inspectText } from '../../../extension/model/index';
import { formatBytes, formatFlops } from '../../../kernels/units';
import { parseFixture } from './helpers';

test('formatBytes: binary units, two significant digits below 10', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(57344), '56 KiB');
  assert.equal(formatBytes(401408), '392 KiB');
  assert.equal(formatBytes(1048575), '1 MiB');
  assert.equal(formatBytes(3 * 2 ** 30), '3 GiB');
});

test('formatFlops: steps up from 100 so 930 GFLOP reads 0.93 TFLOP', () => {
  assert.equal(formatFlops(0), '0 FLOP');
  assert.equal(formatFlops(0.93e12), '0.93 TFLOP');
  assert.equal(formatFlops(3.1e12), '3.1 TFLOP');
  assert.equal(formatFlops(50e9), '50 GFLOP');
  assert.equal(formatFlops(120_284_446_720), '0.12 TFLOP');
});

test('inspect --json: the issue’s fields for Qwen2-7B', () => {
  const json = inspectJson(parseFixture('qwen2-7b.json')) as {
    file: string;
    models: Record<string, unknown>[];
    diagnostics: Record<string, unknown>[];
  };
  assert.match(json.file, /qwen2-7b\.json$/);
  const required = ['name', 'layers', 'heads', 'kvHeads', 'headDim', 'hidden', 'maxSeqLen', 'seqLen', 'batch', 'causal', 'slidingWindow', 'softcap', 'kvCacheBytesPerToken', 'unsupported'];
  const m = json.models[0];
  assert.deepEqual(Object.fromEntries(required.map((k) => [k, m[k]])), {
    name: 'Qwen2ForCausalLM',
    layers: 28,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    hidden: 3584,
    maxSeqLen: 131072,
    seqLen: 131072,
    batch: 1,
    causal: true,
    slidingWindow: 0,
    softcap: 0,
    kvCacheBytesPerToken: 57344,
    unsupported: null,
  });
  assert.equal('layerPattern' in m, false);
  assert.deepEqual(json.diagnostics[0], {
    severity: 'info',
    message: 'sliding_window 131072 is not used (use_sliding_window is false): full attention in every layer',
    line: 20,
    column: 21,
    endLine: 20,
    endColumn: 27,
  });
  assert.doesNotThrow(() => JSON.stringify(json));
});

test('inspect --json: Gemma-2 layerPattern, kvCacheBytesPerToken at 2 bytes even for a float32 checkpoint', () => {
  const json = inspectJson(parseFixture('gemma-2-9b.json')) as { models: Record<string, unknown>[] };
  const m = json.models[0];
  assert.equal(m.kvCacheBytesPerToken, 2 * 42 * 8 * 256 * 2);
  assert.deepEqual(m.layerPattern, [
    { kind: 'local', count: 1 },
    { kind: 'global', count: 1 },
  ]);
  assert.equal(m.softcap, 50);
});

test('inspect text: one readable summary per model plus file:line:col diagnostics', () => {
  const text = inspectText(parseFixture('qwen2-7b.json'));
  assert.match(text, /28 layers · 28 heads · 4 kv heads \(GQA 28:4\) · head dim 128 · hidden 3584/);
  assert.match(text, /KV cache 56 KiB\/token at 2 bytes \(MHA 392 KiB, −86 %\)/);
  assert.match(text, /qwen2-7b\.json:20:21: info: sliding_window 131072 is not used/);
  const mla = inspectText(parseFixture('deepseek-v2-lite.json'));
  assert.match(mla, /unsupported: multi-head latent attention/);
});
