// naive backward pass 2: dQ = scale · dS·K. One thread per element (row, d), like the forward's P·V.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ds: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<elem>;
@group(0) @binding(3) var<storage, read_write> dq: array<elem>;

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
  let kBase = (b * P.kvHeads + kvh) * P.nk * HEAD_DIM + d;
  let sBase = (local * P.nq + i) * P.nk;
  var acc = 0.0;
  for (var j = 0u; j < P.nk; j++) {
    acc = fma(ds[sBase + j], f32(k[kBase + j * HEAD_DIM]), acc);
  }
  dq[(bh * P.nq + i) * HEAD_DIM + d] = elem(acc * P.scale);
}
