// The occupancy probe (kernels/occupancy.ts): the resident-workgroup count comes from the workgroups themselves, so on
// any adapter it is at least one and at most the dispatch; the table's per-multiprocessor column appears only where
// every count shares a divisor.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { commonDivisor, occupancyMarkdown, occupancyShader, probeGroups, probeOccupancy, probeResident, workgroupMemoryBound } from '../../kernels/occupancy';

let ctx: GpuContext;
before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

describe('occupancy probe', () => {
  test('counts resident workgroups on this adapter, for every footprint and size asked', async () => {
    // At least one, at most the dispatch (32 groups on a software adapter, 16 384 on a GPU: 1 584 on the H200).
    const one = await probeResident(ctx, 4096, 64);
    assert.ok(one >= 1 && one <= probeGroups(ctx), `resident ${one} of ${probeGroups(ctx)} dispatched`);
    const table = await probeOccupancy(ctx, [1024, 16384], [64, 128]);
    assert.equal(table.points.length, 4);
    for (const p of table.points) assert.ok(Number.isInteger(p.resident) && p.resident >= 1, JSON.stringify(p));
    // Past the adapter's limits a configuration is left out, not failed.
    const limited = await probeOccupancy(ctx, [1024, ctx.adapter.limits.maxComputeWorkgroupStorageSize + 4], [64]);
    assert.deepEqual(limited.points.map((p) => p.workgroupBytes), [1024]);
  });

  test('the shader declares the footprint asked, in whole words', () => {
    assert.match(occupancyShader(16388, 64, 10), /const WORDS: u32 = 4097u;/);
    assert.match(occupancyShader(16388, 64, 10), /var<workgroup> mem: array<u32, WORDS>;/);
  });

  test('multiprocessors: the counts\' common divisor only where it says something', () => {
    const pts = (...n: number[]) => n.map((resident, i) => ({ workgroupBytes: 1024 * (i + 1), threads: 64, resident }));
    assert.equal(commonDivisor(pts(528, 396, 264, 4224)), 132);
    assert.equal(commonDivisor(pts(528, 397)), undefined, 'one count off: no guess');
    assert.equal(commonDivisor([]), undefined);
    const md = occupancyMarkdown({ points: pts(528, 396), multiprocessors: 132 });
    assert.match(md.join('\n'), /\| 1024 B \| 528 \(4\/SM\) \|/);
    assert.match(md.join('\n'), /\| 2048 B \| 396 \(3\/SM\) \|/);
    assert.doesNotMatch(occupancyMarkdown({ points: pts(5, 7) }).join('\n'), /SM/);
  });

  test('the workgroup memory per multiprocessor the counts bound: 48 KiB for the H200\'s table', () => {
    // The H200's counts per SM (BENCHMARKS.md, eighteenth session), 132 multiprocessors.
    const h200: [number, number[]][] = [
      [1024, [32, 16, 8]], [4096, [12, 12, 8]], [8192, [6, 6, 6]], [12288, [4, 4, 4]], [16384, [3, 3, 3]], [16400, [2, 2, 2]],
      [20480, [2, 2, 2]], [24576, [2, 2, 2]], [24592, [1, 1, 1]], [32768, [1, 1, 1]], [49152, [1, 1, 1]],
    ];
    const points = h200.flatMap(([workgroupBytes, perSm]) => perSm.map((n, i) => ({ workgroupBytes, threads: [64, 128, 256][i], resident: 132 * n })));
    const table = { points, multiprocessors: commonDivisor(points) };
    assert.equal(table.multiprocessors, 132);
    // 12 × 4096 and 3 × 16 384 fit, 3 × 16 400 and 2 × 24 592 do not.
    assert.deepEqual(workgroupMemoryBound(table), { low: 49152, high: 49184 });
    assert.match(occupancyMarkdown(table).join('\n'), /at least 49152 and under 49184 bytes \(49152 B = 48 KiB fits every count/);
    // Counts no single budget explains (a count that falls with a limit other than memory) give no sentence.
    const odd = [{ workgroupBytes: 1024, threads: 64, resident: 40 }, { workgroupBytes: 2048, threads: 64, resident: 10 }];
    assert.equal(workgroupMemoryBound({ points: odd, multiprocessors: 10 }), undefined);
    assert.equal(workgroupMemoryBound({ points }), undefined, 'no per-multiprocessor count');
  });
});
