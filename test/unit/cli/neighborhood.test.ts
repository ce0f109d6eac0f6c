/**
 * `--neighborhood R [--grid H×W]` and a script's `NEIGHBORHOOD = R`: how the mask reaches the problem, and the
 * one-sentence refusals (exit 2, before any GPU is opened).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { modelsFromFile } from '../../../extension/cli/config-commands';
import { workloadsFromModels, type WorkloadOverrides } from '../../../extension/engine/workloads';

const workloadsFromFile = (file: string, o: WorkloadOverrides) => workloadsFromModels(modelsFromFile(file), o);
import { tempDir } from '../helpers';

const tmp = tempDir();
after(() => tmp.cleanup());

async function usageError(argv: string[], message: string): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  assert.equal(code, 2, `attnprof ${argv.join(' ')}: exit ${code}, stderr ${JSON.stringify(err)}`);
  assert.deepEqual(out, []);
  assert.deepEqual(err, [`attnprof: ${message}`]);
}

const SCRIPT = `NUM_HEADS = 12
HEAD_DIM = 64
DEPTH = 12
IMG_SIZE = 224
PATCH_SIZE = 16
BATCH_SIZE = 8
NEIGHBORHOOD = 5
`;

describe('the 2-D neighbourhood from the CLI and from a script', () => {
  test('bad --neighborhood / --grid values are refused in one sentence', async () => {
    const shape = ['profile', '--shape', '1,2,2,200,64'];
    await usageError([...shape, '--neighborhood', '5'], '200 tokens are neither a square grid nor a class token and a square grid; give the grid as --grid H×W.');
    await usageError([...shape, '--neighborhood', '5', '--grid', '20x20'], "a 20×20 patch grid has 400 tokens, more than the sequence's 200.");
    await usageError([...shape, '--neighborhood', '5', '--grid', '10'], "--grid must be ROWS×COLS (e.g. 56x56), got '10'.");
    await usageError([...shape, '--grid', '10x20'], '--grid is the patch grid of --neighborhood R; give both.');
    await usageError([...shape, '--neighborhood', '0'], "--neighborhood takes R or W:R (radius, or grid width and radius, e.g. 5 or 56:5), got '0'.");
    await usageError([...shape, '--neighborhood', '300:2'], '--neighborhood grid width 300 is wider than the 200 tokens.');
    await usageError(['profile', '--shape', '1,2,2,196,64', '--q-len', '1', '--neighborhood', '3'], 'a 2-D neighbourhood needs as many queries as keys (the same tokens), got 1 and 196.');
  });

  test('a script\'s NEIGHBORHOOD = 5 puts the mask on its 14×14 patch grid; --neighborhood (R or W:R) overrides it', () => {
    const file = tmp.path('vit_neighborhood.py');
    writeFileSync(file, SCRIPT);
    const [w] = workloadsFromFile(file, { dtype: 'f32' });
    assert.deepEqual(w.problem.neighborhood, { radius: 5, rows: 14, cols: 14 });
    assert.equal(w.problem.seqLenK, 196);
    const [over] = workloadsFromFile(file, { dtype: 'f32', neighborhood: 2 });
    assert.deepEqual(over.problem.neighborhood, { radius: 2, rows: 14, cols: 14 });
    const wide = workloadsFromFile(file, { dtype: 'f32', neighborhood: 3, gridWidth: 28 })[0];
    assert.deepEqual(wide.problem.neighborhood, { radius: 3, rows: 7, cols: 28 });
    // A longer sequence than the image: the grid comes from the length (3136 = 56²).
    const [long] = workloadsFromFile(file, { dtype: 'f32', seqLen: 3136 });
    assert.deepEqual(long.problem.neighborhood, { radius: 5, rows: 56, cols: 56 });
  });

  test('a HF ViT config (class token + 14×14): --neighborhood keeps the class token global', () => {
    const [w] = workloadsFromFile('examples/vit-b16/config.json', { dtype: 'f32', neighborhood: 3 });
    assert.equal(w.problem.seqLenK, 197);
    assert.deepEqual(w.problem.neighborhood, { radius: 3, rows: 14, cols: 14 });
  });

  test('a causal language model refuses a neighbourhood', async () => {
    await usageError(['profile', 'examples/qwen2-7b/config.json', '--neighborhood', '5'], 'a 2-D neighbourhood is for vision models (bidirectional attention over a patch grid); Qwen2ForCausalLM is causal.');
  });
});
