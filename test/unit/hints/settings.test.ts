import { DEFAULT_SEQ_CAP, profileSeqLen } from '../../../extension/engine/workloads';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemError } from '../../../kernels/problem';
import { configRequest, DEFAULT_SETTINGS, readSettings, shapeRequest } from '../../../extension/hints/settings';
import { parseShapeInput } from '../../../extension/hints/shapeInput';
import { parseConfig } from '../vscode/helpers';

const from = (values: Record<string, unknown>) => readSettings((k) => values[k]);

test('unset settings are the defaults', () => {
  assert.deepEqual(from({}), DEFAULT_SETTINGS);
});

test('hand-edited settings out of bounds fall back to the default, one by one', () => {
  const s = from({
    kernels: ['flash', 'flash', 'cuda', 3],
    iterations: 0,
    warmup: 2.5,
    dtype: 'bf16',
    batch: -1,
    seqLen: 2048,
    adapter: '  NVIDIA ',
    maxSeconds: 1e9,
    'codeLens.enabled': 'no',
  });
  assert.deepEqual(s, { ...DEFAULT_SETTINGS, kernels: ['flash'], seqLen: 2048, adapter: 'NVIDIA' });
  assert.deepEqual(from({ kernels: [] }).kernels, ['naive', 'flash', 'flash-mma']);
  assert.equal(from({ iterations: 10000 }).iterations, 10000);
  assert.equal(from({ iterations: 10001 }).iterations, 20);
  assert.equal(from({ 'codeLens.enabled': false }).codeLensEnabled, false);
});

test('a config request applies the settings to every workload', () => {
  const parsed = parseConfig('gemma-2-9b.json');
  const s = { ...DEFAULT_SETTINGS, kernels: ['flash'], seqLen: 512, batch: 2, dtype: 'f16' as const, adapter: 'llvmpipe' };
  const r = configRequest('/w/gemma/config.json', 'config.json', parsed.models, s);
  assert.equal(r.title, 'Gemma2ForCausalLM — config.json');
  assert.deepEqual(r.source, { kind: 'config', file: '/w/gemma/config.json', model: 'Gemma2ForCausalLM' });
  assert.deepEqual(r.kernels, ['flash']);
  assert.equal(r.adapterName, 'llvmpipe');
  assert.deepEqual(
    r.workloads.map((w) => [w.name, w.layers.length, w.problem.batch, w.problem.seqLenQ, w.problem.dtype, w.problem.window, w.problem.softcap]),
    [['Gemma2ForCausalLM · local = global layers (window 4096 ≥ N 512)', 42, 2, 512, 'f16', 0, 50]],
    'N ≤ window: local layers compute what global ones do, so one workload stands for all 42',
  );
  const long = configRequest('f', 'f', parsed.models, { ...s, seqLen: 8192 });
  assert.deepEqual(
    long.workloads.map((w) => [w.name, w.layers.length, w.problem.window]),
    [
      ['Gemma2ForCausalLM · local layers', 21, 4096],
      ['Gemma2ForCausalLM · global layers', 21, 0],
    ],
  );
  // 0 = from the config; a positions table alone (Gemma-2: 8192) is capped at DEFAULT_SEQ_CAP = 4096
  const fromConfig = configRequest('f', 'f', parsed.models, DEFAULT_SETTINGS);
  assert.equal(fromConfig.workloads[0].problem.seqLenQ, 4096);
  assert.equal('adapterName' in fromConfig, false);
});

test('mode auto times a training step for a training config and the forward otherwise; fwd and train are kept', () => {
  const parsed = parseConfig('gemma-2-9b.json');
  assert.equal(DEFAULT_SETTINGS.mode, 'auto');
  assert.equal(configRequest('f', 'f', parsed.models, DEFAULT_SETTINGS, undefined, 'prefill', true).mode, 'train');
  assert.equal(configRequest('f', 'f', parsed.models, DEFAULT_SETTINGS, undefined, 'prefill', false).mode, 'fwd');
  assert.equal(configRequest('f', 'f', parsed.models, { ...DEFAULT_SETTINGS, mode: 'fwd' }, undefined, 'prefill', true).mode, 'fwd');
  assert.equal(configRequest('f', 'f', parsed.models, { ...DEFAULT_SETTINGS, mode: 'train' }, undefined, 'prefill', false).mode, 'train');
  assert.equal(readSettings((k) => (k === 'mode' ? 'backward' : undefined)).mode, 'auto');
  // A decode profile of a training config times the forward: decode has no backward.
  assert.equal(configRequest('f', 'f', parsed.models, DEFAULT_SETTINGS, undefined, 'decode', true).mode, 'fwd');
});

test('a config with nothing to profile throws the model reasons', () => {
  const parsed = parseConfig('deepseek-v2-lite.json');
  assert.throws(() => configRequest('f', 'f', parsed.models, DEFAULT_SETTINGS), (e: unknown) => e instanceof ProblemError && /nothing to profile/.test(e.message));
});

test('a shape request carries the problem as typed', () => {
  const p = parseShapeInput('1,8,8,256,64 causal', 'f32');
  assert.ok(p.ok);
  const r = shapeRequest(p.problem, { ...DEFAULT_SETTINGS, iterations: 7 });
  assert.equal(r.title, 'B=1 Hq=8 Hkv=8 Nq=256 Nk=256 D=64 f32 causal');
  assert.deepEqual(r.source, { kind: 'shape' });
  assert.equal(r.iterations, 7);
  assert.equal(r.workloads[0].problem, p.problem);
});

test('the profile length: explicit lengths win, a bare positions table is capped at 4096', () => {
  assert.equal(profileSeqLen({ seqLen: 131072, maxSeqLen: 131072 }), DEFAULT_SEQ_CAP);
  assert.equal(profileSeqLen({ seqLen: 131072, maxSeqLen: 131072 }, 8192), 8192);
  assert.equal(profileSeqLen({ seqLen: 8192, maxSeqLen: 32768 }), 8192); // a training cutoff is used as is
  assert.equal(profileSeqLen({ seqLen: 197, maxSeqLen: 197 }), 197);
});
