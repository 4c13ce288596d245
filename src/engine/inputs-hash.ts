/**
 * inputs_sha256 [1.1]: SHA-256 (hex) of the UTF-8 canonical JSON of what a fixing was made
 * of, aggregated: O(constituents), never O(usage records). Canonical JSON: object keys in
 * code-point order, no whitespace, numbers written from their exact decimal value with no
 * exponent and no trailing zeros (2.50 -> 2.5), instants ISO 8601 UTC with Z. The document:
 *
 *   { "schema": "ciyuan-inputs/2", "index", "definition_version", "methodology_version",
 *     "fixing_time", "kind", "inputs_watermark",
 *     "prev": { "fixing_time", "revision", "level" } | null,     the fixing chained from / carried
 *     "sheets": [{ "id", "provider", "country", "as_of", "content_sha256" }],        by id
 *     "fx": [{ "id", "currency", "cny_per_unit", "as_of" }],                         by currency
 *     "constituents": [{ "provider", "model", "sheet", "input_tokens", "cached_input_tokens",
 *                        "output_tokens", "input" | "cached_input" | "output":
 *                        { "price" (per 1M, listed currency), "currency", "sheet", "held" } | null }],
 *     "exclusions": [{ "provider", "model", "reason", "sheet", "input_tokens",
 *                      "cached_input_tokens", "output_tokens" }] }     both by (provider, model)
 *
 * METHODOLOGY.md writes the same down for readers who recompute it.
 */
import { createHash } from "node:crypto";
import { LosslessNumber } from "lossless-json";
import { jsonText, plainDecimal } from "../normalise/index.ts";
import type { ComponentInput, Evaluation } from "./evaluate.ts";

const num = (text: string | null) => (text === null ? null : new LosslessNumber(plainDecimal(text) ?? text));

export function inputsDocument(e: Evaluation, kind: "final" | "indicative"): string {
  const comp = (c: ComponentInput) => (c === null ? null : { price: num(c.price), currency: c.currency, sheet: num(c.sheet), held: c.held });
  return jsonText({
    schema: "ciyuan-inputs/2",
    index: e.index,
    definition_version: e.definitionVersion,
    methodology_version: e.methodologyVersion,
    fixing_time: e.fixingTime,
    kind,
    inputs_watermark: num(e.watermark),
    prev: e.prev === null ? null : { fixing_time: e.prev.fixingTime, revision: e.prev.revision, level: num(e.prev.level) },
    sheets: e.sheets.map((s) => ({ id: num(s.id), provider: s.provider, country: s.country, as_of: s.asOf, content_sha256: s.contentSha256 })),
    fx: e.fx.map((x) => ({ id: num(x.id), currency: x.currency, cny_per_unit: num(x.cnyPerUnit), as_of: x.asOf })),
    constituents: e.constituents.map((c) => ({
      provider: c.provider,
      model: c.model,
      sheet: num(c.sheetId),
      input_tokens: num(c.inputTokens),
      cached_input_tokens: num(c.cachedInputTokens),
      output_tokens: num(c.outputTokens),
      input: comp(c.components.input),
      cached_input: comp(c.components.cached_input),
      output: comp(c.components.output),
    })),
    exclusions: e.exclusions.map((x) => ({
      provider: x.provider,
      model: x.model,
      reason: x.reason,
      sheet: num(x.sheetId),
      input_tokens: num(x.inputTokens),
      cached_input_tokens: num(x.cachedInputTokens),
      output_tokens: num(x.outputTokens),
    })),
  });
}

export function inputsSha256(e: Evaluation, kind: "final" | "indicative"): string {
  return createHash("sha256").update(inputsDocument(e, kind), "utf8").digest("hex");
}
