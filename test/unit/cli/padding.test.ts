/** `attnprof padding` in process: argument and input errors exit 2 with one sentence; --json is the contract. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import type { PaddingAnalysis } from '../../../extension/padding/types';
import { tempDir } from '../helpers';

const tmp = tempDir('attnprof-padding-cli-');
after(() => tmp.cleanup());

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

async function usageError(argv: string[], message: string | RegExp): Promise<void> {
  const r = await cli('padding', ...argv);
  assert.equal(r.code, 2, `exit ${r.code}: ${JSON.stringify(r.err)}`);
  assert.deepEqual(r.out, []);
  assert.equal(r.err.length, 1);
  if (typeof message === 'string') assert.equal(r.err[0], `attnprof: ${message}`);
  else assert.match(r.err[0], message);
}

const lengths = tmp.path('lengths.txt');
writeFileSync(lengths, '4\n2\n6\n1\n3\n');

describe('attnprof padding', () => {
  test('bad arguments and unreadable input exit 2 before any GPU is opened', async () => {
    await usageError([], 'padding needs --lengths FILE.');
    await usageError(['--lengths', tmp.path('nope.txt')], /^attnprof: cannot read lengths file '.*nope\.txt': no such file\.$/);
    await usageError(['--lengths', lengths, '--batch-size', '0'], "--batch-size must be an integer from 1 to 65536, got '0'.");
    await usageError(['--lengths', lengths, '--max-length', 'x'], /^attnprof: --max-length must be an integer/);
    await usageError(['--lengths', lengths, '--measure'], "--measure needs the model's attention: --config FILE or --shape B,Hq,Hkv,N,D.");
    await usageError(['--lengths', lengths, '--shape', '8,4,2,64,64', '--config', 'x.json'], 'give either --config or --shape, not both.');
    await usageError(['--lengths', lengths, '--shape', '8,4,3,64,64'], 'query heads (4) must be a multiple of key/value heads (3) for GQA/MQA.');
    await usageError(['--lengths', lengths, '--shape', '8,4,2,64,44'], 'head dim 44 is not supported; the kernels take a multiple of 8 up to 256.');
    await usageError(['--lengths', lengths, '--lengths-format', 'xml'], "--lengths-format must be one of text, jsonl, npy, histogram-csv, histogram-json, got 'xml'.");
    await usageError(['--lengths', lengths, '--bogus'], 'unknown option --bogus.');
    await usageError(['--lengths', lengths, '--config', tmp.path('missing.json')], /^attnprof: .*missing\.json.*cannot read file/);
    writeFileSync(tmp.path('bad.txt'), 'x\n');
    await usageError(['--lengths', tmp.path('bad.txt')], /holds no valid sequence length/);
  });

  test('a table, a recommendation, and the JSON contract; defaults B = 8, L = the longest', async () => {
    const json = tmp.path('out.json');
    const r = await cli('padding', '--lengths', lengths, '--json', json);
    assert.equal(r.code, 0, r.err.join('\n'));
    const text = r.out.join('\n');
    assert.match(text, /^5 sequences from .*lengths\.txt \(text\): length min 1, median 3, p90 6, p99 6, max 6$/m);
    assert.match(text, /^B = 8, L = 6, non-causal$/m);
    assert.match(text, /^fixed\s+53\.3 %\s+36\.7 %\s+36\.7 %\s+1\s+14$/m);
    assert.match(text, /^recommendation: /m);
    const a = JSON.parse(readFileSync(json, 'utf8')) as PaddingAnalysis;
    assert.equal(a.n, 5);
    assert.equal(a.batchSize, 8);
    assert.equal(a.maxLength, 6);
    assert.deepEqual(a.strategies.map((s) => s.name), ['fixed', 'dynamic', 'bucketed', 'packed']);
    for (const s of a.strategies) {
      for (const k of ['tokenEfficiency', 'attentionEfficiency', 'batches', 'paddedTokens'] as const) assert.equal(typeof s[k], 'number', `${s.name}.${k}`);
      assert.equal(s.measuredMs, undefined);
    }
    assert.equal(a.strategies[1].tokenEfficiency, 16 / 30); // one batch of 5 padded to 6
  });

  test('--shape gives B and L defaults and the memory of the largest batch', async () => {
    const r = await cli('padding', '--lengths', lengths, '--shape', '2,4,2,6,64', '--causal', '--json', '-');
    assert.equal(r.code, 0, r.err.join('\n'));
    const a = JSON.parse(r.out.at(-1) as string) as PaddingAnalysis;
    assert.deepEqual([a.batchSize, a.maxLength, a.causal], [2, 6, true]);
    assert.deepEqual(a.attention, { name: 'shape', heads: 4, kvHeads: 2, headDim: 64, dtype: 'f32', dtypeBytes: 4, causal: true });
    assert.equal(a.strategies[0].memory?.scoreBytes, 2 * 4 * 36 * 4);
    assert.match(r.out[0], /peak batch \(S\)/);
  });

  test('--config takes the model\'s heads and its causal flag', async () => {
    const r = await cli('padding', '--lengths', lengths, '--config', 'test/fixtures/configs/qwen2-7b.json', '--json', '-');
    assert.equal(r.code, 0, r.err.join('\n'));
    const a = JSON.parse(r.out.at(-1) as string) as PaddingAnalysis;
    assert.deepEqual([a.attention?.heads, a.attention?.kvHeads, a.attention?.headDim, a.causal], [28, 4, 128, true]);
    assert.deepEqual([a.attention?.dtype, a.attention?.dtypeBytes], ['f32', 2], 'memory at bf16, measured at f32');
  });
});
