/**
 * The canonical form of a sheet, hashed into content_sha256: what the sheet says, not how
 * it is written. Keys sorted, decimals normalised, as_of in UTC, models in name order,
 * each model with its own currency and unit; JSON, CSV and any layout give one hash.
 */
import { LosslessNumber, stringify } from "lossless-json";
import type { Sheet } from "./sheet.ts";
import { sha256Hex } from "./payload.ts";

const num = (plain: string | null) => (plain === null ? null : new LosslessNumber(plain));

export function canonicalSheet(sheet: Sheet): string {
  const models = [...sheet.models]
    .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
    .map((m) => ({
      model: m.model,
      currency: m.currency,
      unit: m.unit,
      input: num(m.input),
      cached_input: num(m.cachedInput),
      output: num(m.output),
      tiers: m.tiers,
      off_peak: m.offPeak,
    }));
  return jsonText({ provider: sheet.provider, country: sheet.country, as_of: sheet.asOf, models });
}

export const contentSha256 = (sheet: Sheet): string => sha256Hex(canonicalSheet(sheet));

/** JSON text with sorted keys; LosslessNumber values are written as exact numbers. */
export function jsonText(value: unknown): string {
  return stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object" || value instanceof LosslessNumber) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
}
