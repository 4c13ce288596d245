/**
 * A fixing's coverage (operations-and-users.md section 4): how much of its window's tokens
 * (input + output) came from each origin kind, so a reader sees at a glance how much of the
 * number rests on real submissions, and which listed providers had no usage at all.
 * Shares are exact ratios rounded once, half-even, to 6 places.
 */
import type { Coverage } from "./evaluate.ts";

export const ORIGIN_KINDS = ["contributor", "proxy", "collector", "file", "sample"] as const;

export type StoredCoverage = {
  tokens: Record<string, string>;
  shares: Record<string, string>;
  total: string;
  providers_without_usage: string[];
};

/** num / den rounded half-even to `places` decimals, for non-negative integers, den > 0. */
export function shareHalfEven(num: bigint, den: bigint, places: number): string {
  const scale = 10n ** BigInt(places);
  const q = (num * scale) / den;
  const r = (num * scale) % den;
  const up = r * 2n > den || (r * 2n === den && q % 2n === 1n);
  const n = (q + (up ? 1n : 0n)).toString().padStart(places + 1, "0");
  return `${n.slice(0, -places)}.${n.slice(-places)}`;
}

export function storedCoverage(c: Coverage): StoredCoverage {
  const tokens: Record<string, string> = {};
  let total = 0n;
  for (const kind of ORIGIN_KINDS) {
    const n = BigInt(c.tokens[kind] ?? "0");
    tokens[kind] = n.toString();
    total += n;
  }
  const shares: Record<string, string> = {};
  for (const kind of ORIGIN_KINDS) shares[kind] = total === 0n ? "0.000000" : shareHalfEven(BigInt(tokens[kind]!), total, 6);
  return { tokens, shares, total: total.toString(), providers_without_usage: c.providersWithoutUsage };
}
