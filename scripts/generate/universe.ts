/**
 * The synthetic market the benchmarks run on: `providers` Chinese providers with
 * `modelsPerProvider` models each, every model with a base price and a base usage volume.
 * Everything is derived from the seed with integer arithmetic, so one seed is one market.
 */
import { Rng, seedOf } from "./rng.ts";

/** Prices are integers in units of 1e-4 CNY per 1M tokens (4 decimals in the files). */
export const PRICE_SCALE = 10_000;

export type ModelSpec = {
  provider: string;
  model: string;
  /** Base list prices, 1e-4 CNY per 1M tokens; cachedInput null when the provider lists none. */
  input: number;
  cachedInput: number | null;
  output: number;
  /** Input tokens per 15 minutes at the daily average. */
  volume: number;
  /** Output tokens as a percentage of input tokens. */
  outputPct: number;
  /** Whether the usage feed reports cached input tokens for this model (else the cell is empty). */
  reportsCached: boolean;
};

export type ProviderSpec = { provider: string; country: "CN"; models: ModelSpec[] };

export type UniverseOptions = { providers: number; modelsPerProvider: number; seed: string };

export const FULL_UNIVERSE = { providers: 40, modelsPerProvider: 50 } as const;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** The provider names are synthetic on purpose: no bench row can be mistaken for real data. */
export function providerName(i: number): string {
  return `bench-cn-${pad(i + 1, 2)}`;
}

export function universe(opts: UniverseOptions): ProviderSpec[] {
  const out: ProviderSpec[] = [];
  for (let p = 0; p < opts.providers; p++) {
    const provider = providerName(p);
    const prng = new Rng(seedOf(opts.seed, "provider", provider));
    const listsCached = prng.chance(7, 10);
    const models: ModelSpec[] = [];
    for (let m = 0; m < opts.modelsPerProvider; m++) {
      const model = `${provider}-model-${pad(m + 1, 2)}`;
      const r = new Rng(seedOf(opts.seed, "model", provider, model));
      // Input price 0.1 .. 60 CNY per 1M; output 1x .. 8x input; cached 10 % .. 50 % of input.
      const input = r.int(1_000, 600_000);
      const output = Math.floor((input * r.int(100, 800)) / 100);
      const cachedInput = listsCached ? Math.max(1, Math.floor((input * r.int(10, 50)) / 100)) : null;
      // Volumes spread over six orders of magnitude: mantissa 1..9 times 10^3 .. 10^9 tokens
      // per quarter hour; a few giants (10^13) make aggregates exceed 2^53 and force capping.
      const giant = m === 0 && p % 15 === 0;
      const volume = giant ? r.int(5, 9) * 1e12 : r.int(1, 9) * 10 ** r.int(3, 9);
      models.push({ provider, model, input, cachedInput, output, volume, outputPct: r.int(10, 60), reportsCached: r.chance(4, 5) });
    }
    out.push({ provider, country: "CN", models });
  }
  return out;
}

/** 1e-4 units as decimal text without trailing zeros: 12345 -> "1.2345", 10000 -> "1". */
export function priceText(units: number): string {
  const whole = Math.floor(units / PRICE_SCALE);
  const frac = units % PRICE_SCALE;
  if (frac === 0) return String(whole);
  return `${whole}.${pad(frac, 4).replace(/0+$/, "")}`;
}
