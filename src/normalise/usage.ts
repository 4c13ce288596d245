/**
 * The usage gates, record by record: tokens are non-negative integers (exact text, each
 * fitting bigint), periods ISO 8601 with offset, period_end after period_start, cached
 * input tokens no more than input tokens. A failure names file, line (or JSON path) and field.
 */
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { RecordUnit } from "../sources/index.ts";
import { csvCount, emptyOr, firstIssue, instant, jsonCount, name } from "../values/fields.ts";

export type UsageRecord = {
  seq: number; // CSV line, or position in the JSON records array
  provider: string;
  model: string;
  periodStart: string; // UTC ISO
  periodEnd: string;
  inputTokens: string;
  cachedInputTokens: string | null;
  outputTokens: string;
};

const record = (count: z.ZodType<string, unknown>, optionalCount: z.ZodType<string | null, unknown>) =>
  z
    .object({
      provider: name,
      model: name,
      period_start: instant,
      period_end: instant,
      input_tokens: count,
      cached_input_tokens: optionalCount,
      output_tokens: count,
    })
    .superRefine((r, ctx) => {
      if (Date.parse(r.period_end) <= Date.parse(r.period_start)) {
        ctx.addIssue({ code: "custom", path: ["period_end"], message: "not after period_start" });
      }
      if (r.cached_input_tokens !== null && BigInt(r.cached_input_tokens) > BigInt(r.input_tokens)) {
        ctx.addIssue({ code: "custom", path: ["cached_input_tokens"], message: "greater than input_tokens" });
      }
    });

const csvRecord = record(csvCount, emptyOr(csvCount));
const jsonRecord = record(jsonCount, jsonCount.nullish().transform((v) => v ?? null));

export function validateUsage(location: string, unit: RecordUnit, format: "csv" | "json"): UsageRecord {
  const parsed = (format === "csv" ? csvRecord : jsonRecord).safeParse(unit.fields);
  if (!parsed.success) {
    const { field, reason } = firstIssue(parsed.error, unit.path);
    throw new InputError(location, unit.line, field, reason);
  }
  const r = parsed.data;
  return {
    seq: unit.seq,
    provider: r.provider,
    model: r.model,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    inputTokens: r.input_tokens,
    cachedInputTokens: r.cached_input_tokens,
    outputTokens: r.output_tokens,
  };
}

/** A cell of a COPY CSV row: quoted when it holds a delimiter, a quote or a line end. */
function copyCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Postgres keeps years 0001 to 9999 of an ISO date-time.
const STORABLE_INSTANT = /^(?!0000)\d{4}-/;

/**
 * A validated record as a row for `COPY usage_staging (line, <columns>)` in CSV: `lead` (its
 * line or position in a JSON file, unless told otherwise), then its cells in the order of
 * `columns`, instants in UTC.
 */
export function usageCopyLine(
  location: string,
  r: UsageRecord,
  columns: readonly string[],
  format: "csv" | "json",
  lead: string = String(r.seq),
): string {
  const fail = (field: string, reason: string) =>
    new InputError(location, format === "csv" ? r.seq : undefined, format === "csv" ? field : `records[${r.seq - 1}].${field}`, reason);
  for (const [field, instant] of [
    ["period_start", r.periodStart],
    ["period_end", r.periodEnd],
  ] as const) {
    if (!STORABLE_INSTANT.test(instant)) throw fail(field, "out of range (years 0001 to 9999)");
  }
  // Postgres text cannot hold NUL (a CSV file with one is refused before; JSON can escape it).
  if (r.provider.includes("\0")) throw fail("provider", "contains a NUL character");
  if (r.model.includes("\0")) throw fail("model", "contains a NUL character");
  const cells: Record<string, string> = {
    provider: copyCell(r.provider),
    model: copyCell(r.model),
    period_start: r.periodStart,
    period_end: r.periodEnd,
    input_tokens: r.inputTokens,
    cached_input_tokens: r.cachedInputTokens ?? "",
    output_tokens: r.outputTokens,
  };
  return `${lead},${columns.map((c) => cells[c]).join(",")}\n`;
}
