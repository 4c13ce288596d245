/**
 * The FX gates. Our CSV/JSON give CNY per unit directly; the ECB XML gives foreign
 * currency per EUR, crossed to CNY exactly: cny_per_unit(X) = rate(CNY) / rate(X), and
 * EUR itself = rate(CNY), each in force from 16:00 Frankfurt time on its date.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { EcbDay, RecordUnit } from "../sources/index.ts";
import { divideDecimals } from "../values/decimal.ts";
import { csvRate as csvRateValue, firstIssue, instant, jsonRate as jsonRateValue, rateCurrency } from "../values/fields.ts";
import { storableUtc, utcIso } from "../values/instant.ts";

/** The moment an ECB reference rate for `date` is published: 16:00 in Frankfurt. */
export function ecbPublicationTime(date: string): string | null {
  const dt = DateTime.fromISO(`${date}T16:00:00`, { zone: "Europe/Berlin" });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const utc = utcIso(dt);
  return storableUtc(utc) ? utc : null;
}

/** Digits kept after the point in an ECB cross rate (rounded half-even). */
export const CROSS_RATE_SCALE = 20;

export type FxRate = { seq: number; line: number | undefined; path: string; currency: string; cnyPerUnit: string; asOf: string };

const currency = rateCurrency.refine((code) => code !== "CNY", "CNY is the index currency (always 1), not a rate");

const csvRate = z.object({ currency, cny_per_unit: csvRateValue, as_of: instant });
const jsonRate = z.object({ currency, cny_per_unit: jsonRateValue, as_of: instant });
const ecbRate = z.object({ currency: rateCurrency, rate: csvRateValue });

export function validateFx(location: string, units: RecordUnit[], format: "csv" | "json"): FxRate[] {
  const schema = format === "csv" ? csvRate : jsonRate;
  return units.map((unit) => {
    const parsed = schema.safeParse(unit.fields);
    if (!parsed.success) {
      const { field, reason } = firstIssue(parsed.error, unit.path);
      throw new InputError(location, unit.line, field, reason);
    }
    const r = parsed.data;
    return { seq: unit.seq, line: unit.line, path: unit.path, currency: r.currency, cnyPerUnit: r.cny_per_unit, asOf: r.as_of };
  });
}

export function ecbCrossRates(location: string, days: EcbDay[]): FxRate[] {
  const out: FxRate[] = [];
  for (const day of days) {
    const asOf = typeof day.time === "string" ? ecbPublicationTime(day.time) : null;
    if (!asOf) throw new InputError(location, day.line, "time", day.time === undefined ? "missing" : "not a date (YYYY-MM-DD)");
    const rates = new Map<string, { rate: string; line: number | undefined }>();
    for (const unit of day.rates) {
      const parsed = ecbRate.safeParse(unit.fields);
      if (!parsed.success) {
        const { field, reason } = firstIssue(parsed.error);
        throw new InputError(location, unit.line, field, reason);
      }
      const { currency: code, rate } = parsed.data;
      if (rates.has(code)) throw new InputError(location, unit.line, "currency", `${code} twice on ${day.time}`);
      rates.set(code, { rate, line: unit.line });
    }
    const cny = rates.get("CNY");
    if (!cny) throw new InputError(location, day.line, "CNY", `no CNY rate on ${day.time}: no cross rate to CNY`);
    out.push({ seq: out.length + 1, line: cny.line, path: "", currency: "EUR", cnyPerUnit: cny.rate, asOf });
    for (const [code, { rate, line }] of rates) {
      if (code === "CNY") continue;
      out.push({ seq: out.length + 1, line, path: "", currency: code, cnyPerUnit: divideDecimals(cny.rate, rate, CROSS_RATE_SCALE), asOf });
    }
  }
  return out;
}

/** Two rates for one (currency, as_of) in the same file that disagree: the file is rejected. */
export function conflictingFx(location: string, rates: FxRate[]): InputError | null {
  const seen = new Map<string, FxRate>();
  for (const r of rates) {
    const key = `${r.currency} ${r.asOf}`;
    const first = seen.get(key);
    if (!first) seen.set(key, r);
    else if (first.cnyPerUnit !== r.cnyPerUnit) {
      const earlier = first.line !== undefined ? `line ${first.line}` : first.path;
      return new InputError(location, r.line, r.path || "cny_per_unit", `${r.currency} at ${r.asOf} already has another rate on ${earlier}`);
    }
  }
  return null;
}
