// flash-mma's V, transposed once before the fused kernel: the f16 copy vt holds each key/value head's V tile by
// tile (BK keys, NP = Nk rounded up to BK), each tile as [d][key] (DP rows of BK keys, zero past the keys and the
// head dim) in one contiguous block. The fused kernel loads a tile as one run of memory, with the same index
// arithmetic as its K tile, and stages it with vector stores along the keys: P·V reads V column-major (a lane's key
// pairs adjacent, one 32-bit word each), and staging [key][d] rows transposed took one 16-bit store per element.
// A workgroup transposes TK keys (flash_mma.ts V_TRANSPOSE_KEYS) × DP columns of one head through workgroup memory:
// it reads whole key rows (vec4s along d, as they lie in memory, bhsd or bshd through kvRow) and writes vec4s along
// the keys.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read_write> vt: array<vec4<f16>>;

const D4: u32 = HEAD_DIM / 4u;
const DP4: u32 = DP / 4u;
const TS: u32 = DP + 2u;      // row stride of the tile, in halves
const THREADS: u32 = 256u;

var<workgroup> tile: array<f16, TK * TS>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bkv = wg.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let t0 = wg.x * TK;
  let np = ((P.nk + BK - 1u) / BK) * BK;
  for (var item = lid; item < TK * DP4; item += THREADS) {
    let key = t0 + item / DP4;
    let c4 = item % DP4;
    let ok = key < P.nk && c4 < D4;
    let val = select(vec4<f16>(0.0), vec4<f16>(v[select(0u, kvRow(b, kvh, key) * D4 + c4, ok)]), ok);
    let at = (item / DP4) * TS + c4 * 4u;
    tile[at] = val.x;
    tile[at + 1u] = val.y;
    tile[at + 2u] = val.z;
    tile[at + 3u] = val.w;
  }
  workgroupBarrier();
  for (var item = lid; item < DP * (TK / 4u); item += THREADS) {
    let d = item / (TK / 4u);
    let k4 = item % (TK / 4u);
    let key = t0 + 4u * k4;
    if (key < np) {
      let at = 4u * k4 * TS + d;
      vt[(bkv * np * DP + (key / BK) * BK * DP + d * BK + key % BK) / 4u] = vec4<f16>(tile[at], tile[at + TS], tile[at + 2u * TS], tile[at + 3u * TS]);
    }
  }
}
