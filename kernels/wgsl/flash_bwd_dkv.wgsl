// flash backward, pass 1 of 2: dK and dV (FlashAttention-2 style). One workgroup owns BKV keys of one key/value
// head and keeps their dK, dV in registers while it walks the query tiles of every query head of the GQA group
// (so the group's sum needs no second pass and K/V are never repeated). Per query tile of BQ rows, P is
// recomputed from Q, K and the forward's log-sum-exp — S is never stored:
//   S = Q·Kᵀ → P = exp(softcap(scale·S) − lse) → dP = dO·Vᵀ → dS = P ⊙ (dP − D) ⊙ softcap slope
//   dV += Pᵀ·dO,  dK += dSᵀ·Q  (scale applied once at the end).
// Each thread computes a 4-key × 4-row block of S and dP, then owns 4 keys × (D/4)/TQ vec4 columns of dK and dV.
// K and V sit in workgroup memory (rows padded by one vec4: no bank conflicts); Q and dO rows are read through
// the cache. Query tiles whose rows see none of these keys are skipped (by the key hull of the tile's rows,
// mask.wgsl's rowsHull); a 2-D neighbourhood's holes inside a row's range are masked per element.
// Bindings 0–6 and 8: bwd_bindings.wgsl.
@group(0) @binding(7) var<storage, read> stats: array<vec2<f32>>;   // per query row: the softmax (max, sum)
@group(0) @binding(9) var<storage, read_write> dk: array<vec4<elem>>;
@group(0) @binding(10) var<storage, read_write> dv: array<vec4<elem>>;

const KS: u32 = D4 + 1u;            // padded row stride of the K and V tiles
const TK: u32 = BKV / 4u;           // threads across keys
const TQ: u32 = BQ / 4u;            // threads across query rows (and across dK/dV columns)
const THREADS: u32 = TK * TQ;
const TD4: u32 = (D4 + TQ - 1u) / TQ; // vec4 columns of dK/dV per thread: column c·TQ + tq

var<workgroup> ks: array<vec4<f32>, BKV * KS>;
var<workgroup> vs: array<vec4<f32>, BKV * KS>;
// Pᵀ and dSᵀ of the tile: [key][row group], 4 rows per vec4.
var<workgroup> ps: array<vec4<f32>, BKV * TQ>;
var<workgroup> dss: array<vec4<f32>, BKV * TQ>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bkv = wg.y;
  if (bkv >= P.batch * P.kvHeads) { return; }
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let kvBase = bkv * P.nk * D4;
  let t0 = wg.x * BKV;
  let tk = lid % TK;
  let tq = lid / TK;

  for (var x = lid; x < BKV * D4; x += THREADS) {
    let key = t0 + x / D4;
    var kv = vec4<f32>(0.0);
    var vv = vec4<f32>(0.0);
    if (key < P.nk) {
      kv = vec4<f32>(k[kvBase + key * D4 + x % D4]);
      vv = vec4<f32>(v[kvBase + key * D4 + x % D4]);
    }
    ks[(x / D4) * KS + x % D4] = kv;
    vs[(x / D4) * KS + x % D4] = vv;
  }

  var dkAcc: array<vec4<f32>, 4u * TD4>;
  var dvAcc: array<vec4<f32>, 4u * TD4>;
  let keyBase = t0 + tk * 4u;
  let holes = rangeHasHoles();

  for (var hh = 0u; hh < group; hh++) {
    let bh = b * P.heads + kvh * group + hh;
    for (var i0 = 0u; i0 < P.nq; i0 += BQ) {
      let hull = rowsHull(b, i0, min(i0 + BQ, P.nq) - 1u);
      if (hull.y <= t0 || hull.x >= t0 + BKV || hull.y <= hull.x) { continue; }
      workgroupBarrier();   // K/V loaded (first tile); the previous tile's Pᵀ/dSᵀ fully read

      // S and dP blocks: s[e][r] for key keyBase + e and row i0 + 4·tq + r.
      var rowAt: array<u32, 4>;
      for (var r = 0u; r < 4u; r++) { rowAt[r] = (bh * P.nq + min(i0 + tq * 4u + r, P.nq - 1u)) * D4; }
      var s = array<vec4<f32>, 4>();
      var dp = array<vec4<f32>, 4>();
      for (var d4 = 0u; d4 < D4; d4++) {
        let q0 = vec4<f32>(q[rowAt[0] + d4]);
        let q1 = vec4<f32>(q[rowAt[1] + d4]);
        let q2 = vec4<f32>(q[rowAt[2] + d4]);
        let q3 = vec4<f32>(q[rowAt[3] + d4]);
        let o0 = vec4<f32>(dout[rowAt[0] + d4]);
        let o1 = vec4<f32>(dout[rowAt[1] + d4]);
        let o2 = vec4<f32>(dout[rowAt[2] + d4]);
        let o3 = vec4<f32>(dout[rowAt[3] + d4]);
        for (var e = 0u; e < 4u; e++) {
          let kk = ks[(tk * 4u + e) * KS + d4];
          let vv = vs[(tk * 4u + e) * KS + d4];
          s[e] += vec4<f32>(dot(kk, q0), dot(kk, q1), dot(kk, q2), dot(kk, q3));
          dp[e] += vec4<f32>(dot(vv, o0), dot(vv, o1), dot(vv, o2), dot(vv, o3));
        }
      }
      var pBlock: array<vec4<f32>, 4>;
      var dsBlock: array<vec4<f32>, 4>;
      for (var r = 0u; r < 4u; r++) {
        let i = i0 + tq * 4u + r;
        let row = bh * P.nq + min(i, P.nq - 1u);
        let range = visibleRange(b, min(i, P.nq - 1u));
        let st = stats[row];
        let lse = st.x + log(max(st.y, 1e-30));
        let rd = rowD[row];
        for (var e = 0u; e < 4u; e++) {
          let key = keyBase + e;
          var pe = 0.0;
          var de = 0.0;
          if (i < P.nq && key >= range.x && key < range.y && (!holes || neighborVisible(i, key))) {
            let capped = capScore(s[e][r] * P.scale);
            pe = exp(capped - lse);
            var slope = 1.0;
            if (P.softcap > 0.0) {
              let t = capped / P.softcap;
              slope = 1.0 - t * t;
            }
            de = pe * (dp[e][r] - rd) * slope;
          }
          pBlock[e][r] = pe;
          dsBlock[e][r] = de;
        }
      }
      for (var e = 0u; e < 4u; e++) {
        ps[(tk * 4u + e) * TQ + tq] = pBlock[e];
        dss[(tk * 4u + e) * TQ + tq] = dsBlock[e];
      }
      workgroupBarrier();

      for (var rg = 0u; rg < TQ; rg++) {
        var pk: array<vec4<f32>, 4>;
        var dk4: array<vec4<f32>, 4>;
        for (var e = 0u; e < 4u; e++) {
          pk[e] = ps[(tk * 4u + e) * TQ + rg];
          dk4[e] = dss[(tk * 4u + e) * TQ + rg];
        }
        for (var r = 0u; r < 4u; r++) {
          let base = (bh * P.nq + min(i0 + rg * 4u + r, P.nq - 1u)) * D4;
          for (var c = 0u; c < TD4; c++) {
            let col = c * TQ + tq;
            if (col < D4) {
              let o4 = vec4<f32>(dout[base + col]);
              let q4 = vec4<f32>(q[base + col]);
              for (var e = 0u; e < 4u; e++) {
                dvAcc[e * TD4 + c] = fma(vec4<f32>(pk[e][r]), o4, dvAcc[e * TD4 + c]);
                dkAcc[e * TD4 + c] = fma(vec4<f32>(dk4[e][r]), q4, dkAcc[e * TD4 + c]);
              }
            }
          }
        }
      }
    }
  }

  for (var e = 0u; e < 4u; e++) {
    let key = keyBase + e;
    if (key < P.nk) {
      for (var c = 0u; c < TD4; c++) {
        let col = c * TQ + tq;
        if (col < D4) {
          dk[kvBase + key * D4 + col] = vec4<elem>(dkAcc[e * TD4 + c] * P.scale);
          dv[kvBase + key * D4 + col] = vec4<elem>(dvAcc[e * TD4 + c]);
        }
      }
    }
  }
}
