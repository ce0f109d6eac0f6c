// flash backward, pass 2 of 2: dQ = scale · dS·K, one workgroup per tile of BQ query rows walking the key tiles
// its rows can see. WGSL has no float atomics, so dQ is not accumulated by the dK/dV workgroups (which would
// need an atomic add per element from every key tile, as FlashAttention-2's CUDA kernel does): this separate
// pass recomputes S and dP for its rows instead — two more matrix products, but every dQ element is written
// once by its owner, deterministically, and no N-sized scratch per key tile is needed.
// Each thread computes a 4-row × 4-key block of S and dP, then owns 4 rows × (D/4)/TK vec4 columns of dQ.
// Bindings 0–6 and 8: bwd_bindings.wgsl.
@group(0) @binding(7) var<storage, read> stats: array<vec2<f32>>;   // per query row: the softmax (max, sum)
@group(0) @binding(9) var<storage, read_write> dq: array<vec4<elem>>;

const KS: u32 = D4 + 1u;            // padded row stride of the K tile
const TK: u32 = BKV / 4u;           // threads across keys (and across dQ columns)
const TR: u32 = BQ / 4u;            // threads across query rows
const THREADS: u32 = TK * TR;
const TD4: u32 = (D4 + TK - 1u) / TK; // vec4 columns of dQ per thread: column c·TK + tk

var<workgroup> ks: array<vec4<f32>, BKV * KS>;
// dS of the tile: [key][row group], 4 rows per vec4.
var<workgroup> dss: array<vec4<f32>, BKV * TR>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y + wg.z * 65535u;
  if (bh >= P.batch * P.heads) { return; }
  let b = bh / P.heads;
  let h = bh % P.heads;
  let kvBase = (b * P.kvHeads + h / (P.heads / P.kvHeads)) * P.nk * D4;
  let i0 = wg.x * BQ;
  let tk = lid % TK;
  let tr = lid / TK;

  var rowAt: array<u32, 4>;
  var lo: vec4<u32>;
  var hi: vec4<u32>;
  var lse: vec4<f32>;
  var rd: vec4<f32>;
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + tr * 4u + r;
    let row = bh * P.nq + min(i, P.nq - 1u);
    rowAt[r] = row * D4;
    let range = visibleRange(b, min(i, P.nq - 1u));
    lo[r] = range.x;
    hi[r] = select(range.x, range.y, i < P.nq);   // rows past the end see nothing
    let st = stats[row];
    lse[r] = st.x + log(max(st.y, 1e-30));
    rd[r] = rowD[row];
  }
  let hull = rowsHull(b, min(i0, P.nq - 1u), min(i0 + BQ, P.nq) - 1u);
  let kStart = hull.x;
  let kEnd = hull.y;
  let holes = rangeHasHoles();

  var acc: array<vec4<f32>, 4u * TD4>;
  for (var t0 = (kStart / BKV) * BKV; t0 < kEnd; t0 += BKV) {
    workgroupBarrier();
    for (var x = lid; x < BKV * D4; x += THREADS) {
      let key = t0 + x / D4;
      var kv = vec4<f32>(0.0);
      if (key < P.nk) { kv = vec4<f32>(k[kvBase + key * D4 + x % D4]); }
      ks[(x / D4) * KS + x % D4] = kv;
    }
    workgroupBarrier();

    // s[r][e], dp[r][e]: row i0 + 4·tr + r, key t0 + 4·tk + e.
    var s = array<vec4<f32>, 4>();
    var dp = array<vec4<f32>, 4>();
    let keyBase = t0 + tk * 4u;
    for (var d4 = 0u; d4 < D4; d4++) {
      var kk: array<vec4<f32>, 4>;
      var vv: array<vec4<f32>, 4>;
      for (var e = 0u; e < 4u; e++) {
        kk[e] = ks[(tk * 4u + e) * KS + d4];
        vv[e] = vec4<f32>(v[kvBase + min(keyBase + e, P.nk - 1u) * D4 + d4]);
      }
      for (var r = 0u; r < 4u; r++) {
        let qq = vec4<f32>(q[rowAt[r] + d4]);
        let oo = vec4<f32>(dout[rowAt[r] + d4]);
        s[r] += vec4<f32>(dot(qq, kk[0]), dot(qq, kk[1]), dot(qq, kk[2]), dot(qq, kk[3]));
        dp[r] += vec4<f32>(dot(oo, vv[0]), dot(oo, vv[1]), dot(oo, vv[2]), dot(oo, vv[3]));
      }
    }
    var dsT: array<vec4<f32>, 4>;   // [key e][row r]
    for (var r = 0u; r < 4u; r++) {
      for (var e = 0u; e < 4u; e++) {
        let key = keyBase + e;
        var de = 0.0;
        if (key >= lo[r] && key < hi[r] && (!holes || neighborVisible(i0 + tr * 4u + r, key))) {
          let capped = capScore(s[r][e] * P.scale);
          let pe = exp(capped - lse[r]);
          var slope = 1.0;
          if (P.softcap > 0.0) {
            let t = capped / P.softcap;
            slope = 1.0 - t * t;
          }
          de = pe * (dp[r][e] - rd[r]) * slope;
        }
        dsT[e][r] = de;
      }
    }
    for (var e = 0u; e < 4u; e++) { dss[(tk * 4u + e) * TR + tr] = dsT[e]; }
    workgroupBarrier();

    for (var key = 0u; key < BKV; key++) {
      let d4s = dss[key * TR + tr];
      for (var c = 0u; c < TD4; c++) {
        let col = c * TK + tk;
        if (col < D4) {
          let kv = ks[key * KS + col];
          acc[c] = fma(vec4<f32>(d4s.x), kv, acc[c]);
          acc[TD4 + c] = fma(vec4<f32>(d4s.y), kv, acc[TD4 + c]);
          acc[2u * TD4 + c] = fma(vec4<f32>(d4s.z), kv, acc[2u * TD4 + c]);
          acc[3u * TD4 + c] = fma(vec4<f32>(d4s.w), kv, acc[3u * TD4 + c]);
        }
      }
    }
  }

  for (var r = 0u; r < 4u; r++) {
    if (i0 + tr * 4u + r < P.nq) {
      for (var c = 0u; c < TD4; c++) {
        let col = c * TK + tk;
        if (col < D4) { dq[rowAt[r] + col] = vec4<elem>(acc[r * TD4 + c] * P.scale); }
      }
    }
  }
}
