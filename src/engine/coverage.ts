/**
 * A fixing's coverage as stored (fixings.coverage) and published (operations-and-users.md
 * section 4): how much of its window's tokens came from each origin kind, so a reader sees
 * at a glance how much of the number rests on real submissions, and which listed providers
 * had no usage at all. The evaluation computes it (inputs.ts coverageOfInputs).
 */
import type { Coverage } from "./evaluate.ts";

export type StoredCoverage = {
  tokens: Record<string, string>;
  shares: Record<string, string>;
  total: string;
  providers_without_usage: string[];
};

export function storedCoverage(c: Coverage): StoredCoverage {
  return { tokens: c.tokens, shares: c.shares, total: c.total, providers_without_usage: c.providersWithoutUsage };
}
