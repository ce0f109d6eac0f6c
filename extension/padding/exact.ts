/**
 * Exact integer sums. Token and attention-pair totals of a large dataset can pass 2^53 (a million sequences of
 * 100k tokens: 10^16 pairs), where doubles stop counting by one; these sums stay in a double while that is
 * exact and spill into a BigInt beyond.
 */
const SAFE = Number.MAX_SAFE_INTEGER;

export class ExactSum {
  private small = 0;
  private big = 0n;

  /** Adds a non-negative safe integer. */
  add(x: number): void {
    if (this.small > SAFE - x) {
      this.big += BigInt(this.small);
      this.small = 0;
    }
    this.small += x;
  }

  /** Adds a·b for non-negative safe integers a and b, exactly even when the product is not safe. */
  addProduct(a: number, b: number): void {
    const p = a * b;
    if (p <= SAFE) this.add(p);
    else this.big += BigInt(a) * BigInt(b);
  }

  addSum(other: ExactSum): void {
    this.big += other.value();
  }

  value(): bigint {
    return this.big + BigInt(this.small);
  }

  /** As a number: exact below 2^53, the nearest double above. */
  toNumber(): number {
    return Number(this.value());
  }
}

/** num / den as a double (0 when den is 0), without the rounding of converting each side first. */
export function ratio(num: bigint, den: bigint): number {
  if (den === 0n) return 0;
  if (num <= BigInt(SAFE) && den <= BigInt(SAFE)) return Number(num) / Number(den);
  const scale = 10n ** 18n;
  return Number((num * scale) / den) / 1e18;
}

/** Attention pairs of one sequence (one head): n² (every query sees every key) or n·(n+1)/2 (causal). */
export function pairsOf(length: number, causal: boolean): number {
  return causal ? (length * (length + 1)) / 2 : length * length;
}
