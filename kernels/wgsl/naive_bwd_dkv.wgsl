// naive backward pass 3: dV = Pᵀ·dO and dK = scale · dSᵀ·Q, summed over the query heads of each key/value head's
// GQA group. One thread per element (key, d) of a key/value head touched by this chunk of (batch, head) pairs.
// A group split across chunks (chunks follow the binding limit, not group boundaries) is summed chunk by chunk:
// a chunk that does not hold the group's first head adds to what the earlier chunk wrote. Chunks run in order,
// and within one each element has one thread, so no atomics are needed.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> ds: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<elem>;
@group(0) @binding(4) var<storage, read> dout: array<elem>;
@group(0) @binding(5) var<storage, read_write> dk: array<elem>;
@group(0) @binding(6) var<storage, read_write> dv: array<elem>;

@compute @workgroup_size(64, 4, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let j = gid.y;
  let group = P.heads / P.kvHeads;
  // Key/value pairs (b·Hkv + kvh) of the chunk's first and last (batch, head) pairs.
  let firstBh = P.bhOffset;
  let lastBh = P.bhOffset + P.bhCount - 1u;
  let kvFirst = (firstBh / P.heads) * P.kvHeads + (firstBh % P.heads) / group;
  let kvLast = (lastBh / P.heads) * P.kvHeads + (lastBh % P.heads) / group;
  let kvPair = kvFirst + gid.z;
  if (d >= HEAD_DIM || j >= P.nk || kvPair > kvLast) { return; }
  let b = kvPair / P.kvHeads;
  let kvh = kvPair % P.kvHeads;
  let groupFirst = b * P.heads + kvh * group;
  let hLo = max(groupFirst, firstBh);
  let hHi = min(groupFirst + group, lastBh + 1u);
  var accK = 0.0;
  var accV = 0.0;
  for (var bh = hLo; bh < hHi; bh++) {
    let local = bh - P.bhOffset;
    for (var i = 0u; i < P.nq; i++) {
      let at = (local * P.nq + i) * P.nk + j;
      let x = (bh * P.nq + i) * HEAD_DIM + d;
      accV = fma(probs[at], f32(dout[x]), accV);
      accK = fma(ds[at], f32(q[x]), accK);
    }
  }
  let out = (kvPair * P.nk + j) * HEAD_DIM + d;
  accK *= P.scale;
  if (groupFirst < firstBh) {
    accK += f32(dk[out]);
    accV += f32(dv[out]);
  }
  dk[out] = elem(accK);
  dv[out] = elem(accV);
}
