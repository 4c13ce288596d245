/**
 * The price-change feed as published (operations-and-users.md section 7): the JSON object
 * (also the stream's `price_change` data) and the CSV, from read/changes.ts's typed events.
 */
import { csvChunks, mapped } from "./csv-writer.ts";
import { exact } from "./json.ts";
import type { ListedPrices, PriceChange } from "./read/changes.ts";

const priceJson = (v: string | ListedPrices | null) =>
  v === null || typeof v === "string"
    ? exact(v)
    : { input: exact(v.input), cached_input: exact(v.cachedInput), output: exact(v.output) };

/** One event as published: exact decimals written digit for digit (publish/json.ts). */
export function priceChangeJson(c: PriceChange): object {
  return {
    event: c.event,
    provider: c.provider,
    model: c.model,
    component: c.component,
    old: priceJson(c.old),
    new: priceJson(c.new),
    currency: c.currency,
    change_pct: exact(c.changePct),
    as_of: c.asOf,
    sheet: exact(c.sheet),
    held: c.held,
    released_at: c.releasedAt,
  };
}

export const CHANGE_CSV_COLUMNS = [
  "event",
  "provider",
  "model",
  "component",
  "old",
  "new",
  "currency",
  "change_pct",
  "as_of",
  "sheet",
  "held",
  "released_at",
] as const;

/** A listed/delisted model's prices in one cell, `input=2;cached_input=0.2;output=3` (unlisted components left out). */
const priceCell = (v: string | ListedPrices | null): string | null => {
  if (v === null || typeof v === "string") return v;
  const parts: [string, string | null][] = [["input", v.input], ["cached_input", v.cachedInput], ["output", v.output]];
  return parts.filter(([, p]) => p !== null).map(([k, p]) => `${k}=${p}`).join(";");
};

/** The feed as CSV chunks (csv-writer.ts: RFC 4180, formulas defused), the same columns as the JSON fields. */
export function priceChangesCsv(changes: AsyncIterable<PriceChange>): AsyncGenerator<string> {
  return csvChunks(
    CHANGE_CSV_COLUMNS,
    mapped(changes, (c) => ({
      event: c.event,
      provider: c.provider,
      model: c.model,
      component: c.component,
      old: priceCell(c.old),
      new: priceCell(c.new),
      currency: c.currency,
      change_pct: c.changePct,
      as_of: c.asOf,
      sheet: c.sheet,
      held: String(c.held),
      released_at: c.releasedAt,
    })),
  );
}
