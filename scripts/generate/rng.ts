/**
 * Deterministic pseudo-random numbers for the benchmark data: integer arithmetic only
 * (Math.imul, shifts), so the same seed gives the same numbers on every machine and
 * every Node version.
 */

/** FNV-1a over the parts' text: a 32-bit seed from a seed string and coordinates. */
export function seedOf(...parts: (string | number)[]): number {
  const text = parts.join("\u0001");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for synthetic data (not for anything secret). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [lo, hi], both included (hi - lo < 2^32). */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  /** True with probability num/den. */
  chance(num: number, den: number): boolean {
    return this.u32() % den < num;
  }
}
