/**
 * Price sheets as one CSV file (`provider,country,as_of,currency,unit,model,input,
 * cached_input,output`; each (provider, as_of) group is one sheet). Each provider has
 * `sheets` successive sheets `stepMs` apart; from one sheet to the next some prices move
 * by at most `maxMoveBp` basis points, so no move comes near the 80 % hold threshold.
 */
import { Rng, seedOf } from "./rng.ts";
import { priceText, type ProviderSpec } from "./universe.ts";
import { CsvWriter, isoZ, type WrittenFile } from "./csv-writer.ts";

export const PRICE_HEADER = "provider,country,as_of,currency,unit,model,input,cached_input,output";

export type SheetSeriesOptions = {
  seed: string;
  /** Sheets per provider. */
  sheets: number;
  /** as_of of each provider's first sheet, ms since the epoch. */
  firstAsOfMs: number;
  stepMs: number;
  /** Write only the sheets from this one on (0-based): the last 50 of 800 are skip = 750,
   * with exactly the prices those sheets have in the 800-sheet file. */
  skip?: number;
  /** Largest move of one price from one sheet to the next, basis points (default 500: 5 %). */
  maxMoveBp?: number;
  /** Percentage of models whose prices move at each new sheet (default 30). */
  movePct?: number;
};

type Prices = { input: number; cachedInput: number | null; output: number };

function move(r: Rng, units: number, maxMoveBp: number): number {
  const bp = r.int(-maxMoveBp, maxMoveBp);
  return Math.max(1, Math.floor((units * (10_000 + bp)) / 10_000));
}

/** The CSV lines (header first), oldest sheet first, providers in order within one as_of. */
export function* priceSheetLines(providers: ProviderSpec[], opts: SheetSeriesOptions): Generator<string> {
  const maxMoveBp = opts.maxMoveBp ?? 500;
  const movePct = opts.movePct ?? 30;
  const skip = opts.skip ?? 0;
  const state = providers.map((p) => ({
    rng: new Rng(seedOf(opts.seed, "sheets", p.provider)),
    prices: p.models.map<Prices>((m) => ({ input: m.input, cachedInput: m.cachedInput, output: m.output })),
  }));
  yield PRICE_HEADER;
  for (let k = 0; k < opts.sheets; k++) {
    const asOf = isoZ(opts.firstAsOfMs + k * opts.stepMs);
    for (const [pi, p] of providers.entries()) {
      const s = state[pi]!;
      if (k > 0) {
        for (const prices of s.prices) {
          if (!s.rng.chance(movePct, 100)) continue;
          prices.input = move(s.rng, prices.input, maxMoveBp);
          if (prices.cachedInput !== null) prices.cachedInput = Math.min(prices.input, move(s.rng, prices.cachedInput, maxMoveBp));
          prices.output = move(s.rng, prices.output, maxMoveBp);
        }
      }
      if (k < skip) continue;
      for (const [mi, m] of p.models.entries()) {
        const x = s.prices[mi]!;
        yield `${p.provider},${p.country},${asOf},CNY,per_1m_tokens,${m.model},${priceText(x.input)},${x.cachedInput === null ? "" : priceText(x.cachedInput)},${priceText(x.output)}`;
      }
    }
  }
}

export async function writePriceSheets(path: string, providers: ProviderSpec[], opts: SheetSeriesOptions): Promise<WrittenFile> {
  const w = new CsvWriter(path);
  for (const line of priceSheetLines(providers, opts)) await w.line(line);
  const written = await w.close();
  return { ...written, rows: written.rows - 1 };
}
