import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShapeInput, withSeqLen } from '../../../extension/hints/shapeInput';

const message = (raw: string) => {
  const r = parseShapeInput(raw, 'f32');
  return r.ok ? 'ok' : r.message;
};

test('a valid shape with masks', () => {
  const r = parseShapeInput(' 2, 32,8 ,4096,128  causal window=1024 softcap=50 ', 'f16');
  assert.ok(r.ok);
  assert.deepEqual(r.problem, {
    batch: 2, heads: 32, kvHeads: 8, seqLenQ: 4096, seqLenK: 4096, headDim: 128, dtype: 'f16', causal: true, window: 1024, softcap: 50,
  });
});

test('decode from the input: q=1 queries against N keys; the input starts from attnprof.seqLen', () => {
  const r = parseShapeInput('1,32,8,4096,128 causal q=1', 'f32');
  assert.ok(r.ok);
  assert.equal(r.problem.seqLenQ, 1);
  assert.equal(r.problem.seqLenK, 4096);
  assert.equal(withSeqLen('1,32,8,1024,128 causal', 2048), '1,32,8,2048,128 causal');
  assert.equal(withSeqLen('1, 32, 8, 1024, 128 q=1', 512), '1, 32, 8, 512, 128 q=1');
  assert.equal(withSeqLen('1,32,8,1024,128', 0), '1,32,8,1024,128', '0 = unset: the last shape stays');
});

test('what the user is told while typing', () => {
  assert.equal(message(''), 'Type the shape as B,Hq,Hkv,N,D, e.g. 1,32,8,4096,128.');
  assert.equal(message('1,32,8'), 'Five integers B,Hq,Hkv,N,D are needed, got 3.');
  assert.equal(message('1,32,8,4096,'), 'Five integers B,Hq,Hkv,N,D are needed, got 4.');
  assert.equal(message('1,32,8,4k,128'), "N must be a positive integer, got '4k'.");
  assert.equal(message('1,32,8,-1,128'), "N must be a positive integer, got '-1'.");
  assert.equal(message('1,32,8,0,128'), 'Query length must be a positive integer, got 0.');
  // The kernels' own rules (kernels/problem.ts validateProblem), word for word.
  assert.equal(message('1,32,5,4096,128'), 'Query heads (32) must be a multiple of key/value heads (5) for GQA/MQA.');
  assert.equal(message('1,32,8,4096,100'), 'Head dim 100 is not supported; the kernels take a multiple of 8 up to 256.');
  assert.match(message('4096,4096,4096,4096,128'), /^The shape is absurdly large/);
  assert.equal(message('1,32,8,4096,128 causl'), "Unknown option 'causl': use causal, window=W, softcap=C, neighborhood=R (or W:R) or q=Q (query length, e.g. q=1 for decode).");
  assert.equal(message('1,32,8,4096,128 q=0'), "q (the query length) must be a positive integer, got '0'.");
  assert.equal(message('1,32,8,4096,128 q=5000'), 'q=5000 is longer than N=4096 (the keys): the queries attend to the last N positions.');
  assert.equal(message('1,32,8,4096,128 window=-3'), "window must be a non-negative integer, got '-3'.");
  assert.equal(message('1,32,8,4096,128 softcap='), "softcap must be a non-negative number, got ''.");
  assert.equal(message('1,32,8,4096,128 causal=1'), "'causal' takes no value.");
});
