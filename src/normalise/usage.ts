/**
 * The usage gates, record by record: tokens are non-negative integers (exact text, each
 * fitting bigint), periods ISO 8601 with offset, period_end after period_start, cached
 * input tokens no more than input tokens. A failure names file, line (or JSON path) and field.
 */
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { RecordUnit } from "../sources/index.ts";
import { csvCount, emptyOr, firstIssue, instant, jsonCount, name } from "./fields.ts";

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
