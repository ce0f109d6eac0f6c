// flash-mma prelude, stand-in build for adapters without subgroup matrices (CI's lavapipe): the same names as
// mma_native.wgsl with the same meaning, in plain f16/f32 code. Every invocation holds the whole 16×16 tile
// (row-major) and computes the whole product, so each sees what the subgroup's collective operation gives;
// stores write identical values from every invocation. Products are f16×f16 in f32, sums in f32, as on the
// matrix units. Slow (each invocation does a subgroup's work) — for checking tiling and masking only.
struct MatL { v: array<f16, 256> }
struct MatR { v: array<f16, 256> }
struct MatAcc { v: array<f32, 256> }

fn zeroAcc() -> MatAcc { return MatAcc(); }
// One flat loop per operation: the software driver inlines every call, and nested constant loops would be
// unrolled into thousands of instructions per call site.
fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc {
  var out = c;
  for (var e = 0u; e < 4096u; e++) {
    let i = e / 256u;
    let j = (e / 16u) % 16u;
    let kk = e % 16u;
    out.v[i * 16u + j] += f32(a.v[i * 16u + kk]) * f32(b.v[kk * 16u + j]);
  }
  return out;
}
fn loadP(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var e = 0u; e < 256u; e++) { m.v[e] = ps[off + (e / 16u) * stride + e % 16u]; }
  return m;
}
fn loadKt(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var e = 0u; e < 256u; e++) { m.v[e] = kt[off + (e % 16u) * stride + e / 16u]; }
  return m;
}
fn loadV(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var e = 0u; e < 256u; e++) { m.v[e] = vt[off + (e % 16u) * stride + e / 16u]; }
  return m;
}
fn loadVrow(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var e = 0u; e < 256u; e++) { m.v[e] = vt[off + (e / 16u) * stride + e % 16u]; }
  return m;
}
fn storeS(off: u32, m: MatAcc, stride: u32) {
  for (var e = 0u; e < 256u; e++) { ss[off + (e / 16u) * stride + e % 16u] = m.v[e]; }
}
fn loadS(off: u32, stride: u32) -> MatAcc {
  var m: MatAcc;
  for (var e = 0u; e < 256u; e++) { m.v[e] = ss[off + (e / 16u) * stride + e % 16u]; }
  return m;
}
