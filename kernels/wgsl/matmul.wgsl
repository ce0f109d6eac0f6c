// Attainable-compute reference for the roofline: C = A·B in f32 with 64×64 output tiles, 16-deep K slices
// staged in workgroup memory, 4×4 outputs per thread. FLOPs = 2·M·N·K. (The FMA-chain kernel gives the peak;
// this gives what a well-blocked WGSL GEMM reaches on the same adapter.)
@group(0) @binding(0) var<uniform> dims: vec4<u32>; // M, N, K, 0
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

var<workgroup> as_: array<vec4<f32>, 256>; // [k][m/4]: 16 × 16 vec4 (A transposed)
var<workgroup> bs: array<vec4<f32>, 256>;  // [k][n/4]: 16 × 16 vec4

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let m = dims.x;
  let n = dims.y;
  let k = dims.z;
  let m0 = wg.y * 64u;
  let n0 = wg.x * 64u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < k; k0 += 16u) {
    // A tile, transposed through registers: 64 threads each read a 4-row × 4-k block and write whole vec4s
    // (per-component stores from different threads into one vec4 race on some drivers).
    if (t < 64u) {
      let rg = t / 4u;
      let kq = t % 4u;
      let base = ((m0 + rg * 4u) * k + k0) / 4u + kq;
      let r0 = a[base];
      let r1 = a[base + k / 4u];
      let r2 = a[base + 2u * k / 4u];
      let r3 = a[base + 3u * k / 4u];
      for (var e = 0u; e < 4u; e++) {
        as_[(kq * 4u + e) * 16u + rg] = vec4<f32>(r0[e], r1[e], r2[e], r3[e]);
      }
    }
    bs[t] = b[((k0 + t / 16u) * n + n0) / 4u + t % 16u];
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let av4 = as_[kk * 16u + lid.y];
      let bv4 = bs[kk * 16u + lid.x];
      acc[0] = fma(vec4<f32>(av4.x), bv4, acc[0]);
      acc[1] = fma(vec4<f32>(av4.y), bv4, acc[1]);
      acc[2] = fma(vec4<f32>(av4.z), bv4, acc[2]);
      acc[3] = fma(vec4<f32>(av4.w), bv4, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    c[((m0 + lid.y * 4u + i) * n + n0) / 4u + lid.x] = acc[i];
  }
}
