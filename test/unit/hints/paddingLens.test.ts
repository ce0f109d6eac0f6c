/** Padding CodeLens targets and text (pure side), on the real training-config fixtures. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPaddingAnalysis, planPadding } from '../../../extension/padding/analysis';
import { paddingAttention } from '../../../extension/engine/padding';
import { paddingCacheKey, paddingDefaults, paddingLensTargets, paddingLensTitle } from '../../../extension/hints/paddingLens';
import { checkPositiveInt } from '../../../extension/hints/paddingInput';
import { parseFixture as parseConfig } from '../model/helpers';

test('LLaMA-Factory YAML: one lens, on cutoff_len, with B and L from the file', () => {
  const targets = paddingLensTargets(parseConfig('train/llama_factory_lora.yaml'));
  assert.deepEqual(
    targets.map((t) => `${t.key}@${t.line} B=${t.batchSize} L=${t.maxLength} causal=${t.causal}`),
    ['cutoff_len@13 B=2 L=1024 causal=true'],
  );
});

test('an image model (ViT training script): every sequence has the same patches, so no padding lens', () => {
  assert.deepEqual(paddingLensTargets(parseConfig('seed_vit_train.py')), []);
});

test('HF Trainer shell script: --model_max_length and --per_device_train_batch_size', () => {
  const targets = paddingLensTargets(parseConfig('train/hf_trainer.sh'));
  assert.deepEqual(targets.map((t) => `${t.key} B=${t.batchSize} L=${t.maxLength}`), ['model_max_length B=4 L=2048']);
});

test('a model config without training fields gets no padding lens; its defaults leave B and L open', () => {
  const parsed = parseConfig('qwen2-7b.json');
  assert.deepEqual(paddingLensTargets(parsed), []);
  const d = paddingDefaults(parsed.models[0]);
  assert.deepEqual(d, { causal: true });
  const a = paddingAttention(parsed.models, 'f32');
  assert.deepEqual([a.heads, a.kvHeads, a.headDim, a.dtypeBytes, a.causal], [28, 4, 128, 2, true]);
});

test('lens title: fixed waste, the recommendation and its ratio; the cache key changes with B, L, mtime', () => {
  const lengths = Int32Array.from([1, 4, 1, 4]);
  const a = buildPaddingAnalysis(
    planPadding({ lengths, source: { file: 'x', format: 'text', estimated: false, estimatedCount: 0, order: 'file', badLines: { count: 0, first: [] } } }, { batchSize: 2, maxLength: 4, causal: false }),
  );
  assert.equal(paddingLensTitle(a), 'padding: fixed wastes 38 % of tokens · bucketed 1.9× less attention work');
  const k = paddingCacheKey('/f', 1, 10, 2, 4, false);
  assert.notEqual(k, paddingCacheKey('/f', 2, 10, 2, 4, false));
  assert.notEqual(k, paddingCacheKey('/f', 1, 10, 4, 4, false));
  assert.notEqual(k, paddingCacheKey('/f', 1, 10, 2, undefined, false));
  assert.equal(k, paddingCacheKey('/f', 1, 10, 2, 4, false));
});

test('input checks for B and L', () => {
  assert.equal(checkPositiveInt('8', 65536, false), undefined);
  assert.equal(checkPositiveInt('', 65536, true), undefined);
  assert.equal(checkPositiveInt('', 65536, false), 'Type a positive whole number.');
  assert.equal(checkPositiveInt('0', 65536, false), 'Type a positive whole number.');
  assert.equal(checkPositiveInt('1.5', 65536, false), 'Type a positive whole number.');
  assert.equal(checkPositiveInt('70000', 65536, false), 'At most 65536.');
});

test('command arguments from a CodeLens are checked', async () => {
  const { asAnalyzeArgs } = await import('../../../extension/hints/paddingInput');
  assert.deepEqual(asAnalyzeArgs({ lengthsFile: '/d/l.txt', batchSize: 2, maxLength: 1024 }), { lengthsFile: '/d/l.txt', batchSize: 2, maxLength: 1024 });
  assert.deepEqual(asAnalyzeArgs({ lengthsFile: 3, batchSize: -1, maxLength: 1.5 }), {});
  assert.deepEqual(asAnalyzeArgs('x'), {});
});
