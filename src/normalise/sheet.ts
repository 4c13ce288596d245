/**
 * The price-sheet gates: a sheet (JSON document or CSV group) either becomes a Sheet,
 * normalised, or is rejected whole with one reason. Nothing here touches the database.
 */
import { z } from "zod";
import { LosslessNumber, isLosslessNumber } from "lossless-json";
import { IANAZone } from "luxon";
import { SHEET_SCHEMA, cellsByName, type CsvSheetUnit, type JsonSheetUnit, type SheetUnit } from "../sources/index.ts";
import {
  country,
  csvPrice,
  emptyOr,
  firstIssue,
  instant,
  jsonCount,
  jsonPositive,
  jsonPrice,
  jsonPriceValue,
  name,
  priceCurrency,
  unit,
} from "../values/fields.ts";
import type { Unit } from "../values/currencies.ts";
import { oneLine } from "../errors.ts";

export { SHEET_SCHEMA };

export type ModelPrice = {
  model: string;
  currency: string;
  unit: Unit;
  input: string | null;
  cachedInput: string | null;
  output: string | null;
  /** jsonb-ready: numbers as LosslessNumber, so they are written exactly. */
  tiers: unknown[] | null;
  offPeak: unknown[] | null;
};

export type Sheet = {
  provider: string;
  country: string | null; // as written on the sheet; null: take the provider's known country
  asOf: string; // UTC ISO
  currency: string;
  unit: Unit;
  models: ModelPrice[];
};

/** Where a sheet came from, for messages and quarantine. */
export type SheetOrigin = { location: string; label: string; provider: string | null; asOf: string | null; raw: string };
export type SheetVerdict = { ok: true; origin: SheetOrigin; sheet: Sheet } | { ok: false; origin: SheetOrigin; field: string; reason: string };

const asNumber = (plain: string) => new LosslessNumber(plain);
/** A JSON object (not a number, which lossless-json also gives as an object) with `shape`. */
const jsonObject = <T extends z.ZodRawShape>(shape: T) =>
  z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v), {
      error: (iss) => (iss.input === undefined ? "missing" : "not a JSON object"),
    })
    .pipe(z.object(shape));
const notArray = { error: (iss: { input: unknown }) => (iss.input === undefined ? "missing" : "not an array") };
const clock = z.string({ error: "not HH:MM" }).regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "not HH:MM");

const tier = jsonObject({
  min_input_tokens: jsonCount.transform(asNumber),
  input: jsonPriceValue.transform(asNumber).optional(),
  cached_input: jsonPriceValue.transform(asNumber).optional(),
  output: jsonPriceValue.transform(asNumber).optional(),
});

const offPeak = jsonObject({
  from: clock,
  to: clock,
  tz: z.string({ error: "not a time zone" }).refine((tz) => IANAZone.isValidZone(tz), "not an IANA time zone"),
  multiplier: jsonPositive.transform(asNumber),
});

const jsonModel = jsonObject({
  model: name,
  currency: priceCurrency.optional(),
  unit: unit.optional(),
  input: jsonPrice,
  cached_input: jsonPrice,
  output: jsonPrice,
  tiers: z.array(tier, notArray).nullish(),
  off_peak: z.array(offPeak, notArray).nullish(),
});

const jsonSheet = z.object({
  schema: z.literal(SHEET_SCHEMA, {
    error: (iss) => (iss.input === undefined ? "missing" : `must be "${SHEET_SCHEMA}"`),
  }),
  provider: name,
  country: country.nullish(),
  as_of: instant,
  currency: priceCurrency,
  unit,
  models: z.array(jsonModel, notArray).min(1, "empty: a sheet lists at least one model"),
});

const csvRow = z.object({
  provider: name,
  country: emptyOr(country),
  as_of: instant,
  currency: priceCurrency,
  unit,
  model: name,
  input: csvPrice,
  cached_input: csvPrice,
  output: csvPrice,
});

export function validateSheet(unit: SheetUnit): SheetVerdict {
  if (unit.kind === "broken") {
    const origin = { location: unit.location, label: "", provider: null, asOf: null, raw: unit.raw };
    return { ok: false, origin, field: "", reason: unit.reason };
  }
  return unit.kind === "json" ? validateJson(unit) : validateCsv(unit);
}

function validateJson(unit: JsonSheetUnit): SheetVerdict {
  const doc = unit.doc as Record<string, unknown> | null;
  // As written, for messages and quarantine; a NUL (escaped in JSON) could be neither.
  const provider = typeof doc?.provider === "string" && !doc.provider.includes("\0") ? doc.provider : null;
  const asOf = typeof doc?.as_of === "string" && !doc.as_of.includes("\0") ? doc.as_of : null;
  const label = `${provider ?? "?"}@${asOf ?? "?"}` + (provider && asOf ? "" : ` (#${unit.ordinal})`);
  const origin = { location: unit.location, label, provider, asOf, raw: unit.raw };
  if (typeof unit.doc !== "object" || unit.doc === null || Array.isArray(unit.doc)) {
    return { ok: false, origin, field: "sheet", reason: "not a JSON object" };
  }
  const parsed = jsonSheet.safeParse(unit.doc);
  if (!parsed.success) return { ok: false, origin, ...firstIssue(parsed.error) };
  const s = parsed.data;
  const models = s.models.map((m) => ({
    model: m.model,
    currency: m.currency ?? s.currency,
    unit: m.unit ?? s.unit,
    input: m.input,
    cachedInput: m.cached_input,
    output: m.output,
    tiers: m.tiers ?? null,
    offPeak: m.off_peak ?? null,
  }));
  const dup = duplicateAt(models.map((m) => m.model));
  if (dup) {
    const reason = `duplicate model ${JSON.stringify(dup.name)} (also models[${dup.first}])`;
    return { ok: false, origin, field: `models[${dup.at}].model`, reason };
  }
  const sheet = { provider: s.provider, country: s.country ?? null, asOf: s.as_of, currency: s.currency, unit: s.unit, models };
  return { ok: true, origin, sheet };
}

function validateCsv(unit: CsvSheetUnit): SheetVerdict {
  const first = unit.rows[0]!;
  const cell = (name: string) => first.cells[unit.header.indexOf(name)] || null;
  const [provider, asOf] = [cell("provider"), cell("as_of")];
  const origin = { location: unit.location, label: `${provider ?? "?"}@${asOf ?? "?"}`, provider, asOf, raw: unit.raw };
  const rows: z.infer<typeof csvRow>[] = [];
  for (const row of unit.rows) {
    // The line at fault, rather than the sheet's first line.
    const fail = (field: string, reason: string): SheetVerdict => ({
      ok: false,
      origin: { ...origin, location: `${unit.file}:${row.line}` },
      field,
      reason,
    });
    const cells = cellsByName(unit.header, row);
    if (typeof cells === "string") return fail("row", cells);
    const parsed = csvRow.safeParse(cells);
    if (!parsed.success) {
      const { field, reason } = firstIssue(parsed.error);
      return fail(field, reason);
    }
    const r = parsed.data;
    const other = rows.find((o) => o.country !== null && r.country !== null && o.country !== r.country);
    if (other) return fail("country", `${r.country} differs from ${other.country} on the same sheet`);
    if (rows.some((o) => o.model === r.model)) return fail("model", `duplicate model ${JSON.stringify(r.model)} on the sheet`);
    rows.push(r);
  }
  const head = rows[0]!;
  const sheet: Sheet = {
    provider: head.provider,
    country: rows.find((r) => r.country !== null)?.country ?? null,
    asOf: head.as_of,
    currency: head.currency,
    unit: head.unit,
    models: rows.map((r) => ({
      model: r.model,
      currency: r.currency,
      unit: r.unit,
      input: r.input,
      cachedInput: r.cached_input,
      output: r.output,
      tiers: null,
      offPeak: null,
    })),
  };
  return { ok: true, origin, sheet };
}

function duplicateAt(names: string[]): { name: string; at: number; first: number } | null {
  const seen = new Map<string, number>();
  for (const [at, n] of names.entries()) {
    const first = seen.get(n);
    if (first !== undefined) return { name: n, at, first };
    seen.set(n, at);
  }
  return null;
}

/** One line naming the sheet and why it was rejected. */
export function rejectionMessage(v: Extract<SheetVerdict, { ok: false }>): string {
  return [v.origin.location, v.origin.label && `sheet ${oneLine(v.origin.label)}`, v.field && oneLine(v.field), oneLine(v.reason)].filter(Boolean).join(": ");
}
