/**
 * Fixings as CSV: RFC 4180 (CRLF, header row), written by csv-stringify in batches so a
 * long range streams. A text cell that a spreadsheet would run as a formula is defused.
 */
import { stringify } from "csv-stringify/sync";
import { batches } from "./batches.ts";
import { UNIT } from "./json.ts";
import type { FixingView } from "./views.ts";

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

type CsvRecord = Record<(typeof FIXING_CSV_COLUMNS)[number], string | null>;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell starting with = + - or @ that is not a number gets a leading `'`. */
export function defuseFormula(cell: string): string {
  return /^[=+\-@]/.test(cell) && !NUMBER.test(cell) ? `'${cell}` : cell;
}

export function fixingCsvRecord(v: FixingView): CsvRecord {
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

function csvText(records: CsvRecord[], header: boolean): string {
  return stringify(records, {
    header,
    columns: [...FIXING_CSV_COLUMNS],
    record_delimiter: "windows",
    quote_record_delimiter: true,
    cast: { string: defuseFormula },
  });
}

/** The CSV text in chunks: the header with the first batch, then one chunk per batch. */
export async function* fixingsCsv(views: AsyncIterable<FixingView>, batchSize = 200): AsyncGenerator<string> {
  let header = true;
  for await (const batch of batches(views, batchSize)) {
    yield csvText(batch.map(fixingCsvRecord), header);
    header = false;
  }
  if (header) yield csvText([], true);
}
