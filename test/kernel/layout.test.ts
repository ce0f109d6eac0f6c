/**
 * Kernel tier: the bshd layout ([B, N, H, D]) read and written through strides by every kernel, against the
 * float64 reference, and `attnprof run --layout bshd` on .npy tensors. The shapes reuse shapes.test.ts's
 * (N = 37, GQA 4:2), so no pipeline is compiled twice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, docBoundsFor } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { swapHeadsAndPositions } from '../../kernels/layout';
import { randomNormal } from '../../kernels/random';
import { main } from '../../extension/cli/main';
import { encodeNpy, parseNpy } from '../../extension/cli/npy';
import { tempDir } from '../unit/helpers';

let ctx: GpuContext;
const seed = Date.now() & 0xffffff;
const tmp = tempDir();

before(async () => {
  ctx = await openGpu();
});
after(() => {
  ctx?.destroy();
  tmp.cleanup();
});

const VARIANTS: { kernel: string; variant?: string; splits?: string }[] = [
  { kernel: 'naive' },
  { kernel: 'flash', variant: 'tiled' },
  { kernel: 'flash', variant: 'tiled', splits: '3' },
  { kernel: 'flash', variant: 'rows' },
];

const N = 37;
const base = (over: Partial<AttentionProblem>): AttentionProblem => ({
  batch: 2, heads: 4, kvHeads: 2, seqLenQ: N, seqLenK: N, headDim: 64, dtype: 'f32', causal: false, window: 0, softcap: 0, layout: 'bshd', ...over,
});

async function expectAllCorrect(p: AttentionProblem, what: string): Promise<void> {
  for (const { kernel, variant, splits } of VARIANTS) {
    if (variant) process.env.ATTNPROF_FLASH_VARIANT = variant;
    if (splits) process.env.ATTNPROF_FLASH_SPLITS = splits;
    const label = `${what} · ${kernel}${variant ? ` ${variant}` : ''}${splits ? ` splits=${splits}` : ''}`;
    try {
      const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
      const r = run.results[0];
      assert.equal(r.status, 'ok', `${label}: ${r.error}`);
      assert.ok(r.correct, `${label} (${r.notes.join('; ')}): max relative error ${r.maxRelError} > ${r.tolerance} (seed ${seed})`);
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
      delete process.env.ATTNPROF_FLASH_SPLITS;
    }
  }
}

describe('bshd layout through strides', () => {
  const masks: [string, Partial<AttentionProblem>][] = [
    ['no mask', {}],
    ['causal, key lengths', { causal: true, kvLens: Int32Array.from([30, 11]) }],
    ['packed documents', { docBounds: docBoundsFor([[10, 27], [37]], N) }],
    ['2-D neighbourhood', { neighborhood: { radius: 2, rows: 6, cols: 6 } }],
  ];
  for (const d of [64, 80]) {
    test(`head dim ${d}, f32: every kernel and mask kind`, async () => {
      for (const [name, over] of masks) await expectAllCorrect(base({ headDim: d, ...over }), `D=${d} bshd ${name}`);
    });
  }
  test('a decode shape (Nq = 1, MQA): the tiled path, not the bhsd-only decode path', async () => {
    await expectAllCorrect(base({ heads: 4, kvHeads: 1, seqLenQ: 1, seqLenK: 50, causal: true }), 'decode bshd');
  });
  test('f16', async () => {
    if (!ctx.hasF16) return;
    await expectAllCorrect(base({ dtype: 'f16', causal: true }), 'D=64 f16 bshd causal');
  });

  test('the layout helper swaps heads and positions and back', () => {
    const a = Float32Array.from({ length: 2 * 3 * 5 * 4 }, (_, i) => i);
    const s = swapHeadsAndPositions(a, 2, 3, 5, 4);
    // Element (b=1, h=2, n=4, d=3) of bhsd sits at (b=1, n=4, h=2, d=3) of bshd.
    assert.equal(s[((1 * 5 + 4) * 3 + 2) * 4 + 3], a[((1 * 3 + 2) * 5 + 4) * 4 + 3]);
    assert.deepEqual(swapHeadsAndPositions(s, 2, 5, 3, 4), a);
  });
});

describe('attnprof run --layout bshd', () => {
  test('reads [B, N, H, D] tensors and writes [B, N, H, D]: the transpose of the bhsd run on the same data', async () => {
    const [B, Hq, Hkv, n, D] = [2, 4, 2, N, 64];
    const qh = randomNormal(B * Hq * n * D, 5);
    const kh = randomNormal(B * Hkv * n * D, 6);
    const vh = randomNormal(B * Hkv * n * D, 7);
    const write = (name: string, a: Float32Array, shape: number[]) => {
      writeFileSync(tmp.path(name), encodeNpy(a, shape));
      return tmp.path(name);
    };
    const io = { out: () => {}, err: () => {} };
    const bhsd = await main(
      ['run', '--kernel', 'flash', '--q', write('q.npy', qh, [B, Hq, n, D]), '--k', write('k.npy', kh, [B, Hkv, n, D]), '--v', write('v.npy', vh, [B, Hkv, n, D]), '--out', tmp.path('o.npy'), '--causal'],
      io,
    );
    assert.equal(bhsd, 0);
    const errors: string[] = [];
    const bshd = await main(
      [
        'run', '--kernel', 'flash', '--layout', 'bshd', '--causal',
        '--q', write('qs.npy', swapHeadsAndPositions(qh, B, Hq, n, D), [B, n, Hq, D]),
        '--k', write('ks.npy', swapHeadsAndPositions(kh, B, Hkv, n, D), [B, n, Hkv, D]),
        '--v', write('vs.npy', swapHeadsAndPositions(vh, B, Hkv, n, D), [B, n, Hkv, D]),
        '--out', tmp.path('os.npy'),
      ],
      { out: () => {}, err: (s) => errors.push(s) },
    );
    assert.equal(bshd, 0, errors.join('\n'));
    assert.match(errors.join('\n'), /wrote .*os\.npy \[2,37,4,64\]/);
    const o = parseNpy(readFileSync(tmp.path('o.npy')), 'o');
    const os = parseNpy(readFileSync(tmp.path('os.npy')), 'os');
    assert.deepEqual(os.shape, [B, n, Hq, D]);
    const back = swapHeadsAndPositions(os.data as Float32Array, B, n, Hq, D);
    let worst = 0;
    for (let i = 0; i < back.length; i++) worst = Math.max(worst, Math.abs(back[i] - (o.data as Float32Array)[i]));
    assert.ok(worst < 1e-5, `bshd and bhsd runs differ by ${worst}`);
  });
});
