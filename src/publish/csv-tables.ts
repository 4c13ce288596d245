/**
 * The CSV tables besides the fixings list (csv.ts): one fixing's constituents or its
 * exclusions, the models ever listed, and one model's price history. Written by
 * csv-writer.ts.
 */
import { csvChunks, csvText, mapped } from "./csv-writer.ts";
import type { ModelView, PriceView } from "./read/models.ts";
import type { FixingView } from "./read/index.ts";

/** Which of a fixing's two tables a CSV answer holds (one table per answer). */
export type FixingTable = "constituents" | "exclusions";

// Each row names its fixing, so a file saved on its own still says what it is.
const FIXING_KEY = ["index", "fixing_time", "kind", "revision"] as const;

export const CONSTITUENT_CSV_COLUMNS = [
  ...FIXING_KEY,
  "provider",
  "model",
  "weight",
  "price",
  "input_price",
  "output_price",
  "input_tokens",
  "cached_input_tokens",
  "output_tokens",
  "capped",
  "held",
  "sheet_id",
] as const;

export const EXCLUSION_CSV_COLUMNS = [...FIXING_KEY, "provider", "model", "reason"] as const;

/** A fixing's constituents (or exclusions) as CSV; the view must carry its details. */
export function fixingTableCsv(view: FixingView, table: FixingTable): string {
  const key = { index: view.index, fixing_time: view.fixingTime, kind: view.kind, revision: String(view.revision) };
  if (table === "exclusions") {
    return csvText(EXCLUSION_CSV_COLUMNS, (view.exclusions ?? []).map((e) => ({ ...key, provider: e.provider, model: e.model, reason: e.reason })));
  }
  return csvText(
    CONSTITUENT_CSV_COLUMNS,
    (view.constituents ?? []).map((c) => ({
      ...key,
      provider: c.provider,
      model: c.model,
      weight: c.weight,
      price: c.price,
      input_price: c.inputPrice,
      output_price: c.outputPrice,
      input_tokens: c.inputTokens,
      cached_input_tokens: c.cachedInputTokens,
      output_tokens: c.outputTokens,
      capped: String(c.capped),
      held: c.held.join(";"),
      sheet_id: c.sheetId,
    })),
  );
}

export const MODEL_CSV_COLUMNS = [
  "provider",
  "model",
  "country",
  "first_listed_as_of",
  "last_listed_as_of",
  "sheet_count",
  "listed",
] as const;

export function modelsCsv(models: ModelView[]): string {
  return csvText(
    MODEL_CSV_COLUMNS,
    models.map((m) => ({
      provider: m.provider,
      model: m.model,
      country: m.country,
      first_listed_as_of: m.firstListedAsOf,
      last_listed_as_of: m.lastListedAsOf,
      sheet_count: String(m.sheetCount),
      listed: String(m.listed),
    })),
  );
}

export const PRICE_CSV_COLUMNS = [
  "provider",
  "model",
  "sheet_id",
  "as_of",
  "status",
  "held",
  "approved_at",
  "currency",
  "unit",
  "input",
  "cached_input",
  "output",
  "listed_currency",
  "listed_unit",
  "listed_input",
  "listed_cached_input",
  "listed_output",
  "fx_rate",
  "fx_as_of",
] as const;

/** A model's price history as CSV chunks, page by page. */
export function pricesCsv(prices: AsyncIterable<PriceView>, unit: string): AsyncGenerator<string> {
  return csvChunks(
    PRICE_CSV_COLUMNS,
    mapped(prices, (p) => ({
      provider: p.provider,
      model: p.model,
      sheet_id: p.sheetId,
      as_of: p.asOf,
      status: p.status,
      held: p.held.join(";"),
      approved_at: p.approvedAt,
      currency: "CNY",
      unit,
      input: p.input,
      cached_input: p.cachedInput,
      output: p.output,
      listed_currency: p.listedCurrency,
      listed_unit: p.listedUnit,
      listed_input: p.listedInput,
      listed_cached_input: p.listedCachedInput,
      listed_output: p.listedOutput,
      fx_rate: p.fxRate,
      fx_as_of: p.fxAsOf,
    })),
  );
}
