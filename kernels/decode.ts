import decodeWgsl from './wgsl/flash_decode.wgsl';
import decodeStreamWgsl from './wgsl/flash_decode_stream.wgsl';
import flashCombineWgsl from './wgsl/flash_combine.wgsl';
import flashCombineFlatWgsl from './wgsl/flash_combine_flat.wgsl';
import { AnalyticBuffer, AttentionKernel, KernelPass, bindGroup, packParams, split2d, uniformBuffer } from './kernel';
import { AttentionProblem, DType, ProblemError } from './problem';
import type { GpuContext } from './device';
import { PipelineCache, assembleShader, expandSections } from './shader';

/**
 * The key-parallel decode path shared by `flash` and `flash-mma`: taken when a KV head has at most
 * MAX_DECODE_ROWS query rows (GQA group × query length), as in token-by-token generation. Such a call is bound by
 * reading K and V once. The keys are split over workgroups; every K/V element is read once, by one workgroup,
 * straight into registers, and serves all the rows of its KV head. Two partial passes (DecodeVariant):
 * - streaming (wgsl/flash_decode_stream.wgsl): about as many workgroups as the GPU holds at once, each walking its
 *   split in blocks with the next block's loads in flight while this block is scored, softmaxed (online, across
 *   blocks) and multiplied into V;
 * - one-shot (wgsl/flash_decode.wgsl): many short workgroups, each issuing all its loads at once and taking a
 *   plain softmax over its split (2× faster on the H200 than the chunked pass it replaced, BENCHMARKS.md 2026-11-30).
 * A combine pass (flat or grouped) merges the splits' partial results. Tuning on a GPU: `ATTNPROF_DECODE_VARIANT`
 * (see DecodeVariant), `ATTNPROF_DECODE_KEYS=N` (keys per workgroup, or per block when streaming; a multiple of 16),
 * `ATTNPROF_DECODE_SPLITS=N` (the streaming pass's splits, rounded to whole blocks).
 */
export const MAX_DECODE_ROWS = 16;
/**
 * Workgroups the one-shot pass wants (the H200 has 132 SMs): 64-key splits on the qwen2-decode shape measured
 * faster than 128-key ones in two H200 calls (176 µs against 204 µs; 179 µs against 274 µs; BENCHMARKS.md).
 */
const TARGET_WORKGROUPS = 2048;
/** Workgroups the streaming pass wants: about the resident ones (132 SMs × 2), each walking several blocks. */
const STREAM_WORKGROUPS = 264;
/** Fewer keys per split than this cost more in partial results (ROWS·D f32 per split) than they gain. */
const MIN_SPLIT_KEYS = 64;
/** Invocations per workgroup. */
const KP_THREADS = 256;

/**
 * The decode path's variants, chosen on the host (ATTNPROF_DECODE_VARIANT, a comma-separated list of tokens; each
 * dimension not named keeps its default) so one GPU run can compare them:
 * - partial pass: `oneshot` (default; one block per workgroup, all loads issued at once, a plain softmax over the
 *   split) or `stream` (blocks of keys walked per workgroup, the next block's loads in flight during this block's
 *   softmax and P·V, online softmax across blocks; measured slower on the H200: 196–214 µs against 176 µs);
 * - K/V loads with f16 storage: `narrow` (default; 8-byte vec4<f16> loads) or `wide` (16-byte vec4<u32> loads of
 *   8 f16, unpacked with unpack2x16float; needs D a multiple of 8; no faster in the H200 A/B). f32 storage always loads vec4<f32>;
 * - the split-K combine pass (every kernel's, not only decode's): `flat` (default; one invocation per row and vec4
 *   column, no barriers) or `grouped` (split groups merged through workgroup memory).
 */
export interface DecodeVariant {
  partial: 'stream' | 'oneshot';
  loads: 'wide' | 'narrow';
  combine: 'flat' | 'grouped';
}

const VARIANT_TOKENS: Record<string, Partial<DecodeVariant>> = {
  stream: { partial: 'stream' },
  oneshot: { partial: 'oneshot' },
  wide: { loads: 'wide' },
  narrow: { loads: 'narrow' },
  flat: { combine: 'flat' },
  grouped: { combine: 'grouped' },
};

const envOf = (name: string): string | undefined => (typeof process !== 'undefined' ? process.env[name] : undefined);

/** The variant ATTNPROF_DECODE_VARIANT asks for (defaults for what it does not name). */
export function decodeVariant(): DecodeVariant {
  const variant: DecodeVariant = { partial: 'oneshot', loads: 'narrow', combine: 'flat' };
  for (const token of (envOf('ATTNPROF_DECODE_VARIANT') ?? '').split(',').map((t) => t.trim()).filter(Boolean)) {
    const part = VARIANT_TOKENS[token];
    if (!part) throw new ProblemError(`ATTNPROF_DECODE_VARIANT: "${token}" is not one of ${Object.keys(VARIANT_TOKENS).join(', ')}.`);
    Object.assign(variant, part);
  }
  return variant;
}

/** The key-parallel pass's sizes (the compile-time constants of flash_decode.wgsl / flash_decode_stream.wgsl). */
export interface KeyParallelShape {
  /** Keys one workgroup holds at a time (the one-shot pass: its whole split; the streaming pass: one block). */
  sk: number;
  /** V key slices of the P·V phase (each KPS = sk / slices keys) × KU column units. */
  slices: number;
  /** Softmax invocations per row. */
  tpr: number;
  /** Rows per round of the slice reduction. */
  rg: number;
  /** vec4s of workgroup scratch (score parts, then slice sums). */
  scratch: number;
  /** K and V loads each invocation keeps in registers (per block; the streaming pass holds two blocks). */
  loads: number;
  workgroupBytes: number;
  /** 16-byte loads of 8 f16 (vec4<u32>): a key row is D/8 units; else D/4 vec4<elem> units. */
  wide: boolean;
  /** The streaming pass (several blocks per workgroup, the next one prefetched into registers). */
  stream: boolean;
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
  variant: DecodeVariant;
}

/** ATTNPROF_DECODE_KEYS: the keys per workgroup (per block when streaming), forced (rounded up to a multiple of 16). */
function forcedKeys(): number | undefined {
  const keys = Number(envOf('ATTNPROF_DECODE_KEYS'));
  return keys >= 16 ? Math.ceil(keys / 16) * 16 : undefined;
}

/** ATTNPROF_DECODE_SPLITS: the number of key splits of the streaming pass, forced. */
function forcedSplits(): number | undefined {
  const splits = Number(envOf('ATTNPROF_DECODE_SPLITS'));
  return splits >= 1 ? Math.floor(splits) : undefined;
}

export function planDecode(p: AttentionProblem, ctx: GpuContext): DecodePlan | undefined {
  const rows = (p.heads / p.kvHeads) * p.seqLenQ;
  if (rows > MAX_DECODE_ROWS || p.headDim % 4 !== 0) return undefined;
  // The decode passes read bhsd rows and mask by the contiguous range only: the bshd layout and a 2-D
  // neighbourhood take the tiled path, which reads strides and the whole mask API.
  if (p.layout === 'bshd' || p.neighborhood) return undefined;
  return planKeyParallel(p, ctx, rows, decodeVariant(), forcedKeys(), forcedSplits());
}

/** Whether `variant` reads this problem's K/V with 16-byte loads of 8 f16. */
function wideLoads(p: AttentionProblem, variant: DecodeVariant): boolean {
  return variant.loads === 'wide' && p.dtype === 'f16' && p.headDim % 8 === 0;
}

/** The key-parallel pass's sizes for `sk` keys per workgroup (per block when streaming). */
export function keyParallelShape(rows: number, d: number, sk: number, opts: { wide?: boolean; stream?: boolean } = {}): KeyParallelShape {
  const wide = opts.wide ?? false;
  const stream = opts.stream ?? false;
  const d4 = d / 4;
  const ku = wide ? d / 8 : d4;
  const slices = Math.min(16, Math.floor(KP_THREADS / ku));
  const tpr = Math.min(16, sk / 4);
  const rg = Math.max(1, Math.min(rows, Math.floor((rows * sk) / (slices * d4))));
  const scratch = Math.max(rows * sk, rg * slices * d4);
  const loads = Math.ceil((sk * 4) / KP_THREADS) * Math.ceil(ku / 4) + sk / slices;
  const workgroupBytes = 16 * rows * d4 + 16 * scratch + 4 * rows * sk + 8 * rows * tpr + 16 * rows + (stream ? 8 * rows : 0);
  return { sk, slices, tpr, rg, scratch, loads, workgroupBytes, wide, stream };
}

/** 32-bit registers one K/V load takes. */
const loadRegs = (dtype: DType, wide: boolean): number => (wide || dtype === 'f32' ? 4 : 2);

function planKeyParallel(
  p: AttentionProblem,
  ctx: GpuContext,
  rows: number,
  variant: DecodeVariant,
  forcedKeys?: number,
  forcedSplits?: number,
): DecodePlan | undefined {
  const wide = wideLoads(p, variant);
  const stream = variant.partial === 'stream';
  const ku = wide ? p.headDim / 8 : p.headDim / 4;
  const slices = Math.min(16, Math.floor(KP_THREADS / ku));
  const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  // sk is a multiple of 4 keys per V slice (the P·V phase reads 4 probabilities as one vec4).
  const step = 4 * slices;
  const sizes = [...new Set([256, 128, 64, 32, 16, ...(forcedKeys ? [forcedKeys] : [])].map((n) => Math.ceil(n / step) * step))]
    .sort((a, b) => b - a)
    .map((sk) => keyParallelShape(rows, p.headDim, sk, { wide, stream }))
    .filter((s) => s.workgroupBytes <= limit);
  if (!sizes.length) return undefined;
  // Registers: the K/V loads of an invocation stay in flight together (two blocks' worth when streaming); past this
  // budget they would spill (more query rows need more accumulators). Past it even at the smallest size, take the
  // smallest anyway.
  const budget = rows <= 8 ? 64 : 32;
  const inBudget = sizes.filter((s) => s.loads * loadRegs(p.dtype, wide) * (stream ? 2 : 1) <= budget);
  const forced = forcedKeys ? sizes.find((s) => s.sk === Math.ceil(forcedKeys / step) * step) : undefined;
  const max = forced ?? inBudget[0] ?? sizes[sizes.length - 1];
  const pairs = p.batch * p.kvHeads;
  if (stream) {
    // Blocks of max.sk keys; splits of whole blocks, enough of them to fill the GPU once.
    const blocks = Math.ceil(p.seqLenK / max.sk);
    const wanted = Math.min(blocks, forcedSplits ?? Math.ceil(STREAM_WORKGROUPS / pairs));
    const perSplit = Math.ceil(blocks / wanted) * max.sk;
    const splits = Math.ceil(p.seqLenK / perSplit);
    return {
      rows,
      splits,
      splitKeys: splits > 1 ? perSplit : 0,
      tileKeys: Math.min(max.sk, p.seqLenK),
      workgroupBytes: max.workgroupBytes,
      shape: max,
      variant,
    };
  }
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
    variant,
  };
}

/**
 * The key-parallel passes' host-unrolled code (flash_decode.wgsl's and flash_decode_stream.wgsl's sections): the
 * K/V loads into named registers (and, streaming, the next block's into a second set), the score phase, the P·V
 * phase and the rounds of the slice reduction, with constant offsets throughout.
 */
export function keyParallelSections(body: string, rows: number, d: number, shape: KeyParallelShape): string {
  const d4 = d / 4;
  const { sk, slices, rg, wide, stream } = shape;
  const ku = wide ? d / 8 : d4;
  const kpi = KP_THREADS / 4; // keys one step of the score phase covers
  const ka = Math.ceil(sk / kpi);
  const ci = Math.ceil(ku / 4);
  const kps = sk / slices;
  // With KU not a multiple of 4, the last column step has only KU − 4·(ci − 1) of the 4 parts.
  const lastParts = ku - 4 * (ci - 1);
  const colOk = (c: number): string => (c === ci - 1 && lastParts < 4 ? ` && part < ${lastParts}u` : '');
  const rowList = Array.from({ length: rows }, (_, r) => r);
  const lanes = ['x', 'y', 'z', 'w'];
  // A loaded unit in f32: one vec4 (narrow), or the low and high vec4 of 8 f16 (wide).
  const toF32 = (x: string): [string, string?] =>
    wide
      ? [`vec4<f32>(unpack2x16float(${x}.x), unpack2x16float(${x}.y))`, `vec4<f32>(unpack2x16float(${x}.z), unpack2x16float(${x}.w))`]
      : [`vec4<f32>(${x})`];
  /** The K and V loads of the block at key `base` into registers `<prefix>kr…`, `<prefix>vr…`. */
  const loadLines = (base: string, prefix: string, decl: 'let' | 'var'): string[] => {
    const out: string[] = [];
    for (let a = 0; a < ka; a++) {
      out.push(`  let ${prefix}ka${a} = ${base} + kq + ${a * kpi}u;`);
      out.push(`  let ${prefix}kOk${a} = ${prefix}ka${a} >= kStart && ${prefix}ka${a} < kEnd;`);
      out.push(`  let ${prefix}kAt${a} = (kvBase + clamp(${prefix}ka${a}, kStart, last)) * KU + part;`);
      for (let c = 0; c < ci; c++) out.push(`  ${decl} ${prefix}kr${a}_${c} = select(kvec(), k[${prefix}kAt${a} + ${4 * c}u], ${prefix}kOk${a}${colOk(c)});`);
    }
    for (let t = 0; t < kps; t++) {
      out.push(`  let ${prefix}kv${t} = ${base} + ks * KPS + ${t}u;`);
      out.push(
        `  ${decl} ${prefix}vr${t} = select(kvec(), v[(kvBase + clamp(${prefix}kv${t}, kStart, last)) * KU + cv], hasSlice && ${prefix}kv${t} >= kStart && ${prefix}kv${t} < kEnd);`,
      );
    }
    return out;
  };
  const base = stream ? 'blo' : 'keyLo';
  const loads = loadLines(base, '', stream ? 'var' : 'let');
  const prefetch = stream ? loadLines('nlo', 'n', 'let') : [];
  const swap: string[] = [];
  if (stream) {
    for (let a = 0; a < ka; a++) for (let c = 0; c < ci; c++) swap.push(`  kr${a}_${c} = nkr${a}_${c};`);
    for (let t = 0; t < kps; t++) swap.push(`  vr${t} = nvr${t};`);
  }
  const scores: string[] = [];
  for (let c = 0; c < ci; c++) scores.push(`  let qc${c} = ${colOk(c) ? `min(part + ${4 * c}u, KU - 1u)` : `part + ${4 * c}u`};`);
  // Column step c: the K units of all ka keys in f32, then each row's q read once from workgroup memory and
  // dotted with all of them (ka · ROWS running sums; workgroup memory reads, not FMAs, bound this phase).
  for (let c = 0; c < ci; c++) {
    for (let a = 0; a < ka; a++) {
      const [lo, hi] = toF32(`kr${a}_${c}`);
      scores.push(`  let kf${a}_${c} = ${lo};`);
      if (hi) scores.push(`  let kh${a}_${c} = ${hi};`);
    }
    for (const r of rowList) {
      scores.push(wide ? `  let q${r}_${c} = qS[${r * d4}u + 2u * qc${c}];` : `  let q${r}_${c} = qS[${r * d4}u + qc${c}];`);
      if (wide) scores.push(`  let qh${r}_${c} = qS[${r * d4}u + 2u * qc${c} + 1u];`);
      for (let a = 0; a < ka; a++) {
        const term = wide ? `dot(q${r}_${c}, kf${a}_${c}) + dot(qh${r}_${c}, kh${a}_${c})` : `dot(q${r}_${c}, kf${a}_${c})`;
        scores.push(c === 0 ? `  var s${a}_${r} = ${term};` : `  s${a}_${r} += ${term};`);
      }
    }
  }
  for (let a = 0; a < ka; a++) {
    // Keys past SK (when 4·SK is not a multiple of the workgroup) were scored on zeros: not stored.
    const guarded = (a + 1) * kpi > sk;
    scores.push('  {', `    let lk = kq + ${a * kpi}u;`);
    if (guarded) scores.push('    if (lk < SK) {');
    for (const r of rowList) scores.push(`    scratch[${r * sk}u + lk][part] = s${a}_${r};`);
    if (guarded) scores.push('    }');
    scores.push('  }');
  }
  // P·V: invocation (ks, cv) holds each row's accumulator of its column unit (wide: a low and a high vec4).
  const accNames = (r: number): string[] => (wide ? [`acc${r}`, `acch${r}`] : [`acc${r}`]);
  const accDecl = rowList.flatMap((r) => accNames(r).map((n) => `  var ${n} = vec4<f32>(0.0);`));
  const pv: string[] = stream ? [] : [...accDecl];
  pv.push('  if (hasSlice) {', `    let pb = ks * (KPS / 4u);`);
  if (stream) {
    for (const r of rowList) {
      pv.push(`    let al${r} = alphaS[${r}u];`);
      for (const n of accNames(r)) pv.push(`    ${n} *= al${r};`);
    }
  }
  for (let t4 = 0; t4 < kps / 4; t4++) {
    for (let e = 0; e < 4; e++) {
      const [lo, hi] = toF32(`vr${4 * t4 + e}`);
      pv.push(`    let vf${4 * t4 + e} = ${lo};`);
      if (hi) pv.push(`    let vh${4 * t4 + e} = ${hi};`);
    }
    for (const r of rowList) {
      pv.push(`    let p${r}_${t4} = pS[${r * (sk / 4)}u + pb + ${t4}u];`);
      for (let e = 0; e < 4; e++) {
        pv.push(`    acc${r} = fma(vec4<f32>(p${r}_${t4}.${lanes[e]}), vf${4 * t4 + e}, acc${r});`);
        if (wide) pv.push(`    acch${r} = fma(vec4<f32>(p${r}_${t4}.${lanes[e]}), vh${4 * t4 + e}, acch${r});`);
      }
    }
  }
  pv.push('  }');
  const reduce: string[] = [];
  for (let r0 = 0; r0 < rows; r0 += rg) {
    const n = Math.min(rg, rows - r0);
    reduce.push('  if (hasSlice) {');
    for (let rr = 0; rr < n; rr++) {
      if (wide) {
        reduce.push(`    scratch[(${rr * slices}u + ks) * D4 + 2u * cv] = acc${r0 + rr};`);
        reduce.push(`    scratch[(${rr * slices}u + ks) * D4 + 2u * cv + 1u] = acch${r0 + rr};`);
      } else {
        reduce.push(`    scratch[(${rr * slices}u + ks) * D4 + cv] = acc${r0 + rr};`);
      }
    }
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
  const sections: Record<string, string[]> = { LOADS: loads, SCORES: scores, PV: pv, REDUCE: reduce };
  if (stream) Object.assign(sections, { ACC: accDecl, PREFETCH: prefetch, SWAP: swap });
  return expandSections(body, sections);
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

/**
 * The grouped combine pass's workgroup: SG split groups × D/4 columns per row (at most 256 invocations), RPW rows
 * (several when there are few splits, e.g. 1 for the training forward's normalising pass).
 */
export function combineShape(headDim: number, splits: number): { sg: number; rpw: number } {
  const d4 = headDim / 4;
  const sg = Math.max(1, Math.min(splits, Math.floor(256 / d4)));
  return { sg, rpw: Math.max(1, Math.floor(256 / (sg * d4))) };
}

/** Invocations per workgroup of the flat combine pass (one per row and vec4 column). */
const FLAT_COMBINE_THREADS = 64;
/** Splits whose partials one invocation of the flat combine pass loads together (host-unrolled). */
const FLAT_COMBINE_GROUP = 16;

/** The flat combine pass's //@MERGE: groups of splits, each group's loads issued before its first use. */
export function combineSections(body: string, splits: number): string {
  const g = Math.min(FLAT_COMBINE_GROUP, splits);
  const ragged = splits % g !== 0;
  const lines = [`  for (var s0 = 0u; s0 < ${splits}u; s0 += ${g}u) {`];
  for (let j = 0; j < g; j++) {
    const s = ragged ? `min(s0 + ${j}u, ${splits - 1}u)` : `(s0 + ${j}u)`;
    lines.push(`    let st${j} = stats[${s} * rows + row];`, `    let pa${j} = partial[(${s} * rows + row) * D4 + c];`);
  }
  for (let j = 0; j < g; j++) {
    const ok = ragged ? ` && s0 + ${j}u < ${splits}u` : '';
    lines.push(`    let w${j} = select(0.0, exp(st${j}.x - mMax), st${j}.y > 0.0${ok});`, `    lt = fma(w${j}, st${j}.y, lt);`, `    at = fma(vec4<f32>(w${j}), pa${j}, at);`);
  }
  lines.push('  }');
  return expandSections(body, { MERGE: lines });
}

/**
 * The split-K combine pass (flash_combine_flat.wgsl, or flash_combine.wgsl with ATTNPROF_DECODE_VARIANT=grouped)
 * shared by flash's split tiled kernel, the decode path and (with one split) flash's training forward: merges each
 * row's `splits` partial results and (max, sum) statistics into O.
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
  const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
  let pipeline: GPUComputePipeline;
  let workgroups: number;
  if (decodeVariant().combine === 'flat') {
    pipeline = await cache.get(
      `flash-combine-flat:${p.dtype}:${p.headDim}:${splits}`,
      assembleShader(combineSections(flashCombineFlatWgsl, splits), {
        dtype: p.dtype,
        consts: { HEAD_DIM: p.headDim, SPLITS: splits, THREADS: FLAT_COMBINE_THREADS },
        mask: false,
      }),
      label,
    );
    workgroups = Math.ceil((rows * (p.headDim / 4)) / FLAT_COMBINE_THREADS);
  } else {
    const { sg, rpw } = combineShape(p.headDim, splits);
    pipeline = await cache.get(
      `flash-combine:${p.dtype}:${p.headDim}:${splits}:${sg}:${rpw}`,
      assembleShader(flashCombineWgsl, { dtype: p.dtype, consts: { HEAD_DIM: p.headDim, SPLITS: splits, SG: sg, RPW: rpw }, mask: false }),
      label,
    );
    workgroups = Math.ceil(rows / rpw);
  }
  const [cx, cy] = split2d(workgroups, maxDim);
  const { params, partial, stats, out } = buffers;
  return { name: 'combine', pipeline, bindGroup: bindGroup(ctx, pipeline, label, [params, partial, stats, out]), workgroups: [cx, cy, 1] };
}

/** The decode pass's pipeline and its note. */
async function decodePipeline(cache: PipelineCache, p: AttentionProblem, plan: DecodePlan): Promise<{ pipeline: GPUComputePipeline; note: string }> {
  const split = plan.splits > 1 ? `; keys split ${plan.splits} ways (${plan.splitKeys} each), then combined (${plan.variant.combine} combine pass).` : '.';
  const s = plan.shape;
  const ku = s.wide ? p.headDim / 8 : p.headDim / 4;
  const pipeline = await cache.get(
    `decode:${s.stream ? 'stream' : 'oneshot'}:${s.wide ? 'wide' : 'narrow'}:${p.dtype}:${p.headDim}:${plan.rows}:${s.sk}`,
    assembleShader(keyParallelSections(s.stream ? decodeStreamWgsl : decodeWgsl, plan.rows, p.headDim, s), {
      dtype: p.dtype,
      consts: { HEAD_DIM: p.headDim, ROWS: plan.rows, SK: s.sk, THREADS: KP_THREADS, KS: s.slices, TPR: s.tpr, SCRATCH: s.scratch, KU: ku },
      mask: true,
      prelude: `alias kvec = ${s.wide ? 'vec4<u32>' : 'vec4<elem>'};`,
    }),
    'decode (key-parallel)',
  );
  const loads = s.wide ? '16-byte loads of 8 f16' : `vec4<${p.dtype}> loads`;
  const walk = s.stream
    ? `walks its split in blocks of ${s.sk} keys with the next block's K/V loads in flight (${s.loads} ${loads} per thread per block) ` +
      'and an online softmax across blocks, '
    : `reads up to ${s.sk} keys of K and V straight into registers (${s.loads} ${loads} per thread in flight), one softmax per split, `;
  return {
    pipeline,
    note:
      `key-parallel decode: ${plan.rows} query rows per KV head, ${s.stream ? 'streaming' : 'one-shot'} pass; each workgroup (${KP_THREADS} threads) ${walk}` +
      `scores with 4 threads per key, P·V by ${s.slices} key slices × ${ku} column units${split}`,
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
