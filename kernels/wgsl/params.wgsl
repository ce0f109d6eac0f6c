// Shared by every attention kernel: parameters and the mask rule (one definition, so the kernels and
// the float64 reference agree on which keys a query row sees).
struct Params {
  batch: u32,
  heads: u32,
  kvHeads: u32,
  nq: u32,
  nk: u32,
  window: u32,      // 0 = no sliding window
  causal: u32,      // 0 / 1; bottom-right aligned when nq < nk
  useKvLens: u32,   // 0 / 1
  bhOffset: u32,    // first (batch, head) pair of this dispatch (naive runs in chunks)
  bhCount: u32,
  scale: f32,
  softcap: f32,     // 0 = none
  splitKeys: u32,   // flash split-K: keys per split (a multiple of the key tile); 0 = no split
  useDocs: u32,     // 0 / 1: docBounds holds [start, end) per (batch, query) — packed documents
  gridRadius: u32,  // 2-D neighbourhood radius R; 0 = none (read it through mask.wgsl's API)
  gridCols: u32,    // patch grid W
  gridRows: u32,    // patch grid H; the nk − H·W tokens before the grid are class/register tokens
  // Layout: where row (b, h, i) of a tensor starts, in rows of HEAD_DIM elements (use qRow / kvRow). O has
  // Q's layout. [B, H, N, D] (bhsd): strides (H·N, N, 1); [B, N, H, D] (bshd): (N·H, 1, H).
  qStrideB: u32,
  qStrideH: u32,
  qStrideN: u32,
  kvStrideB: u32,
  kvStrideH: u32,
  kvStrideN: u32,
  pad1: u32,
}

fn qRow(b: u32, h: u32, i: u32) -> u32 {
  return b * P.qStrideB + h * P.qStrideH + i * P.qStrideN;
}

fn kvRow(b: u32, kvh: u32, j: u32) -> u32 {
  return b * P.kvStrideB + kvh * P.kvStrideH + j * P.kvStrideN;
}

// Masked scores: far below any real score, but finite so exp(MASKED - m) is a clean 0 and never NaN.
const MASKED: f32 = -3.0e38;

fn capScore(s: f32) -> f32 {
  if (P.softcap > 0.0) { return cappedScore(s); }
  return s;
}

// The softcapped score, for a caller that has already branched on P.softcap > 0 (once for many scores).
fn cappedScore(s: f32) -> f32 {
  // tanh saturates to ±1 in f32 long before 15; clamping avoids exp overflow inside some tanh lowerings.
  return P.softcap * tanh(clamp(s / P.softcap, -15.0, 15.0));
}
