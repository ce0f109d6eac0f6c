import decodeWgsl from './wgsl/flash_decode.wgsl';
import flashNormaliseWgsl from './wgsl/flash_normalise.wgsl';
import splitCombineWgsl from './wgsl/flash_combine_split.wgsl';
import { AnalyticBuffer, AttentionKernel, KernelPass, bindGroup, packParams, split2d, uniformBuffer } from './kernel';
import { AttentionProblem, DType, ProblemError } from './problem';
import type { GpuContext } from './device';
import { PipelineCache, assembleShader, expandSections } from './shader';

/**
 * The key-parallel decode path shared by `flash` and `flash-mma`: taken when a KV head has at most
 * MAX_DECODE_ROWS query rows (GQA group × query length), as in token-by-token generation. Such a call is bound by
 * reading K and V once. The keys are split over workgroups; every K/V element is read once, by one workgroup,
 * straight into registers, and serves all the rows of its KV head. The partial pass (wgsl/flash_decode.wgsl) runs
 * many short workgroups, each issuing its 8-byte vec4<elem> K loads at once (its V loads after the scores) and
 * taking a plain softmax over its split (2× faster on the H200 than the chunked pass it replaced, BENCHMARKS.md
 * 2026-11-30; a streaming pass walking blocks with the next block's loads in flight and 16-byte f16 loads measured
 * slower or no faster there and were removed). The split-parallel combine pass merges the splits' partial results.
 * Tuning on a GPU: `ATTNPROF_DECODE_KEYS=N` (keys per workgroup, a multiple of 16), `ATTNPROF_DECODE_THREADS=64|128|256`.
 */
export const MAX_DECODE_ROWS = 16;
/**
 * The workgroup memory the pass keeps within where it can (its footprint, keyParallelShape, and the keys per
 * workgroup the plan takes): 16 KiB, three workgroups in a multiprocessor's 48 KiB on the H200 where the registers
 * allow (kernels/residency.ts). The Qwen2-7B decode step's pass took 22 512 bytes before its memory was shared
 * between phases and takes 13 296 now: 49.9 µs against 52.5 µs before, and 50.7 / 51.3 against 52.7 / 53.2 µs, in the
 * runs of the machine's fast state (BENCHMARKS.md, eighteenth and nineteenth sessions).
 */
export const FAST_WORKGROUP_BYTES = 16384;
/**
 * Workgroups the one-shot pass wants (the H200 has 132 SMs): on the qwen2-decode shape, 128-key splits (1024
 * workgroups) took 89.0 µs against 97.3 µs with 64-key ones and 216 µs with 256-key ones, the iterations submitted
 * back to back (H200, 2026-11-30, BENCHMARKS.md). Measured one iteration at a time, with the GPU idle between them,
 * 64-key splits had looked faster.
 */
const TARGET_WORKGROUPS = 1024;
/** Fewer keys per split than this cost more in partial results (ROWS·D f32 per split) than they gain. */
const MIN_SPLIT_KEYS = 64;
/** Invocations per workgroup of the key-parallel pass. */
const KP_THREADS = 256;

export const envOf = (name: string): string | undefined => (typeof process !== 'undefined' ? process.env[name] : undefined);

/** The key-parallel pass's sizes (the compile-time constants of flash_decode.wgsl). */
export interface KeyParallelShape {
  /** Invocations per workgroup. */
  threads: number;
  /** Keys one workgroup holds (at most its split). */
  sk: number;
  /** V key slices of the P·V phase (each KPS = sk / slices keys) × D/4 column units. */
  slices: number;
  /** Softmax invocations per row. */
  tpr: number;
  /** Rows per round of the slice reduction. */
  rg: number;
  /** vec4s of workgroup scratch (q, the folded score parts with the probabilities in their place, then slice sums). */
  scratch: number;
  /** The vec4 where the folded score parts begin: ROWS·D/4 (beside q), or 0 (over q, one barrier more). */
  partsAt: number;
  /** K and V vec4<elem> loads each invocation keeps in registers. */
  loads: number;
  workgroupBytes: number;
}

export interface DecodePlan {
  rows: number;
  splits: number;
  /** Keys per split; 0 when not split. */
  splitKeys: number;
  /** Keys one workgroup walks at a time: the key side of its tile of the score matrix (tile skipping counts it). */
  tileKeys: number;
  workgroupBytes: number;
  shape: KeyParallelShape;
}

/** ATTNPROF_DECODE_KEYS: the keys per workgroup, forced (rounded up to a multiple of 16). */
function forcedKeys(): number | undefined {
  const keys = Number(envOf('ATTNPROF_DECODE_KEYS'));
  return keys >= 16 ? Math.ceil(keys / 16) * 16 : undefined;
}

export function planDecode(p: AttentionProblem, ctx: GpuContext): DecodePlan | undefined {
  const rows = (p.heads / p.kvHeads) * p.seqLenQ;
  if (rows > MAX_DECODE_ROWS || p.headDim % 4 !== 0) return undefined;
  // The decode passes read bhsd rows and mask by the contiguous range only: the bshd layout and a 2-D
  // neighbourhood take the tiled path, which reads strides and the whole mask API.
  if (p.layout === 'bshd' || p.neighborhood) return undefined;
  return planKeyParallel(p, ctx, rows, forcedKeys());
}

/** ATTNPROF_DECODE_THREADS: the invocations per workgroup, forced (64, 128 or 256). */
function decodeThreads(): number {
  const n = Number(envOf('ATTNPROF_DECODE_THREADS'));
  return n === 64 || n === 128 || n === 256 ? n : KP_THREADS;
}

/**
 * The key-parallel pass's sizes for `sk` keys per workgroup of `threads` invocations. Its workgroup memory
 * (flash_decode.wgsl's declarations, byte for byte) is one vec4<f32> `scratch` array whose regions live in turn —
 * q (ROWS·D/4 vec4s, phase A); the score parts folded to 2 per (row, key) (ROWS·SK/2 vec4s), which phase B overwrites
 * in place with the scores, then the probabilities (through P·V); the slice sums of RG rows (RG·KS·D/4 vec4s, after
 * a barrier that ends P·V) — plus redM and redL (f32, ROWS·TPR each), rangeS and rowStat (vec2, ROWS each). The
 * parts lie beside q unless that passes FAST_WORKGROUP_BYTES, then over q (written after one more barrier). RG keeps
 * the reduction's rounds (2 barriers each) as they were where FAST_WORKGROUP_BYTES allows.
 */
export function keyParallelShape(rows: number, d: number, sk: number, threads = KP_THREADS): KeyParallelShape {
  const d4 = d / 4;
  const slices = Math.min(16, Math.floor(threads / d4));
  // Every row's softmax invocations fit in the workgroup (ROWS · TPR ≤ THREADS).
  const tpr = Math.max(1, Math.min(16, sk / 4, Math.floor(threads / rows)));
  const fixedBytes = 8 * rows * tpr + 16 * rows;
  const budget = Math.floor((FAST_WORKGROUP_BYTES - fixedBytes) / 16);
  const q = rows * d4;
  const parts = (rows * sk) / 2;
  const rowSums = slices * d4;
  const partsAt = Math.max(q + parts, rowSums) <= budget ? q : 0;
  const held = Math.max(q, partsAt + parts);
  // As many rows per round as the 4 parts per (row, key) of the former layout held (ROWS·SK vec4s), within the
  // budget, or more where the scratch holds more anyway.
  const rg = Math.max(1, Math.min(rows, Math.floor(Math.max(held, Math.min(budget, rows * sk)) / rowSums)));
  const scratch = Math.max(held, rg * rowSums);
  const loads = Math.ceil((sk * 4) / threads) * Math.ceil(d4 / 4) + sk / slices;
  const workgroupBytes = 16 * scratch + fixedBytes;
  return { threads, sk, slices, tpr, rg, scratch, partsAt, loads, workgroupBytes };
}

/** 32-bit registers one vec4<elem> K/V load takes. */
const loadRegs = (dtype: DType): number => (dtype === 'f32' ? 4 : 2);

function planKeyParallel(p: AttentionProblem, ctx: GpuContext, rows: number, forcedKeys?: number): DecodePlan | undefined {
  const threads = decodeThreads();
  const slices = Math.min(16, Math.floor(threads / (p.headDim / 4)));
  const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  // sk is a multiple of 4 keys per V slice (the P·V phase reads 4 probabilities as one vec4).
  const step = 4 * slices;
  const sizes = [...new Set([256, 128, 64, 32, 16, ...(forcedKeys ? [forcedKeys] : [])].map((n) => Math.ceil(n / step) * step))]
    .sort((a, b) => b - a)
    .map((sk) => keyParallelShape(rows, p.headDim, sk, threads))
    .filter((s) => s.workgroupBytes <= limit);
  if (!sizes.length) return undefined;
  // Registers: an invocation holds its K loads, then its V loads; past this budget they would spill (more query
  // rows need more accumulators). Past it even at the smallest size, take the smallest anyway.
  const budget = rows <= 8 ? 64 : 32;
  const inBudget = sizes.filter((s) => s.loads * loadRegs(p.dtype) <= budget);
  // Within the registers, the largest workgroup within FAST_WORKGROUP_BYTES where one is (D ≤ 64 in f16: 128 keys
  // with 8 rows, not 256; 64 with 16 rows, not 128).
  const fast = inBudget.filter((s) => s.workgroupBytes <= FAST_WORKGROUP_BYTES);
  const forced = forcedKeys ? sizes.find((s) => s.sk === Math.ceil(forcedKeys / step) * step) : undefined;
  const max = forced ?? fast[0] ?? inBudget[0] ?? sizes[sizes.length - 1];
  const pairs = p.batch * p.kvHeads;
  const wanted = Math.ceil(TARGET_WORKGROUPS / pairs);
  const perSplit = forced ? forced.sk : Math.min(max.sk, Math.max(MIN_SPLIT_KEYS, Math.ceil(Math.ceil(p.seqLenK / wanted) / 16) * 16));
  const splits = Math.ceil(p.seqLenK / perSplit);
  const span = splits > 1 ? perSplit : p.seqLenK;
  // The smallest workgroup that holds the split: no P·V work on keys past it.
  const shape = forced ?? [...sizes].reverse().find((s) => s.sk >= span && s.sk <= max.sk) ?? max;
  return {
    rows,
    splits,
    splitKeys: splits > 1 ? perSplit : 0,
    tileKeys: span,
    workgroupBytes: shape.workgroupBytes,
    shape,
  };
}

/**
 * The key-parallel pass's host-unrolled code (flash_decode.wgsl's sections): the K/V loads into named registers, the
 * score phase, the P·V phase and the rounds of the slice reduction, with constant offsets throughout.
 */
export function keyParallelSections(body: string, rows: number, d: number, shape: KeyParallelShape): string {
  const d4 = d / 4;
  const { sk, slices, rg } = shape;
  const kpi = shape.threads / 4; // keys one step of the score phase covers
  const ka = Math.ceil(sk / kpi);
  const ci = Math.ceil(d4 / 4);
  const kps = sk / slices;
  // With D/4 not a multiple of 4, the last column step has only D/4 − 4·(ci − 1) of the 4 parts.
  const lastParts = d4 - 4 * (ci - 1);
  const colOk = (c: number): string => (c === ci - 1 && lastParts < 4 ? ` && part < ${lastParts}u` : '');
  const rowList = Array.from({ length: rows }, (_, r) => r);
  const lanes = ['x', 'y', 'z', 'w'];
  // The K loads of the split into registers kr… (//@LOADS), its V loads into vr… (//@VLOADS, after the score phase).
  // A key outside [kStart, kEnd) reads the nearest visible key's row and is not zeroed: its score is masked in
  // phase B and its probability is exactly 0 (no select per load; with the fma chains below the H200's SASS went
  // from 2826 to 2546 lines). Only the columns past D/4 in a last partial column step are zeroed.
  const loads: string[] = [];
  for (let a = 0; a < ka; a++) {
    loads.push(`  let kAt${a} = (kvBase + clamp(keyLo + kq + ${a * kpi}u, kStart, last)) * D4 + part;`);
    for (let c = 0; c < ci; c++) {
      const at = `k[kAt${a} + ${4 * c}u]`;
      loads.push(`  let kr${a}_${c} = ${colOk(c) ? `select(vec4<elem>(), ${at}, part < ${lastParts}u)` : at};`);
    }
  }
  const vloads: string[] = [];
  for (let t = 0; t < kps; t++) vloads.push(`  let vr${t} = v[(kvBase + clamp(keyLo + ks * KPS + ${t}u, kStart, last)) * D4 + cv];`);
  const scores: string[] = [];
  for (let c = 0; c < ci; c++) scores.push(`  let qc${c} = ${colOk(c) ? `min(part + ${4 * c}u, D4 - 1u)` : `part + ${4 * c}u`};`);
  // Column step c: the K vec4s of all ka keys in f32, then each row's q read once from workgroup memory and
  // dotted with all of them (ka · ROWS running sums; workgroup memory reads, not FMAs, bound this phase).
  for (let c = 0; c < ci; c++) {
    for (let a = 0; a < ka; a++) scores.push(`  let kf${a}_${c} = vec4<f32>(kr${a}_${c});`);
    for (const r of rowList) {
      scores.push(`  let q${r}_${c} = scratch[${r * d4}u + qc${c}];`);
      for (let a = 0; a < ka; a++) {
        // An fma chain (4 instructions per vec4), not dot() + add (5).
        const [q, kf, sum] = [`q${r}_${c}`, `kf${a}_${c}`, `s${a}_${r}`];
        const chain = lanes.reduce((acc, l) => `fma(${q}.${l}, ${kf}.${l}, ${acc})`, c === 0 ? '0.0' : sum);
        scores.push(c === 0 ? `  var ${sum} = ${chain};` : `  ${sum} = ${chain};`);
      }
    }
  }
  // The fold (//@FOLD): parts p and p ^ 2 of a key pair up over the 2 slots (row, key, p & 1) of its parts. Of each
  // pair of items (i0, i1) — (key step a, row r) — the upper parts hand over i0 and keep i1, the lower ones the
  // reverse: one store, a barrier, then one load and one store in place per invocation and pair; a lone item (an
  // odd count) goes from the upper parts to the lower ones. Keys past SK (when 4·SK is not a multiple of the
  // workgroup) are not stored.
  scores.push('  let fb = PARTS_AT + kq / 2u;', '  let fl = ((kq & 1u) << 1u) | (part & 1u);', '  let upper = part >= 2u;');
  const slot = (a: number, r: number): string => `${(r * sk) / 2 + (a * kpi) / 2}u`;
  const hand: string[] = [];
  const take: string[] = [];
  const foldItems = (items: (readonly [number, number])[]): void => {
    for (let i = 0; i < items.length; i += 2) {
      const [a0, r0] = items[i];
      if (i + 1 === items.length) {
        hand.push(`  if (upper) { scratch[fb + ${slot(a0, r0)}][fl] = s${a0}_${r0}; }`);
        take.push(`  if (!upper) { scratch[fb + ${slot(a0, r0)}][fl] += s${a0}_${r0}; }`);
        continue;
      }
      const [a1, r1] = items[i + 1];
      hand.push(`  scratch[fb + select(${slot(a1, r1)}, ${slot(a0, r0)}, upper)][fl] = select(s${a1}_${r1}, s${a0}_${r0}, upper);`);
      take.push(
        '  {',
        `    let at = fb + select(${slot(a0, r0)}, ${slot(a1, r1)}, upper);`,
        `    scratch[at][fl] += select(s${a0}_${r0}, s${a1}_${r1}, upper);`,
        '  }',
      );
    }
  };
  const itemsOf = (a: number) => rowList.map((r) => [a, r] as const);
  // Only the last key step can pass SK.
  const guarded = ka * kpi > sk;
  foldItems(Array.from({ length: guarded ? ka - 1 : ka }, (_, a) => itemsOf(a)).flat());
  if (guarded) {
    const inSplit = `  if (kq + ${(ka - 1) * kpi}u < SK) {`;
    hand.push(inSplit);
    take.push(inSplit);
    foldItems(itemsOf(ka - 1));
    hand.push('  }');
    take.push('  }');
  }
  // Beside q the parts are handed over as phase A ends; over q, after a barrier that ends phase A's reads of q.
  const fold = shape.partsAt > 0 ? take : [...hand, '  workgroupBarrier();', ...take];
  if (shape.partsAt > 0) scores.push(...hand);
  // P·V: invocation (ks, cv) holds each row's accumulator of its vec4 column; row r's probabilities of the keys
  // 4g … 4g + 3 lie at PARTS_AT + r·SK/2 + 2g (flash_decode.wgsl's pAt).
  const pv: string[] = rowList.map((r) => `  var acc${r} = vec4<f32>(0.0);`);
  pv.push('  if (hasSlice) {', `    let pb = PARTS_AT + ks * (KPS / 2u);`);
  for (let t4 = 0; t4 < kps / 4; t4++) {
    for (let e = 0; e < 4; e++) pv.push(`    let vf${4 * t4 + e} = vec4<f32>(vr${4 * t4 + e});`);
    for (const r of rowList) {
      pv.push(`    let p${r}_${t4} = scratch[pb + ${(r * sk) / 2 + 2 * t4}u];`);
      for (let e = 0; e < 4; e++) pv.push(`    acc${r} = fma(vec4<f32>(p${r}_${t4}.${lanes[e]}), vf${4 * t4 + e}, acc${r});`);
    }
  }
  pv.push('  }');
  // The slice sums overwrite the probabilities: the first round waits for P·V's last reads of them.
  const reduce: string[] = ['  workgroupBarrier();'];
  for (let r0 = 0; r0 < rows; r0 += rg) {
    const n = Math.min(rg, rows - r0);
    reduce.push('  if (hasSlice) {');
    for (let rr = 0; rr < n; rr++) reduce.push(`    scratch[(${rr * slices}u + ks) * D4 + cv] = acc${r0 + rr};`);
    reduce.push('  }', '  workgroupBarrier();');
    reduce.push(
      `  for (var item = lid; item < ${n * d4}u; item += THREADS) {`,
      '    let rr = item / D4;',
      '    let c = item % D4;',
      '    var sum = vec4<f32>(0.0);',
      '    for (var s = 0u; s < KS; s++) { sum += scratch[(rr * KS + s) * D4 + c]; }',
      `    writeRow(wg.x, rowBase, rows, ${r0}u + rr, c, sum);`,
      '  }',
    );
    if (r0 + rg < rows) reduce.push('  workgroupBarrier();');
  }
  return expandSections(body, { LOADS: loads, VLOADS: vloads, SCORES: scores, FOLD: fold, PV: pv, REDUCE: reduce });
}

/** The split-K scratch (partial results and row statistics) of `splits` key splits; 16-byte stand-ins when not split. */
export function splitScratch(p: AttentionProblem, splits: number): AnalyticBuffer[] {
  const rows = p.batch * p.heads * p.seqLenQ;
  if (splits === 1) {
    // Unused by the un-split kernel but bound all the same: the smallest buffers WebGPU allows.
    return [
      { label: 'split partials (unused)', role: 'scratch', bytes: 16 },
      { label: 'split stats (unused)', role: 'scratch', bytes: 16 },
    ];
  }
  return [
    { label: `split partials (${splits} splits)`, role: 'scratch', bytes: splits * rows * p.headDim * 4 },
    { label: 'split stats (max, sum)', role: 'scratch', bytes: splits * rows * 8 },
  ];
}

/** Invocations per workgroup of the normalising pass (one per row and vec4 column). */
const NORMALISE_THREADS = 64;

/** The most invocations a workgroup of the split-parallel combine pass takes (the WebGPU default limit). */
const SPLIT_COMBINE_THREADS = 256;

/** The split-parallel combine pass's sizes (flash_combine_split.wgsl's constants) for `splits` splits of head dim `d`. */
export interface SplitCombineShape {
  /** Invocations per (row, column), each merging `per` splits. */
  groups: number;
  per: number;
  /** Rows per workgroup. */
  rpw: number;
  threads: number;
}

export function splitCombineShape(splits: number, d: number): SplitCombineShape {
  const d4 = d / 4;
  const most = Math.max(1, Math.min(splits, Math.floor(SPLIT_COMBINE_THREADS / d4)));
  // As few splits per invocation as the groups allow, spread evenly (32 splits over 8 groups: 4 each, none ragged).
  const per = Math.ceil(splits / most);
  const groups = Math.ceil(splits / per);
  const rpw = Math.max(1, Math.floor(SPLIT_COMBINE_THREADS / (groups * d4)));
  return { groups, per, rpw, threads: rpw * groups * d4 };
}

/**
 * The split-parallel combine pass's //@MERGE: invocation (g, c) loads the statistics and partials of its splits
 * g + j·GROUPS (all loads before the first use) and merges them relative to their max.
 */
export function splitCombineSections(body: string, splits: number, shape: SplitCombineShape): string {
  const { groups, per } = shape;
  const js = Array.from({ length: per }, (_, j) => j);
  // Only the last step can pass SPLITS, and only when the groups do not divide the splits.
  const ragged = (j: number): boolean => (j + 1) * groups > splits;
  const lines: string[] = [];
  for (const j of js) {
    const s = ragged(j) ? `min(g + ${j * groups}u, ${splits - 1}u)` : `(g + ${j * groups}u)`;
    lines.push(`  let st${j} = stats[${s} * rows + row];`, `  let pa${j} = partial[(${s} * rows + row) * D4 + c];`);
  }
  for (const j of js) {
    const ok = ragged(j) ? ` && g + ${j * groups}u < ${splits}u` : '';
    lines.push(`  let m${j} = select(MASKED, st${j}.x, st${j}.y > 0.0${ok});`);
  }
  lines.push(`  mLoc = ${js.reduce((acc, j) => (acc ? `max(${acc}, m${j})` : `m${j}`), '')};`);
  for (const j of js) {
    lines.push(
      `  let w${j} = select(0.0, exp(m${j} - mLoc), m${j} > MASKED);`,
      `  l = fma(w${j}, st${j}.y, l);`,
      `  a = fma(vec4<f32>(w${j}), select(vec4<f32>(0.0), pa${j}, m${j} > MASKED), a);`,
    );
  }
  return expandSections(body, { MERGE: lines });
}

/**
 * The split-K combine pass shared by flash's split tiled kernel, the decode path and (with one split) the training
 * forward's normalising pass: merges each row's `splits` partial results and (max, sum) statistics into O. With
 * one split it is the normalising pass (flash_normalise.wgsl); with more the split-parallel pass
 * (flash_combine_split.wgsl).
 */
export async function combinePass(
  ctx: GpuContext,
  cache: PipelineCache,
  p: AttentionProblem,
  splits: number,
  buffers: { params: GPUBuffer; partial: GPUBuffer; stats: GPUBuffer; out: GPUBuffer },
): Promise<KernelPass> {
  const label = splits > 1 ? 'flash combine' : 'flash normalise';
  const rows = p.batch * p.heads * p.seqLenQ;
  const maxPerDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
  let pipeline: GPUComputePipeline;
  let workgroups: number;
  if (splits > 1) {
    const shape = splitCombineShape(splits, p.headDim);
    pipeline = await cache.get(
      `flash-combine-split:${p.dtype}:${p.headDim}:${splits}`,
      assembleShader(splitCombineSections(splitCombineWgsl, splits, shape), {
        dtype: p.dtype,
        consts: { HEAD_DIM: p.headDim, THREADS: shape.threads, GROUPS: shape.groups, RPW: shape.rpw },
        mask: false,
      }),
      label,
    );
    workgroups = Math.ceil(rows / shape.rpw);
  } else {
    pipeline = await cache.get(
      `flash-normalise:${p.dtype}:${p.headDim}`,
      assembleShader(flashNormaliseWgsl, { dtype: p.dtype, consts: { HEAD_DIM: p.headDim, THREADS: NORMALISE_THREADS }, mask: false }),
      label,
    );
    workgroups = Math.ceil((rows * (p.headDim / 4)) / NORMALISE_THREADS);
  }
  const [cx, cy] = split2d(workgroups, maxPerDim);
  const { params, partial, stats, out } = buffers;
  return { name: 'combine', pipeline, bindGroup: bindGroup(ctx, pipeline, label, [params, partial, stats, out]), workgroups: [cx, cy, 1] };
}

/** The decode pass's pipeline and its note. */
async function decodePipeline(cache: PipelineCache, p: AttentionProblem, plan: DecodePlan): Promise<{ pipeline: GPUComputePipeline; note: string }> {
  const split = plan.splits > 1 ? `; keys split ${plan.splits} ways (${plan.splitKeys} each), then combined (split-parallel combine pass).` : '.';
  const s = plan.shape;
  const d4 = p.headDim / 4;
  const pipeline = await cache.get(
    `decode:${p.dtype}:${p.headDim}:${plan.rows}:${s.sk}:${s.threads}`,
    assembleShader(keyParallelSections(decodeWgsl, plan.rows, p.headDim, s), {
      dtype: p.dtype,
      consts: { HEAD_DIM: p.headDim, ROWS: plan.rows, SK: s.sk, THREADS: s.threads, KS: s.slices, TPR: s.tpr, SCRATCH: s.scratch, PARTS_AT: s.partsAt },
      mask: true,
    }),
    'decode (key-parallel)',
  );
  return {
    pipeline,
    note:
      `key-parallel decode: ${plan.rows} query rows per KV head, one-shot pass; each workgroup (${s.threads} threads) ` +
      `reads up to ${s.sk} keys of K and V straight into registers (${s.loads} vec4<${p.dtype}> loads per thread: K at once, V after the scores), one softmax per split, ` +
      `scores with 4 threads per key, P·V by ${s.slices} key slices × ${d4} column units${split}`,
  };
}

/** The decode path as a kernel body, or undefined when the shape is not a decode shape. */
export function decodePath(p: AttentionProblem, ctx: GpuContext): Pick<AttentionKernel, 'check' | 'analyticScratch' | 'prepare'> | undefined {
  const plan = planDecode(p, ctx);
  if (!plan) return undefined;
  return {
    check(c) {
      if (plan.splits > c.adapter.limits.maxComputeWorkgroupsPerDimension || p.batch * p.kvHeads > c.adapter.limits.maxComputeWorkgroupsPerDimension) {
        throw new ProblemError('this decode shape needs more workgroups than the adapter dispatches per dimension.');
      }
    },
    analyticScratch: () => splitScratch(p, plan.splits),
    async prepare(c, alloc, cache, prob, io) {
      const { pipeline, note } = await decodePipeline(cache, prob, plan);
      const params = uniformBuffer(c, alloc, 'params', packParams(prob, 0, prob.batch * prob.heads, plan.splitKeys));
      const buffers = splitScratch(prob, plan.splits).map((b) => alloc.create(b.label, 'scratch', b.bytes, GPUBufferUsage.STORAGE));
      const combine =
        plan.splits > 1 ? await combinePass(c, cache, prob, plan.splits, { params, partial: buffers[0], stats: buffers[1], out: io.out }) : undefined;
      const passesBySet = io.sets.map((set, si) => {
        const main: KernelPass = {
          name: plan.splits > 1 ? 'partial' : 'decode',
          pipeline,
          bindGroup: bindGroup(c, pipeline, `decode set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, ...buffers, io.docBounds]),
          workgroups: [plan.splits, prob.batch * prob.kvHeads, 1],
        };
        return combine ? [main, combine] : [main];
      });
      return { passesFor: (set: number) => passesBySet[set % passesBySet.length], notes: [note] };
    },
  };
}
