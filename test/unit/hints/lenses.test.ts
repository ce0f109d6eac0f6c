import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lensHints, type LensHint } from '../../../extension/hints/lenses';
import { entryOf } from '../../../extension/hints/reportEntry';
import { readFileSync } from 'node:fs';
import { isTrainingConfig, parseConfigFile, parseConfigText } from '../../../extension/model/index';
import { formatBytes } from '../../../kernels/units';
import { repoPath } from '../model/helpers';
import { exampleText, gemmaReport, parseConfig } from '../vscode/helpers';

/** "line: title" per lens, as a reader scans them. */
const dump = (hints: LensHint[]) => hints.map((h) => `${h.line}: ${h.title}${h.action ? ` [${h.action}]` : ''}`);

test('Qwen2-7B: GQA and KV cache above num_key_value_heads, FLOPs and ▶ Profile above the heads field', () => {
  const text = exampleText('qwen2-7b/config.json');
  const parsed = parseConfigText('config.json', text);
  const lines = text.split('\n');
  const headsLine = lines.findIndex((l) => l.includes('"num_attention_heads"')) + 1;
  const kvLine = lines.findIndex((l) => l.includes('"num_key_value_heads"')) + 1;
  const hints = lensHints(parsed);
  assert.deepEqual(dump(hints), [
    `${headsLine}: attention 0.12 TFLOP/layer @ 4k (max positions 131072, capped)`,
    `${headsLine}: ▶ Profile [profile]`,
    `${headsLine}: ▶ Profile decode (KV cache 4k) [profile-decode]`,
    `${kvLine}: GQA 28:4 · KV cache 56 KiB/token (\u221286 % vs MHA)`,
  ]);
});

test('sequence length and batch overrides change the FLOP lens, not the KV cache per token', () => {
  const parsed = parseConfig('qwen2-7b.json');
  const titles = lensHints(parsed, { seqLen: 4096, batch: 2 }).map((h) => h.title);
  // 4·B·Hq·(N(N+1)/2)·D = 4·2·28·8390656·128 = 240.6 GFLOP (causal: visible pairs only)
  assert.ok(titles.includes('attention 0.24 TFLOP/layer @ 2×4k (attnprof.seqLen)'), titles.join(' | '));
  assert.ok(titles.includes('▶ Profile decode (KV cache 4k)'), titles.join(' | '));
  assert.ok(titles.includes('GQA 28:4 · KV cache 56 KiB/token (\u221286 % vs MHA)'));
});

test('an encoder (ViT) gets no KV-cache lens; a Python script gets its lenses on NUM_HEADS', () => {
  const vit = lensHints(parseConfig('vit-base-patch16-224.json')).map((h) => h.title);
  assert.deepEqual(vit, ['attention 0.12 GFLOP/layer @ 197 (image tokens)', '▶ Profile'], 'an encoder has no decode lens');
  const text = exampleText('vit_train.py');
  const py = lensHints(parseConfigText('vit_train.py', text));
  const numHeadsLine = text.split('\n').findIndex((l) => /^NUM_HEADS\s*=/.test(l)) + 1;
  assert.ok(numHeadsLine > 0);
  assert.deepEqual(dump(py), [`${numHeadsLine}: attention 15 GFLOP/layer @ 128×196 (image tokens)`, `${numHeadsLine}: ▶ Profile [profile]`]);
});

test('a VLM labels each tower', () => {
  const titles = lensHints(parseConfig('llava-1.5-7b-hf.json')).map((h) => h.title);
  const towers = new Set(titles.filter((t) => !t.startsWith('▶ Profile')).map((t) => t.split(': ')[0]));
  assert.equal(towers.size, 2, titles.join(' | '));
  assert.ok(titles.every((t) => t.startsWith('▶ Profile') || /^[^:]+: (attention|MHA|GQA|MQA)/.test(t)), titles.join(' | '));
});

test('unsupported attention (DeepSeek-V2 MLA) says so instead of numbers', () => {
  const titles = lensHints(parseConfig('deepseek-v2-lite.json')).map((h) => h.title);
  assert.equal(titles.length, 1);
  assert.match(titles[0], /^attention not supported: .*(latent|kv_lora_rank)/);
});

test('after a profile: "measured" lens per layer kind with the speed-up over naive and the software note', () => {
  const parsed = parseConfig('gemma-2-9b.json');
  const entry = entryOf(gemmaReport());
  const hints = lensHints(parsed, { measured: entry });
  const measured = hints.filter((h) => h.title.startsWith('measured:'));
  assert.equal(measured.length, 1);
  const w = gemmaReport().workloads;
  const ms = (i: number, k: string) => w[i].results.find((r) => r.kernel === k)?.timings?.medianMs ?? NaN;
  assert.ok(ms(0, 'flash') < ms(0, 'naive') && ms(1, 'flash') < ms(1, 'naive'), 'fixture: flash wins both');
  assert.match(
    measured[0].title,
    /^measured: local layers: flash \d+(\.\d)? ms\/layer, \d+(\.\d)?× naive · global layers: flash \d+(\.\d)? ms\/layer, \d+(\.\d)?× naive \(software adapter\)$/,
  );
  // The measured lens sits with the others on the heads field.
  assert.equal(measured[0].line, hints.find((h) => h.action === 'profile')?.line);
});

test('a training config adds what the forward saves for the backward, naive against flash, at its B and N', () => {
  const path = repoPath('examples/llama-factory/train_qwen2_lora.yaml');
  const parsed = parseConfigFile(path);
  assert.equal(isTrainingConfig(parsed, readFileSync(path, 'utf8')), true);
  const plain = lensHints(parsed).map((h) => h.title);
  assert.ok(!plain.some((t) => t.includes('saved for backward')), 'only when told the file is a training config');
  const titles = lensHints(parsed, { training: true }).map((h) => h.title);
  // Qwen2-7B (28 heads, D 128, bf16) at the file's per_device_train_batch_size 2 and cutoff_len 4096:
  // naive keeps P (B·Hq·N² f32) and O (B·Hq·N·D, 2 bytes); flash keeps O and 8 bytes of row statistics per row.
  const [B, H, N, D] = [2, 28, 4096, 128];
  const o = B * H * N * D * 2;
  const want = `attention activations saved for backward: ${formatBytes(B * H * N * N * 4 + o)}/layer naive · ${formatBytes(o + B * H * N * 8)} flash @ B=2, 4096`;
  assert.ok(titles.includes(want), titles.join(' | '));
  // The batch setting overrides the file's.
  const b8 = lensHints(parsed, { training: true, batch: 8 }).map((h) => h.title);
  assert.ok(b8.some((t) => t.endsWith('flash @ B=8, 4096')), b8.join(' | '));
});
