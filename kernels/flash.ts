import flashWgsl from './wgsl/flash.wgsl';
import { AttentionKernel, bindGroup, packParams, uniformBuffer } from './kernel';
import { ProblemError } from './problem';
import type { GpuContext } from './device';
import { assembleShader } from './shader';

export interface FlashTiles {
  /** Query rows per workgroup (one per thread). */
  rows: number;
  /** Keys per K/V tile staged in workgroup memory. */
  keys: number;
}

/** Tile override for sweeps: ATTNPROF_FLASH_TILES="rows,keys" (e.g. "64,32"). */
function tilesFromEnv(): FlashTiles | undefined {
  const raw = typeof process !== 'undefined' ? process.env.ATTNPROF_FLASH_TILES : undefined;
  if (!raw) return undefined;
  const [rows, keys] = raw.split(',').map(Number);
  if (!(rows > 0 && keys > 0)) return undefined;
  return { rows, keys };
}

/**
 * Tile sizes per head dim, within the adapter's workgroup storage (K and V tiles in f32:
 * 2·keys·D·4 bytes). Chosen from the sweep recorded in BENCHMARKS.md.
 */
export function chooseFlashTiles(headDim: number, ctx: GpuContext, override = tilesFromEnv()): FlashTiles {
  const storage = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = ctx.adapter.limits.maxComputeInvocationsPerWorkgroup;
  const wanted = override ?? (headDim <= 64 ? { rows: 64, keys: 8 } : headDim <= 128 ? { rows: 128, keys: 16 } : { rows: 64, keys: 8 });
  let keys = wanted.keys;
  while (keys > 4 && 2 * keys * headDim * 4 > storage) keys /= 2;
  return { rows: Math.min(wanted.rows, maxThreads), keys };
}

export const flashKernel: AttentionKernel = {
  name: 'flash',
  description: 'fused online-softmax attention (FlashAttention-2 style), K/V tiles in workgroup memory',

  check(ctx, p) {
    const tiles = chooseFlashTiles(p.headDim, ctx);
    if (2 * tiles.keys * p.headDim * 4 > ctx.adapter.limits.maxComputeWorkgroupStorageSize) {
      throw new ProblemError(`head dim ${p.headDim} needs more workgroup memory than this adapter has for flash.`);
    }
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil(p.seqLenQ / tiles.rows) > maxDim) {
      throw new ProblemError(`query length ${p.seqLenQ} is over what flash can dispatch on this adapter (${maxDim * tiles.rows}).`);
    }
  },

  analyticScratch() {
    return [];
  },

  async prepare(ctx, alloc, cache, p, io) {
    const tiles = chooseFlashTiles(p.headDim, ctx);
    const consts = { HEAD_DIM: p.headDim, BQ: tiles.rows, BK: tiles.keys };
    const pipeline = await cache.get(
      `flash:${p.dtype}:${p.headDim}:${tiles.rows}:${tiles.keys}`,
      assembleShader(flashWgsl, { dtype: p.dtype, consts, mask: true }),
      'flash',
    );
    const params = uniformBuffer(ctx, alloc, 'params', packParams(p, 0, p.batch * p.heads));
    const pairs = p.batch * p.heads;
    const workgroups: [number, number, number] = [
      Math.ceil(p.seqLenQ / tiles.rows),
      Math.min(pairs, 65535),
      Math.ceil(pairs / 65535),
    ];
    const passesBySet = io.sets.map((set, si) => [
      {
        name: 'fused',
        pipeline,
        bindGroup: bindGroup(ctx, pipeline, `flash set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out]),
        workgroups,
      },
    ]);
    return {
      passesFor: (set: number) => passesBySet[set % passesBySet.length],
      notes: [`tiles: ${tiles.rows} query rows × ${tiles.keys} keys per workgroup`],
    };
  },
};
