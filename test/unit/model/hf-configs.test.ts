import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelCost } from '../../../extension/model/index';
import { only, parseFixture, severities, spec } from './helpers';

const decoder = { batch: 1, causal: true, slidingWindow: 0, softcap: 0 };

test('Qwen2-7B: GQA 28:4, sliding window present but unused', () => {
  const parsed = parseFixture('qwen2-7b.json');
  assert.equal(parsed.kind, 'hf-json');
  const m = only(parsed);
  assert.deepEqual(spec(m), {
    ...decoder,
    name: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
    layers: 28,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    hidden: 3584,
    maxSeqLen: 131072,
    seqLen: 131072,
    dtypeBytes: 2,
  });
  const c = modelCost(m);
  assert.equal(c.kvCacheBytesPerToken, 57344); // 2·28·4·128·2
  assert.equal(c.kvCacheBytesPerTokenMha, 401408); // 2·28·28·128·2
  assert.equal(c.gqaSaving.toFixed(3), '0.857');
  assert.deepEqual(severities(parsed, 'info'), [
    '20:21 sliding_window 131072 is not used (use_sliding_window is false): full attention in every layer',
  ]);
  assert.deepEqual(severities(parsed, 'warning'), []);
  assert.deepEqual(severities(parsed, 'error'), []);
});

test('Qwen2-7B fields point at their keys', () => {
  const m = only(parseFixture('qwen2-7b.json'));
  const at = (key: string) => m.fields.find((f) => f.key === key);
  assert.deepEqual(at('num_attention_heads'), { key: 'num_attention_heads', line: 15, column: 3, role: 'heads' });
  assert.deepEqual(at('num_key_value_heads'), { key: 'num_key_value_heads', line: 17, column: 3, role: 'kvHeads' });
  assert.deepEqual(at('hidden_size'), { key: 'hidden_size', line: 9, column: 3, role: 'hidden' });
  assert.deepEqual(at('num_hidden_layers'), { key: 'num_hidden_layers', line: 16, column: 3, role: 'layers' });
  assert.deepEqual(at('max_position_embeddings'), { key: 'max_position_embeddings', line: 12, column: 3, role: 'maxSeqLen' });
  assert.equal(at('sliding_window')?.role, 'window');
});

test('Qwen2-7B-Instruct: 32k positions', () => {
  const m = only(parseFixture('qwen2-7b-instruct.json'));
  assert.equal(m.maxSeqLen, 32768);
  assert.equal(m.kvHeads, 4);
  assert.equal(m.slidingWindow, 0);
});

test('Llama-3-8B', () => {
  assert.deepEqual(spec(only(parseFixture('llama-3-8b.json'))), {
    ...decoder,
    name: 'LlamaForCausalLM',
    modelType: 'llama',
    layers: 32,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    hidden: 4096,
    maxSeqLen: 8192,
    seqLen: 8192,
    dtypeBytes: 2,
  });
});

test('Mistral-7B-v0.1: sliding window 4096 on every layer', () => {
  assert.deepEqual(spec(only(parseFixture('mistral-7b-v0.1.json'))), {
    ...decoder,
    name: 'MistralForCausalLM',
    modelType: 'mistral',
    layers: 32,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    hidden: 4096,
    maxSeqLen: 32768,
    seqLen: 32768,
    slidingWindow: 4096,
    dtypeBytes: 2,
  });
});

test('Mixtral-8x7B: MoE FFN, Llama-like attention, sliding_window null', () => {
  assert.deepEqual(spec(only(parseFixture('mixtral-8x7b.json'))), {
    ...decoder,
    name: 'MixtralForCausalLM',
    modelType: 'mixtral',
    layers: 32,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    hidden: 4096,
    maxSeqLen: 32768,
    seqLen: 32768,
    dtypeBytes: 2,
  });
});

test('Qwen1.5-MoE-A2.7B', () => {
  assert.deepEqual(spec(only(parseFixture('qwen1.5-moe-a2.7b.json'))), {
    ...decoder,
    name: 'Qwen2MoeForCausalLM',
    modelType: 'qwen2_moe',
    layers: 24,
    heads: 16,
    kvHeads: 16,
    headDim: 128,
    hidden: 2048,
    maxSeqLen: 8192,
    seqLen: 8192,
    dtypeBytes: 2,
  });
});

test('Gemma-2-9B: explicit head_dim 256, softcap 50, local/global alternating from layer 0', () => {
  const parsed = parseFixture('gemma-2-9b.json');
  const m = only(parsed);
  const pattern = [
    { kind: 'local', count: 1 },
    { kind: 'global', count: 1 },
  ];
  assert.deepEqual(spec(m), {
    ...decoder,
    name: 'Gemma2ForCausalLM',
    modelType: 'gemma2',
    layers: 42,
    heads: 16,
    kvHeads: 8,
    headDim: 256,
    hidden: 3584,
    maxSeqLen: 8192,
    seqLen: 8192,
    slidingWindow: 4096,
    softcap: 50,
    layerPattern: pattern,
    dtypeBytes: 4, // the published checkpoint is float32
  });
  assert.equal(modelCost(m, { dtypeBytes: 2 }).kvCacheBytesPerToken, 2 * 42 * 8 * 256 * 2);
  assert.deepEqual(parsed.diagnostics, []);
});

test('Gemma-7B: head_dim 256 wins over hidden/heads (3072/16 = 192)', () => {
  const m = only(parseFixture('gemma-7b.json'));
  assert.equal(m.headDim, 256);
  assert.equal(m.hidden, 3072);
  assert.deepEqual([m.layers, m.heads, m.kvHeads, m.maxSeqLen], [28, 16, 16, 8192]);
});

test("Phi-3-mini-4k: sliding_window 2047 is flash-attn's left window → 2048 keys", () => {
  const parsed = parseFixture('phi-3-mini-4k-instruct.json');
  assert.deepEqual(spec(only(parsed)), {
    ...decoder,
    name: 'Phi3ForCausalLM',
    modelType: 'phi3',
    layers: 32,
    heads: 32,
    kvHeads: 32,
    headDim: 96,
    hidden: 3072,
    maxSeqLen: 4096,
    seqLen: 4096,
    slidingWindow: 2048,
    dtypeBytes: 2,
  });
  assert.equal(parsed.diagnostics[0].line, 29);
});

test('GPT-2: n_head/n_embd/n_layer/n_positions, no torch_dtype → 2 bytes', () => {
  assert.deepEqual(spec(only(parseFixture('gpt2.json'))), {
    ...decoder,
    name: 'GPT2LMHeadModel',
    modelType: 'gpt2',
    layers: 12,
    heads: 12,
    kvHeads: 12,
    headDim: 64,
    hidden: 768,
    maxSeqLen: 1024,
    seqLen: 1024,
    dtypeBytes: 2,
  });
});

test('GPT-NeoX (Pythia-1B): head dim 256', () => {
  assert.deepEqual(spec(only(parseFixture('pythia-1b.json'))), {
    ...decoder,
    name: 'GPTNeoXForCausalLM',
    modelType: 'gpt_neox',
    layers: 16,
    heads: 8,
    kvHeads: 8,
    headDim: 256,
    hidden: 2048,
    maxSeqLen: 2048,
    seqLen: 2048,
    dtypeBytes: 2,
  });
});

test('Falcon-7B: multi_query → one KV head, 4544/71 = 64, default 2048 positions', () => {
  assert.deepEqual(spec(only(parseFixture('falcon-7b.json'))), {
    ...decoder,
    name: 'FalconForCausalLM',
    modelType: 'falcon',
    layers: 32,
    heads: 71,
    kvHeads: 1,
    headDim: 64,
    hidden: 4544,
    maxSeqLen: 2048,
    seqLen: 2048,
    dtypeBytes: 2,
  });
});

const encoder = { batch: 1, causal: false, slidingWindow: 0, softcap: 0, dtypeBytes: 2 };

test('BERT-base: bidirectional, 512 positions', () => {
  assert.deepEqual(spec(only(parseFixture('bert-base-uncased.json'))), {
    ...encoder,
    name: 'BertForMaskedLM',
    modelType: 'bert',
    layers: 12,
    heads: 12,
    kvHeads: 12,
    headDim: 64,
    hidden: 768,
    maxSeqLen: 512,
    seqLen: 512,
  });
});

test('RoBERTa-base: 514-entry position table holds 512 tokens (offset pad_token_id + 1)', () => {
  const m = only(parseFixture('roberta-base.json'));
  assert.equal(m.maxSeqLen, 512);
  assert.equal(m.causal, false);
  assert.equal(m.headDim, 64);
});

test('ViT-B/16: 196 patches + class token = 197, bidirectional', () => {
  assert.deepEqual(spec(only(parseFixture('vit-base-patch16-224.json'))), {
    ...encoder,
    name: 'ViTForImageClassification',
    modelType: 'vit',
    layers: 12,
    heads: 12,
    kvHeads: 12,
    headDim: 64,
    hidden: 768,
    maxSeqLen: 197,
    seqLen: 197,
  });
});

test('CLIP ViT-B/32: causal 77-token text tower, 50-token vision tower, float32', () => {
  const parsed = parseFixture('clip-vit-base-patch32.json');
  assert.equal(parsed.models.length, 2);
  const [text, vision] = parsed.models.map(spec);
  assert.deepEqual(text, {
    name: 'clip text_config',
    modelType: 'clip_text_model',
    layers: 12,
    heads: 8,
    kvHeads: 8,
    headDim: 64,
    hidden: 512,
    maxSeqLen: 77,
    seqLen: 77,
    batch: 1,
    causal: true,
    slidingWindow: 0,
    softcap: 0,
    dtypeBytes: 4,
  });
  assert.deepEqual(vision, {
    name: 'clip vision_config',
    modelType: 'clip_vision_model',
    layers: 12,
    heads: 12,
    kvHeads: 12,
    headDim: 64,
    hidden: 768,
    maxSeqLen: 50,
    seqLen: 50,
    batch: 1,
    causal: false,
    slidingWindow: 0,
    softcap: 0,
    dtypeBytes: 4,
  });
});

test('LLaVA-1.5-7B: default-omitting text_config reads LlamaConfig defaults; CLIP-L/14-336 vision', () => {
  const parsed = parseFixture('llava-1.5-7b-hf.json');
  const [text, vision] = parsed.models.map(spec);
  assert.deepEqual(text, {
    name: 'llava text_config',
    modelType: 'llama',
    layers: 32,
    heads: 32,
    kvHeads: 32,
    headDim: 128,
    hidden: 4096,
    maxSeqLen: 4096,
    seqLen: 4096,
    batch: 1,
    causal: true,
    slidingWindow: 0,
    softcap: 0,
    dtypeBytes: 2,
  });
  assert.deepEqual(vision, {
    name: 'llava vision_config',
    modelType: 'clip_vision_model',
    layers: 24,
    heads: 16,
    kvHeads: 16,
    headDim: 64,
    hidden: 1024,
    maxSeqLen: 577, // (336/14)² + 1
    seqLen: 577,
    batch: 1,
    causal: false,
    slidingWindow: 0,
    softcap: 0,
    dtypeBytes: 2,
  });
  const info = severities(parsed, 'info');
  assert.equal(info.length, 1);
  assert.match(info[0], /^10:3 llava text_config omits .*num_attention_heads 32, num_hidden_layers 32, hidden_size 4096/);
});

test('DeepSeek-V2-Lite: MLA is reported unsupported, never costed', () => {
  const parsed = parseFixture('deepseek-v2-lite.json');
  const m = only(parsed);
  assert.match(m.unsupported ?? '', /multi-head latent attention \(kv_lora_rank 512, q\/k head dim 192 ≠ v head dim 128\)/);
  const c = modelCost(m);
  assert.equal(c.totalFlops, 0);
  assert.equal(c.kvCacheBytesPerToken, 0);
  assert.deepEqual(
    parsed.diagnostics.map((d) => [d.severity, d.line, d.column]),
    [['warning', 20, 3]],
  );
});

test('unknown model_type: best effort from standard names, with a warning at the value', () => {
  const parsed = parseFixture('unknown-type.json');
  const m = only(parsed);
  assert.deepEqual([m.layers, m.heads, m.kvHeads, m.headDim, m.maxSeqLen, m.causal], [6, 8, 2, 64, 1024, true]);
  assert.deepEqual(
    parsed.diagnostics.map((d) => [d.severity, d.line, d.column]),
    [['warning', 3, 17]],
  );
});
