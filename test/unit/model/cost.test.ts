import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelCost, visiblePairs, type ModelAttention } from '../../../extension/model/index';
import { only, parseFixture } from './helpers';

function model(over: Partial<ModelAttention>): ModelAttention {
  return {
    name: 't',
    modelType: 'test',
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 8,
    hidden: 32,
    maxSeqLen: 4,
    seqLen: 4,
    batch: 3,
    causal: true,
    slidingWindow: 0,
    softcap: 0,
    fields: [],
    dtypeBytes: 2,
    ...over,
  };
}

test('visible pairs: full, causal triangle, window band, bottom-right alignment', () => {
  assert.equal(visiblePairs(4, 4, false), 16);
  assert.equal(visiblePairs(4, 4, true), 10); // 1+2+3+4
  assert.equal(visiblePairs(4, 4, true, 2), 7); // 1+2+2+2
  assert.equal(visiblePairs(4, 4, true, 4), 10); // a window as long as the sequence changes nothing
  assert.equal(visiblePairs(2, 4, true), 7); // queries at key positions 2 and 3: 3+4
  assert.equal(visiblePairs(2, 4, true, 2), 4);
  assert.equal(visiblePairs(5, 3, true), 6); // the first two queries see no key
  assert.equal(visiblePairs(131072, 131072, true), (131072 * 131073) / 2);
  assert.equal(visiblePairs(8192, 8192, true, 4096), (4096 * 4097) / 2 + 4096 * 4096);
  assert.equal(visiblePairs(0, 4, true), 0);
});

test('cost of a small causal GQA model, by hand', () => {
  const c = modelCost(model({}));
  assert.deepEqual(c.perKind, [
    { kind: 'global', layers: 2, visiblePairs: 10, flops: 4 * 3 * 4 * 10 * 8, qkvoBytes: 3 * (2 * 4 * 4 + 2 * 2 * 4) * 8 * 2, scoreBytes: 3 * 4 * 4 * 4 * 2 },
  ]);
  assert.equal(c.totalFlops, 7680);
  assert.equal(c.flopsPerLayerMax, 3840);
  assert.equal(c.scoreBytesPerLayer, 384);
  assert.equal(c.kvCacheBytesPerToken, 2 * 2 * 2 * 8 * 2);
  assert.equal(c.kvCacheBytesPerTokenMha, 256);
  assert.equal(c.gqaSaving, 0.5);
  assert.equal(c.kvCacheBytesTotal, 128 * 3 * 4);
  assert.equal(c.estimatedMs, undefined);
});

test('non-causal counts the full square; options override batch, length and dtype', () => {
  const c = modelCost(model({ causal: false }), { batch: 1, seqLen: 10, dtypeBytes: 4 });
  assert.equal(c.perKind[0].visiblePairs, 100);
  assert.equal(c.perKind[0].flops, 4 * 1 * 4 * 100 * 8);
  assert.equal(c.kvCacheBytesPerToken, 2 * 2 * 2 * 8 * 4);
  assert.deepEqual([c.batch, c.seqLen, c.dtypeBytes], [1, 10, 4]);
});

test('estimated time from a measured throughput', () => {
  const c = modelCost(model({}), { measuredTflops: 2 });
  // 7680 FLOP at 2e12 FLOP/s = 3.84e-9 s = 3.84e-6 ms
  assert.ok(Math.abs((c.estimatedMs ?? 0) - 3.84e-6) < 1e-18, String(c.estimatedMs));
  assert.equal(modelCost(model({}), { measuredTflops: 0 }).estimatedMs, undefined);
});

test('Qwen2-7B at 4k: 0.12 TFLOP per layer (causal triangle), 56 KiB/token, −85.7 %', () => {
  const c = modelCost(only(parseFixture('qwen2-7b.json')), { seqLen: 4096 });
  assert.equal(c.flopsPerLayerMax, 4 * 28 * ((4096 * 4097) / 2) * 128);
  assert.equal(c.totalFlops, 28 * c.flopsPerLayerMax);
  assert.equal(c.kvCacheBytesPerToken, 57344);
  assert.equal(Math.round(c.gqaSaving * 1000), 857);
  assert.equal(c.kvCacheBytesTotal, 57344 * 4096);
});

test('Mistral-7B: the KV cache of sliding-window layers is capped at the window', () => {
  const m = only(parseFixture('mistral-7b-v0.1.json'));
  const perTokenAllLayers = 2 * 32 * 8 * 128 * 2;
  assert.equal(modelCost(m, { seqLen: 8192 }).kvCacheBytesTotal, perTokenAllLayers * 4096);
  assert.equal(modelCost(m, { seqLen: 2048 }).kvCacheBytesTotal, perTokenAllLayers * 2048);
  assert.equal(modelCost(m, { seqLen: 8192, batch: 2 }).kvCacheBytesTotal, perTokenAllLayers * 4096 * 2);
  assert.equal(modelCost(m, { seqLen: 8192 }).perKind[0].visiblePairs, (4096 * 4097) / 2 + 4096 * 4096);
});

test('Gemma-2-9B: local layers count the window band, global layers the triangle', () => {
  const m = only(parseFixture('gemma-2-9b.json'));
  const c = modelCost(m, { dtypeBytes: 2 });
  const local = (4096 * 4097) / 2 + 4096 * 4096;
  const global = (8192 * 8193) / 2;
  assert.deepEqual(c.perKind.map((l) => [l.kind, l.layers, l.visiblePairs]), [
    ['local', 21, local],
    ['global', 21, global],
  ]);
  assert.equal(c.totalFlops, 21 * 4 * 16 * 256 * (local + global));
  assert.equal(c.flopsPerLayerMax, 4 * 16 * global * 256);
  const perLayerToken = 2 * 8 * 256 * 2;
  assert.equal(c.kvCacheBytesTotal, perLayerToken * (21 * 4096 + 21 * 8192));
});

test('unsupported attention costs nothing rather than something wrong', () => {
  const c = modelCost(model({ unsupported: 'MLA' }));
  assert.deepEqual([c.totalFlops, c.kvCacheBytesPerToken, c.perKind.length, c.gqaSaving], [0, 0, 0, 0]);
});
