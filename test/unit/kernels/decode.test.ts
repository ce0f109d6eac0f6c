/**
 * The key-parallel decode pass's plan and workgroup footprint (kernels/decode.ts), on the host: the bytes the plan
 * counts are the bytes flash_decode.wgsl declares once its constants are in, and within 16 KiB (FAST_WORKGROUP_BYTES,
 * three workgroups per H200 multiprocessor) for D ≤ 128 and up to 16 rows. The kernel tier (test/kernel/decode.test.ts) runs the pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import decodeWgsl from '../../../kernels/wgsl/flash_decode.wgsl';
import { FAST_WORKGROUP_BYTES, DecodePlan, keyParallelSections, planDecode } from '../../../kernels/decode';
import type { GpuContext } from '../../../kernels/device';
import type { AttentionProblem } from '../../../kernels/problem';
import { assembleShader } from '../../../kernels/shader';

/** A context with the workgroup-memory limit of a discrete GPU (planDecode reads only the adapter's limits). */
const ctx = { adapter: { limits: { maxComputeWorkgroupStorageSize: 32768 } } } as GpuContext;

function decode(over: Partial<AttentionProblem>): AttentionProblem {
  return {
    batch: 8, heads: 28, kvHeads: 4, seqLenQ: 1, seqLenK: 4096, headDim: 128, dtype: 'f16',
    causal: true, window: 0, softcap: 0, ...over,
  };
}

/** The value of a WGSL constant expression of integers, names from `consts`, + − * / and parentheses. */
function evaluate(expr: string, consts: Record<string, number>): number {
  const tokens = expr.match(/\d+u?|\w+|[-+*/()]/g) ?? [];
  let at = 0;
  const atom = (): number => {
    const t = tokens[at++];
    if (t === '(') {
      const v = sum();
      assert.equal(tokens[at++], ')', expr);
      return v;
    }
    if (/^\d+u?$/.test(t)) return parseInt(t, 10);
    assert.ok(t in consts, `unknown constant ${t} in ${expr}`);
    return consts[t];
  };
  const product = (): number => {
    let v = atom();
    while (tokens[at] === '*' || tokens[at] === '/') v = tokens[at++] === '*' ? v * atom() : Math.floor(v / atom());
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[at] === '+' || tokens[at] === '-') v = tokens[at++] === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  assert.equal(at, tokens.length, expr);
  return v;
}

const TYPE_BYTES: Record<string, number> = { f32: 4, u32: 4, i32: 4, 'vec2<f32>': 8, 'vec2<u32>': 8, 'vec4<f32>': 16 };

/** The bytes of every `var<workgroup>` the plan's assembled WGSL declares (arrays of scalars and vectors). */
function declaredBytes(p: AttentionProblem, plan: DecodePlan): number {
  const s = plan.shape;
  const code = assembleShader(keyParallelSections(decodeWgsl, plan.rows, p.headDim, s), {
    dtype: p.dtype,
    consts: { HEAD_DIM: p.headDim, ROWS: plan.rows, SK: s.sk, THREADS: s.threads, KS: s.slices, TPR: s.tpr, SCRATCH: s.scratch, PARTS_AT: s.partsAt },
    mask: true,
  });
  const consts = Object.fromEntries([...code.matchAll(/^const (\w+): u32 = (\d+)u;/gm)].map((m) => [m[1], Number(m[2])]));
  const decls = [...code.matchAll(/var<workgroup>\s+(\w+)\s*:\s*array<(\w+(?:<\w+>)?),\s*([^;]+)>;/g)];
  assert.equal(decls.length, [...code.matchAll(/var<workgroup>/g)].length, 'every workgroup variable is an array the test reads');
  return decls.reduce((bytes, [, name, type, count]) => {
    assert.ok(type in TYPE_BYTES, `${name}: type ${type}`);
    return bytes + TYPE_BYTES[type] * evaluate(count, consts);
  }, 0);
}

describe('key-parallel decode footprint', () => {
  test('the Qwen2-7B decode step (b8, 4k, 7 rows, D = 128, f16): 1024 workgroups of 128 keys within 16 KiB', () => {
    const p = decode({});
    const plan = planDecode(p, ctx);
    assert.ok(plan);
    assert.equal(plan.rows, 7);
    assert.equal(plan.splitKeys, 128);
    assert.equal(plan.splits * p.batch * p.kvHeads, 1024);
    assert.equal(plan.shape.sk, 128);
    assert.equal(plan.shape.threads, 256);
    assert.ok(plan.workgroupBytes <= FAST_WORKGROUP_BYTES, `${plan.workgroupBytes} bytes`);
    assert.equal(plan.workgroupBytes, declaredBytes(p, plan));
    // q beside the parts (no extra barrier), three rounds of 3, 3 and 1 rows in the reduction, as before.
    assert.equal(plan.shape.partsAt, 7 * 32);
    assert.equal(plan.shape.rg, 3);
    assert.equal(plan.workgroupBytes, 13296);
  });

  test('D ≤ 128, 1 to 16 rows, f16 and f32, short and long caches: within 16 KiB, as declared, regions in the scratch', () => {
    for (const headDim of [32, 40, 64, 80, 96, 128]) {
      for (const [heads, kvHeads, seqLenQ] of [[4, 4, 1], [8, 4, 1], [28, 4, 1], [8, 1, 1], [12, 1, 1], [16, 1, 1], [8, 1, 2]]) {
        for (const dtype of ['f16', 'f32'] as const) {
          for (const [batch, seqLenK] of [[1, 300], [8, 4096], [1, 32768], [8, 131072]]) {
            const p = decode({ batch, heads, kvHeads, seqLenQ, seqLenK, headDim, dtype });
            const plan = planDecode(p, ctx);
            const what = `D ${headDim}, ${heads}:${kvHeads} × ${seqLenQ}, ${dtype}, b${batch}, Nk ${seqLenK}`;
            assert.ok(plan, what);
            const s = plan.shape;
            assert.ok(plan.workgroupBytes <= FAST_WORKGROUP_BYTES, `${what}: ${plan.workgroupBytes} bytes (${s.sk} keys)`);
            assert.equal(plan.workgroupBytes, declaredBytes(p, plan), what);
            const d4 = headDim / 4;
            assert.ok(s.partsAt === 0 || s.partsAt === plan.rows * d4, `${what}: the parts beside q or over it`);
            assert.ok(s.partsAt + (plan.rows * s.sk) / 2 <= s.scratch && plan.rows * d4 <= s.scratch, `${what}: q and the parts`);
            assert.ok(s.rg * s.slices * d4 <= s.scratch && s.rg >= 1 && s.rg <= plan.rows, `${what}: ${s.rg} rows of slice sums`);
          }
        }
      }
    }
  });

  test('D = 64 decode shapes (b8, 4k): their footprints', () => {
    const bytes = (heads: number, kvHeads: number, seqLenQ = 1) =>
      planDecode(decode({ headDim: 64, heads, kvHeads, seqLenQ }), ctx)?.workgroupBytes;
    assert.equal(bytes(28, 4), 13296);
    assert.equal(bytes(32, 32), 4240);
    assert.equal(bytes(16, 1), 14592);
  });
});
