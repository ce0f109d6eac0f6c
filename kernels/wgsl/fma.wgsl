// Compute ceiling: independent FMA chains in registers (8 vec4 accumulators per thread hide FMA latency).
// FLOPs = threads · ITERS · 8 · 4 lanes · 2.
@group(0) @binding(0) var<storage, read_write> sink: array<vec4<f32>>;

const ITERS: u32 = 1024u;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let seed = f32(gid.x) * 1e-7;
  var a0 = vec4<f32>(seed, seed + 0.1, seed + 0.2, seed + 0.3);
  var a1 = a0 + 0.01; var a2 = a0 + 0.02; var a3 = a0 + 0.03;
  var a4 = a0 + 0.04; var a5 = a0 + 0.05; var a6 = a0 + 0.06; var a7 = a0 + 0.07;
  let m = vec4<f32>(0.9999);
  let c = vec4<f32>(1e-4);
  for (var i = 0u; i < ITERS; i++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  // One store per thread keeps the chains alive without costing bandwidth.
  sink[gid.x % arrayLength(&sink)] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
