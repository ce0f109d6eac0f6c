// Occupancy probe: how many workgroups of THREADS invocations and WORDS·4 bytes of workgroup memory the GPU keeps
// resident at once. Invocation 0 of each workgroup counts itself in (counters[0]: running now), keeps the largest
// count it sees while it spins on it for STEPS atomic loads (an L2 round trip each, one invocation per workgroup, so
// the spin costs no throughput that could slow the others), and counts itself out; counters[1] ends as the peak.
// Every other invocation waits at the barrier, so the whole workgroup stays resident for the spin. The workgroup
// array is written and read so that the compiler keeps it at its declared size. WORDS, THREADS, STEPS: occupancy.ts.
@group(0) @binding(0) var<storage, read_write> counters: array<atomic<u32>, 4>;

var<workgroup> mem: array<u32, WORDS>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  for (var i = lid; i < WORDS; i += THREADS) { mem[i] = i ^ wg.x; }
  workgroupBarrier();
  if (lid == 0u) {
    var seen = atomicAdd(&counters[0], 1u) + 1u;
    for (var s = 0u; s < STEPS; s++) { seen = max(seen, atomicLoad(&counters[0])); }
    atomicMax(&counters[1], seen);
    atomicSub(&counters[0], 1u);
  }
  workgroupBarrier();
  if (mem[(lid * 7u + wg.x) % WORDS] == 0xffffffffu) { atomicAdd(&counters[2], 1u); }
}
