import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRecognisedConfig, modelCost, parseConfigFile, parseConfigText, readPythonConstants } from '../../../extension/model/index';
import { only, parseFixture, repoPath, severities, spec } from './helpers';

test("the seed's ViT script: 16 heads × 64, depth 24, 196 tokens, batch 128, bidirectional", () => {
  const parsed = parseFixture('seed_vit_train.py');
  assert.equal(parsed.kind, 'python');
  const m = only(parsed);
  assert.deepEqual(spec(m), {
    name: 'seed_vit_train.py',
    modelType: 'python-constants',
    layers: 24,
    heads: 16,
    kvHeads: 16,
    headDim: 64,
    hidden: 1024,
    maxSeqLen: 196, // class_token=False in the seed
    seqLen: 196,
    batch: 128,
    causal: false,
    slidingWindow: 0,
    softcap: 0,
    dtypeBytes: 2,
  });
  // The indented NUM_HEADS = 99 inside the class is not a module constant.
  assert.deepEqual(
    m.fields.filter((f) => f.role === 'heads' || f.role === 'headDim' || f.role === 'seqLen'),
    [
      { key: 'NUM_HEADS', line: 16, column: 1, role: 'heads' },
      { key: 'HEAD_DIM', line: 17, column: 1, role: 'headDim' },
      { key: 'SEQ_LEN', line: 20, column: 1, role: 'seqLen' },
    ],
  );
  assert.deepEqual(parsed.diagnostics, []);
});

test('examples/vit_train.py: ViT-B/16 shape, 36 KiB KV/token', () => {
  const m = only(parseConfigFile(repoPath('examples/vit_train.py')));
  assert.deepEqual([m.heads, m.headDim, m.hidden, m.layers, m.seqLen, m.batch, m.causal], [12, 64, 768, 12, 196, 128, false]);
  assert.equal(modelCost(m).kvCacheBytesPerToken, 2 * 12 * 12 * 64 * 2);
});

test('integer arithmetic: precedence, right-associative **, floor division and modulo as in Python', () => {
  const text = `A = 2 ** 3 ** 2\nB = -2 ** 2\nC = -7 % 3\nD = -7 // 2\nE = (A // 64) + 4 * (1 + 1) - 8 + 4\nF: int = E * 64\nG = int(24 / 2)\nH = 1_024 * 2 + \\\n    0\nI = max(4, C * 3)\nJ = 0x200\nK = 10 % -3\nL = 2 ** -1\n`;
  const values = Object.fromEntries(readPythonConstants(text).map((c) => [c.name, c.value]));
  assert.deepEqual(values, { A: 512, B: -4, C: 2, D: -4, E: 12, F: 768, G: 12, H: 2048, I: 6, J: 512, K: -2, L: 0.5 });
});

test('the arithmetic fixture resolves every alias', () => {
  const parsed = parseFixture('python-arithmetic.py');
  const m = only(parsed);
  assert.deepEqual(
    [m.heads, m.kvHeads, m.headDim, m.hidden, m.layers, m.seqLen, m.batch, m.causal, m.slidingWindow, m.softcap],
    [12, 4, 64, 768, 12, 2048, 6, true, 512, 30],
  );
  assert.deepEqual(parsed.diagnostics, []); // the NUM_HEADS in the docstring is ignored
});

test('never executes: calls, strings and floats where integers belong are diagnosed at the value', () => {
  const parsed = parseFixture('python-hostile.py');
  assert.deepEqual(
    parsed.diagnostics.map((d) => [d.severity, d.line, d.column]),
    [
      ['warning', 3, 13],
      ['error', 4, 12],
      ['error', 5, 9],
    ],
  );
  assert.match(parsed.diagnostics[0].message, /cannot evaluate NUM_HEADS: 'os' is not an earlier numeric constant/);
  assert.ok(only(parsed).unsupported);
});

test('a constant that depends on an unevaluable one is unknown too, and the last assignment wins', () => {
  const cs = readPythonConstants('A = 4\nA = foo()\nB = A * 2\nC = 1\nC = 3\n');
  assert.equal(cs.find((c) => c.name === 'B')?.value, undefined);
  assert.match(cs.find((c) => c.name === 'B')?.error ?? '', /'A' is not an earlier numeric constant/);
  const m = only(parseConfigText('t.py', 'NUM_HEADS = 4\nHEAD_DIM = 32\nSEQ_LEN = 10\nNUM_HEADS = 8\n'));
  assert.equal(m.heads, 8);
});

test('EMBED_DIM not divisible by heads; CAUSAL = False; no DEPTH → one layer', () => {
  const parsed = parseFixture('python-ratio.py');
  assert.deepEqual(severities(parsed, 'error'), ['1:13 EMBED_DIM 1000 is not divisible by 12 heads (and no HEAD_DIM is given)']);
  const m = only(parsed);
  assert.equal(m.causal, false);
  const p2 = parseConfigText('lm.py', 'n_head = 8\nn_embd = 512\nblock_size = 256\n');
  assert.equal(only(p2).layers, 1);
  assert.equal(only(p2).causal, true);
  assert.deepEqual(severities(p2, 'info'), ['1:1 no DEPTH / NUM_LAYERS constant: one layer is analysed']);
});

test('a ViT script with a class token counts it', () => {
  const m = only(parseConfigText('v.py', 'NUM_HEADS = 12\nHEAD_DIM = 64\nPATCH_SIZE = 16\nIMG_SIZE = 224\nCLASS_TOKEN = True\n'));
  assert.deepEqual([m.maxSeqLen, m.seqLen, m.causal], [197, 197, false]);
});

test('a script with no attention constants yields no model and an info', () => {
  const parsed = parseConfigText('util.py', 'import os\nX = 3\n');
  assert.deepEqual(parsed.models, []);
  assert.equal(parsed.diagnostics[0].severity, 'info');
});

test('hostile nesting in an expression is refused, not a stack overflow', () => {
  const cs = readPythonConstants(`NUM_HEADS = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`);
  assert.match(cs[0].error ?? '', /nested too deeply/);
});

test('isRecognisedConfig is cheap and specific', () => {
  assert.equal(isRecognisedConfig('train.py', 'import torch\nNUM_HEADS = 16\n'), true);
  assert.equal(isRecognisedConfig('train.py', 'def f():\n    num_heads = 16\n'), false);
  assert.equal(isRecognisedConfig('train.py', 'NUM_HEADS == 16\n'), false);
  assert.equal(isRecognisedConfig('config.json', '{"model_type": "llama"}'), true);
  assert.equal(isRecognisedConfig('package.json', '{"name": "x", "version": "1.0.0"}'), false);
  assert.equal(isRecognisedConfig('a.yaml', 'model_name_or_path: ../m\ncutoff_len: 1024\n'), true);
  assert.equal(isRecognisedConfig('ci.yaml', 'on: push\njobs: {}\n'), false);
  assert.equal(isRecognisedConfig('run.sh', 'python train.py --model_name_or_path x'), true);
});
