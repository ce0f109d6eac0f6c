// naive pass 3: O = P·V. One thread per output element (row, d).
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<elem>;
@group(0) @binding(3) var<storage, read_write> o: array<elem>;

@compute @workgroup_size(64, 4, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let i = gid.y;
  let local = gid.z;
  if (d >= HEAD_DIM || i >= P.nq || local >= P.bhCount) { return; }
  let bh = P.bhOffset + local;
  let b = bh / P.heads;
  let h = bh % P.heads;
  let kvh = h / (P.heads / P.kvHeads);
  let vBase = kvRow(b, kvh, 0u) * HEAD_DIM + d;
  let vStep = P.kvStrideN * HEAD_DIM;
  let sBase = (local * P.nq + i) * P.nk;
  var acc = 0.0;
  for (var j = 0u; j < P.nk; j++) {
    acc = fma(s[sBase + j], f32(v[vBase + j * vStep]), acc);
  }
  o[qRow(b, h, i) * HEAD_DIM + d] = elem(acc);
}
