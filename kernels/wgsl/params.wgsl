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
  pad1: u32,
  pad2: u32,
}

// Masked scores: far below any real score, but finite so exp(MASKED - m) is a clean 0 and never NaN.
const MASKED: f32 = -3.0e38;

fn capScore(s: f32) -> f32 {
  if (P.softcap > 0.0) {
    // tanh saturates to ±1 in f32 long before 15; clamping avoids exp overflow inside some tanh lowerings.
    return P.softcap * tanh(clamp(s / P.softcap, -15.0, 15.0));
  }
  return s;
}
