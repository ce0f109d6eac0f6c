/**
 * Host-side layout changes between [B, H, N, D] (bhsd) and [B, N, H, D] (bshd). The kernels never copy: they
 * read either layout through strides (wgsl/params.wgsl). The runner uses these only to keep the float64
 * reference in one layout (bhsd) whatever the problem's layout is.
 */
import type { Layout } from './problem';

/** Swaps the H and N axes of a [B, X, Y, D] tensor: bhsd ⇄ bshd. */
export function swapHeadsAndPositions(a: Float32Array, batch: number, x: number, y: number, d: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < x; i++) {
      for (let j = 0; j < y; j++) {
        const from = ((b * x + i) * y + j) * d;
        const to = ((b * y + j) * x + i) * d;
        out.set(a.subarray(from, from + d), to);
      }
    }
  }
  return out;
}

/** A tensor of `layout` as bhsd (a copy only when it is bshd). `heads` and `seqLen` are the tensor's H and N. */
export function toBhsd(a: Float32Array, layout: Layout | undefined, batch: number, heads: number, seqLen: number, d: number): Float32Array {
  return layout === 'bshd' ? swapHeadsAndPositions(a, batch, seqLen, heads, d) : a;
}

/** A bhsd tensor in `layout`. */
export function fromBhsd(a: Float32Array, layout: Layout | undefined, batch: number, heads: number, seqLen: number, d: number): Float32Array {
  return layout === 'bshd' ? swapHeadsAndPositions(a, batch, heads, seqLen, d) : a;
}
