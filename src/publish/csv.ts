/** Fixings as CSV (written by csv-writer.ts), in batches so a long range streams. */
import { csvChunks, mapped, type CsvRecord } from "./csv-writer.ts";
import { UNIT } from "./json.ts";
import type { FixingView } from "./read/index.ts";

export const FIXING_CSV_COLUMNS = [
  "index",
  "fixing_time",
  "kind",
  "status",
  "value",
  "level",
  "currency",
  "unit",
  "p25",
  "p50",
  "p75",
  "methodology_version",
  "revision",
  "computed_at",
  "inputs_sha256",
  "reason",
  "constituent_count",
  "provider_count",
  "carried_from_fixing_time",
  "carried_from_revision",
] as const;

export { defuseFormula } from "./csv-writer.ts";

export function fixingCsvRecord(v: FixingView): CsvRecord<(typeof FIXING_CSV_COLUMNS)[number]> {
  return {
    index: v.index,
    fixing_time: v.fixingTime,
    kind: v.kind,
    status: v.status,
    value: v.value,
    level: v.level,
    currency: v.currency,
    unit: UNIT,
    p25: v.p25,
    p50: v.p50,
    p75: v.p75,
    methodology_version: v.methodologyVersion,
    revision: String(v.revision),
    computed_at: v.computedAt,
    inputs_sha256: v.inputsSha256,
    reason: v.reason,
    constituent_count: String(v.constituentCount),
    provider_count: String(v.providerCount),
    carried_from_fixing_time: v.carriedFrom?.fixingTime ?? null,
    carried_from_revision: v.carriedFrom ? String(v.carriedFrom.revision) : null,
  };
}

/** The CSV text in chunks: the header with the first batch, then one chunk per batch. */
export function fixingsCsv(views: AsyncIterable<FixingView>, batchSize = 200): AsyncGenerator<string> {
  return csvChunks(FIXING_CSV_COLUMNS, mapped(views, fixingCsvRecord), batchSize);
}
