/**
 * Decode on the matrix units (flash-mma's decode path; `ATTNPROF_DECODE_MMA=0` turns it off; wgsl/flash_decode_mma.wgsl):
 * persistent workgroups, one wave of them, each walking a chunk of one KV head's keys in 32-key steps with the next
 * step's K/V loads in flight in registers, S and P·V on the matrix units, an online softmax between; the split-K
 * combine pass merges the chunks. On the H200 it takes the Qwen2-7B decode step (b8, 4k) in 36.1–36.4 µs where the
 * key-parallel pass (decode.ts) takes 53.7–53.8 µs, in the same call (BENCHMARKS.md, thirty-fourth session).
 * f16 storage, head dims that are multiples of 16 up to 128, the decode shapes of planDecode (≤ 16 rows per KV head,
 * bhsd, no 2-D neighbourhood); anything else takes the key-parallel pass.
 */
import decodeMmaWgsl from './wgsl/flash_decode_mma.wgsl';
import decodeMmaNativeWgsl from './wgsl/decode_mma_native.wgsl';
import decodeMmaEmulatedWgsl from './wgsl/decode_mma_emulated.wgsl';
import mmaStandInWgsl from './wgsl/mma_standin.wgsl';
import { combinePass, envOf, planDecode, splitScratch } from './decode';
import { AttentionKernel, KernelPass, packParams, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError } from './problem';
import type { GpuContext } from './device';
import type { MmaBuild } from './mma_build';
import { PipelineCache, assembleShader, expandSections } from './shader';

/** Keys per step of the walk (flash_decode_mma.wgsl STEP). */
export const DECODE_MMA_STEP = 32;
/** Invocations per workgroup: 4 subgroups of 32. */
const THREADS = 128;
/**
 * Workgroups the grid wants in flight at once: 3 per multiprocessor (14.2 KB of workgroup memory and 165 registers
 * each at D = 128, one register buffer per tensor) on the H200's 132. 512 workgroups (a second, partial wave) took
 * 52.7–53.1 µs against 41.4–41.8 µs for 384 in the prototype (BENCHMARKS.md, thirty-third session); in the product,
 * 12 chunks per KV head (384) 36.1–36.4 µs against 39.6–39.7 µs for 8 (thirty-fourth session).
 */
const WAVE = 384;
/** Fewer keys per chunk than this cost more in partial results than they gain. */
const MIN_CHUNK_KEYS = 64;

export interface DecodeMmaPlan {
  rows: number;
  /** Chunks of keys, one workgroup each per (batch, KV head); the combine pass's splits. */
  chunks: number;
  chunkKeys: number;
  /** 16-byte words of K (and of V) each invocation holds per register buffer. */
  loads: number;
  workgroupBytes: number;
}

/** Bytes of flash_decode_mma.wgsl's workgroup variables, declaration for declaration (`red`: the stand-in prelude's). */
export function decodeMmaWorkgroupBytes(d: number, build: MmaBuild): number {
  const kt = DECODE_MMA_STEP * (d + 8) * 2;
  const ss = 16 * 68 * 4;
  const ps = 16 * 40 * 2;
  const red = build === 'emulated' ? 128 * 4 : 0;
  return kt + ss + ps + 16 * 4 + red + 16 * 8 + 4 * 4;
}

/** The matrix-unit decode's plan for `p`, or undefined where it does not apply (then the key-parallel pass runs). */
export function planDecodeMma(p: AttentionProblem, ctx: GpuContext, build: MmaBuild): DecodeMmaPlan | undefined {
  if (envOf('ATTNPROF_DECODE_MMA') === '0') return undefined;
  if (p.dtype !== 'f16' || p.headDim % 16 !== 0 || p.headDim > 128) return undefined;
  const base = planDecode(p, ctx);
  if (!base) return undefined;
  const workgroupBytes = decodeMmaWorkgroupBytes(p.headDim, build);
  if (workgroupBytes > ctx.adapter.limits.maxComputeWorkgroupStorageSize) return undefined;
  const pairs = p.batch * p.kvHeads;
  // ATTNPROF_DECODE_MMA_CHUNKS=N forces the chunks per KV head (for tuning on a GPU).
  const forced = Math.floor(Number(envOf('ATTNPROF_DECODE_MMA_CHUNKS')));
  const wanted = forced >= 2 ? forced : Math.max(2, Math.min(Math.floor(WAVE / pairs), Math.ceil(p.seqLenK / MIN_CHUNK_KEYS)));
  // Whole loop trips (a step per register buffer): no step of a trip is guarded, so that no register buffer or
  // accumulator merges two values at a step's end (the driver copies such merges, and a copy waits for its load).
  const trip = decodeMmaDepth() * DECODE_MMA_STEP;
  const chunkKeys = Math.ceil(Math.ceil(p.seqLenK / wanted) / trip) * trip;
  // At least two chunks (a second one past the keys is skipped): the combine pass then normalises.
  const chunks = Math.max(2, Math.ceil(p.seqLenK / chunkKeys));
  const loads = Math.ceil((DECODE_MMA_STEP * (p.headDim / 8)) / THREADS);
  return { rows: base.rows, chunks, chunkKeys, loads, workgroupBytes };
}

/**
 * flash_decode_mma.wgsl's host-generated sections for head dim `d`: the register buffers (`depth` per tensor, `loads`
 * words each), the steps of a loop trip (one per buffer), the row reductions (subgroup shuffles natively, workgroup memory in the
 * stand-in build, whose subgroups may be narrower than a row's 8 invocations) and the output rounds.
 */
export function decodeMmaSections(body: string, d: number, build: MmaBuild, depth: 1 | 2 = 1): string {
  const db = d / 16;
  const nb = Math.ceil(db / 4);
  const words = DECODE_MMA_STEP * (d / 8);
  const loads = Math.ceil(words / THREADS);
  const us = Array.from({ length: loads }, (_, u) => u);
  const blocks = Array.from({ length: nb }, (_, a) => a);
  // A word index past the step's words (only in the last load, where THREADS does not divide them).
  const ragged = (u: number): boolean => (u + 1) * THREADS > words;
  const item = (u: number): string => (ragged(u) ? `min(lid + ${u * THREADS}u, WORDS - 1u)` : `lid + ${u * THREADS}u`);
  // Accumulator a holds O's column block w + 4a; guard it where some subgroups have no such block.
  const owned = (a: number, code: string): string => (4 * a + 3 < db ? code : `if (w + ${4 * a}u < ${db}u) { ${code} }`);
  const loadsOf = (buf: number, key0: string): string[] =>
    us.flatMap((u) => [
      `  var kb${buf}_${u} = k[kvWord(b, kvh, ${key0}, ${item(u)}, last)];`,
      `  var vb${buf}_${u} = v[kvWord(b, kvh, ${key0}, ${item(u)}, last)];`,
    ]);
  // Stage tensor x's buffer into kt and refill it with the keys `depth` steps on.
  const stageRefill = (x: 'k' | 'v', buf: number, key0: string): string[] =>
    us.map((u) => {
      const st = `stage(((lid + ${u * THREADS}u) / D8) * KS + ((lid + ${u * THREADS}u) % D8) * 8u, ${x}b${buf}_${u});`;
      return `    ${ragged(u) ? `if (lid + ${u * THREADS}u < WORDS) { ${st} }` : st} ${x}b${buf}_${u} = ${x}[kvWord(b, kvh, ${key0} + ${depth}u * STEP, ${item(u)}, last)];`;
    });
  const rowMax =
    build === 'native'
      ? ['    mx = max(mx, subgroupShuffleXor(mx, 1u));', '    mx = max(mx, subgroupShuffleXor(mx, 2u));', '    mx = max(mx, subgroupShuffleXor(mx, 4u));']
      : ['    red[lid] = mx;', '    workgroupBarrier();', '    for (var i = 0u; i < 8u; i++) { mx = max(mx, red[r * 8u + i]); }'];
  const step = (buf: number, key0: string): string[] => [
    '    if (lid == 0u) { atomicStore(&flag[0], 0u); }',
    ...stageRefill('k', buf, key0),
    '    workgroupBarrier();',
    '    if (w < 2u) {',
    '      var s = zeroAcc();',
    ...Array.from({ length: db }, (_, c) => `      s = mma(qf${c}, loadKt(w * 16u * KS + ${16 * c}u), s);`),
    '      storeAcc(w * 16u, s);',
    '    }',
    '    workgroupBarrier();',
    ...stageRefill('v', buf, key0),
    `    let key = ${key0} + j;`,
    '    let at = r * SS + j;',
    '    let s0 = score(ss[at], key, lo, hi);',
    '    let s1 = score(ss[at + 1u], key + 1u, lo, hi);',
    '    let s2 = score(ss[at + 2u], key + 2u, lo, hi);',
    '    let s3 = score(ss[at + 3u], key + 3u, lo, hi);',
    '    var mx = max(max(s0, s1), max(s2, s3));',
    ...rowMax,
    '    var cr = 1.0;',
    '    if (mx > m + LAZY) {',
    '      if (m > MASKED) { cr = exp(m - mx); atomicStore(&flag[0], 1u); }',
    '      m = mx;',
    '    }',
    '    if ((lid % 8u) == 0u) { corr[r] = cr; }',
    '    let p0 = select(0.0, exp(s0 - m), s0 > MASKED);',
    '    let p1 = select(0.0, exp(s1 - m), s1 > MASKED);',
    '    let p2 = select(0.0, exp(s2 - m), s2 > MASKED);',
    '    let p3 = select(0.0, exp(s3 - m), s3 > MASKED);',
    '    l = fma(l, cr, (p0 + p1) + (p2 + p3));',
    '    let pa = r * PS + j;',
    '    ps[pa] = f16(p0);',
    '    ps[pa + 1u] = f16(p1);',
    '    ps[pa + 2u] = f16(p2);',
    '    ps[pa + 3u] = f16(p3);',
    '    if (workgroupUniformLoad(&flag[0]) != 0u) {',
    // O ← diag(corr)·O, one accumulator slot at a time: the 4 subgroups' blocks side by side in ss.
    ...blocks.flatMap((a) => [
      `      ${owned(a, `storeAcc(16u * w, acc${a});`)}`,
      '      workgroupBarrier();',
      '      for (var e = lid; e < 16u * 64u; e += 128u) { ss[(e / 64u) * SS + e % 64u] *= corr[e / 64u]; }',
      '      workgroupBarrier();',
      `      ${owned(a, `acc${a} = loadAcc(16u * w);`)}`,
      '      workgroupBarrier();',
    ]),
    '    }',
    '    let pf0 = loadP(0u);',
    '    let pf1 = loadP(16u);',
    ...blocks.map((a) => `    ${owned(a, `acc${a} = mma(pf1, loadV(16u * KS + 16u * w + ${64 * a}u), mma(pf0, loadV(16u * w + ${64 * a}u), acc${a}));`)}`),
    '    workgroupBarrier();',
  ];
  const rowSum =
    build === 'native'
      ? ['  var total = l;', '  total += subgroupShuffleXor(total, 1u);', '  total += subgroupShuffleXor(total, 2u);', '  total += subgroupShuffleXor(total, 4u);']
      : ['  red[lid] = l;', '  workgroupBarrier();', '  var total = 0.0;', '  for (var i = 0u; i < 8u; i++) { total += red[r * 8u + i]; }'];
  // The rows' partial O, one accumulator slot per round: 16 rows × the 4 subgroups' 16 columns through ss.
  const out = blocks.flatMap((a) => [
    `  ${owned(a, `storeAcc(16u * w, acc${a});`)}`,
    '  workgroupBarrier();',
    '  for (var e = lid; e < 256u; e += 128u) {',
    '    let rr = e / 16u;',
    '    let c4 = e % 16u;',
    `    let blk = c4 / 4u + ${4 * a}u;`,
    `    if (rr < rows && blk < ${db}u) {`,
    '      let at = rr * SS + c4 * 4u;',
    '      partial[(chunk * allRows + rowBase + rr) * D4 + 4u * blk + c4 % 4u] = vec4<f32>(ss[at], ss[at + 1u], ss[at + 2u], ss[at + 3u]);',
    '    }',
    '  }',
    '  workgroupBarrier();',
  ]);
  return expandSections(body, {
    QFRAGS: Array.from({ length: db }, (_, c) => `  let qf${c} = loadQ(${16 * c}u);`),
    ACC: blocks.map((a) => `  var acc${a} = zeroAcc();`),
    LOADS: depth === 2 ? [...loadsOf(0, 'kStart'), ...loadsOf(1, 'kStart + STEP')] : loadsOf(0, 'kStart'),
    // No step of a trip guarded: keys past kEnd read the chunk's last visible key and are masked.
    STEPS: depth === 2 ? ['  {', ...step(0, 't0'), '  }', '  {', ...step(1, '(t0 + STEP)'), '  }'] : ['  {', ...step(0, 't0'), '  }'],
    TRIP: [`const TRIP: u32 = ${depth}u * STEP;`],
    ROWSUM: rowSum,
    OUT: out,
  });
}

/** The matrix-unit decode pass as a kernel body for flash-mma's `build`, or undefined where it does not apply. */
export function decodeMmaPath(
  p: AttentionProblem,
  ctx: GpuContext,
  build: MmaBuild,
): Pick<AttentionKernel, 'check' | 'analyticScratch' | 'prepare'> | undefined {
  const plan = planDecodeMma(p, ctx, build);
  if (!plan) return undefined;
  return {
    check(c) {
      const maxDim = c.adapter.limits.maxComputeWorkgroupsPerDimension;
      if (plan.chunks > maxDim || p.batch * p.kvHeads > maxDim) {
        throw new ProblemError('this decode shape needs more workgroups than the adapter dispatches per dimension.');
      }
    },
    analyticScratch: () => splitScratch(p, plan.chunks),
    async prepare(c, alloc, cache, prob, io) {
      const pipeline = await decodeMmaPipeline(cache, prob, build);
      const params = uniformBuffer(c, alloc, 'params', packParams(prob, 0, prob.batch * prob.heads, plan.chunkKeys));
      const [partial, stats] = splitScratch(prob, plan.chunks).map((b) => alloc.create(b.label, 'scratch', b.bytes, GPUBufferUsage.STORAGE));
      const combine = await combinePass(c, cache, prob, plan.chunks, { params, partial, stats, out: io.out });
      const passesBySet = io.sets.map((set, si): KernelPass[] => {
        const bound: [number, GPUBuffer][] = [[0, params], [1, set.q], [2, set.k], [3, set.v], [4, io.kvLens], [6, partial], [7, stats], [8, io.docBounds]];
        const bindGroup = c.device.createBindGroup({
          label: `decode-mma set ${si}`,
          layout: pipeline.getBindGroupLayout(0),
          entries: bound.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
        });
        return [{ name: 'partial', pipeline, bindGroup, workgroups: [plan.chunks, prob.batch * prob.kvHeads, 1] }, combine];
      });
      const notes = [
        `decode shape on the matrix units: ${plan.rows} query rows per KV head as one 16-row operand; ${plan.chunks} workgroups per KV head, ` +
          `each walking ${plan.chunkKeys} keys in ${DECODE_MMA_STEP}-key steps with the next ${decodeMmaDepth() === 2 ? "two steps'" : "step's"} K/V in flight (${plan.loads} 16-byte loads per thread and tensor each), ` +
          `online softmax${decodeMmaKvAccess() === 'read' ? ' (K and V bound read-only)' : ''}; ${build === 'native' ? 'tensor cores (16×16×16 f16→f32)' : 'plain-f16 stand-in for the matrix builtins'}; chunks merged by the split-parallel combine pass.`,
      ];
      return { passesFor: (set: number) => passesBySet[set % passesBySet.length], notes };
    },
  };
}

/**
 * How K and V are bound: read-write (the default; nothing writes them), or read-only where
 * `ATTNPROF_DECODE_MMA_KV=read` (for measuring on a GPU). The H200's driver moves read-only (`.CONSTANT`) loads across
 * barriers: it sank each step's refill loads from right after the step's staging to the end of the loop, where the
 * next trip then waits for them (SASS, BENCHMARKS.md thirty-third session); loads of a read-write binding stay where
 * the WGSL issues them. The runner gives K and V buffers of their own, so the binding aliases nothing.
 */
export function decodeMmaKvAccess(): 'read' | 'read_write' {
  return envOf('ATTNPROF_DECODE_MMA_KV') === 'read' ? 'read' : 'read_write';
}

/**
 * Register buffers per tensor (steps of K/V in flight): 1, or 2 where `ATTNPROF_DECODE_MMA_DEPTH=2` (for measuring).
 * On the H200 one buffer holds the pass to 165 registers, three workgroups per multiprocessor, and the Qwen2-7B step
 * took 36.1–36.4 µs; two took 200 registers, two per multiprocessor, 41.7–42.1 µs in a wave of 256 workgroups
 * (BENCHMARKS.md, thirty-fourth session).
 */
export function decodeMmaDepth(): 1 | 2 {
  return envOf('ATTNPROF_DECODE_MMA_DEPTH') === '2' ? 2 : 1;
}

/** flash_decode_mma.wgsl with K and V declared with `access`. */
export function withKvAccess(body: string, access: 'read' | 'read_write'): string {
  let out = body;
  for (const name of ['k', 'v']) {
    const decl = `var<storage, read> ${name}: array<vec4<u32>>;`;
    if (!out.includes(decl)) throw new Error(`decode-mma: no declaration of ${name}`);
    out = out.replace(decl, `var<storage, ${access}> ${name}: array<vec4<u32>>;`);
  }
  return out;
}

function decodeMmaPipeline(cache: PipelineCache, p: AttentionProblem, build: MmaBuild): Promise<GPUComputePipeline> {
  const access = decodeMmaKvAccess();
  const depth = decodeMmaDepth();
  const code = assembleShader(decodeMmaSections(withKvAccess(decodeMmaWgsl, access), p.headDim, build, depth), {
    dtype: 'f16',
    consts: { HEAD_DIM: p.headDim },
    mask: true,
    enables: build === 'native' ? ['f16', 'subgroups', 'chromium_experimental_subgroup_matrix'] : ['f16'],
    // Matrix offsets depend on the subgroup index: uniform within each subgroup, not across the workgroup.
    directives: build === 'native' ? ['diagnostic(off, chromium.subgroup_matrix_uniformity)'] : [],
    prelude: build === 'native' ? decodeMmaNativeWgsl : `${mmaStandInWgsl}\n${decodeMmaEmulatedWgsl}`,
  });
  return cache.get(`decode-mma:${build}:${p.headDim}:${access}:${depth}`, code, build === 'native' ? 'decode (matrix units)' : 'decode (matrix units, stand-in)');
}
