/** Memory of a strategy's largest batch for one attention layer (forward): the bytes that must fit. */
import type { BatchMemory, PaddingAttention } from './types';

export function batchMemory(a: PaddingAttention, rows: number, seqLen: number): BatchMemory {
  // S in f32 whatever the dtype: that is what the naive kernel (and eager PyTorch's softmax input) holds.
  const scoreBytes = rows * a.heads * seqLen * seqLen * 4;
  const qkvoBytes = rows * seqLen * (2 * a.heads + 2 * a.kvHeads) * a.headDim * a.dtypeBytes;
  return { rows, seqLen, scoreBytes, qkvoBytes, peakBytes: scoreBytes + qkvoBytes };
}

/** The batch with the largest peak among `batches` (rows, padded length) pairs. */
export function largestBatchMemory(a: PaddingAttention, batches: Iterable<{ rows: number; seqLen: number }>): BatchMemory | undefined {
  let best: BatchMemory | undefined;
  for (const b of batches) {
    const m = batchMemory(a, b.rows, b.seqLen);
    if (!best || m.peakBytes > best.peakBytes) best = m;
  }
  return best;
}
