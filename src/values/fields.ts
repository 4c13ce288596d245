/**
 * The zod field schemas every importer shares, with the gates' own words as messages (the
 * registry adapters in sources/ read prices by the same rules, so they live here, where
 * both may import them).
 * Numbers arrive as text (LosslessNumber from JSON, a cell from CSV) and leave as plain
 * decimal text.
 */
import { z } from "zod";
import { isLosslessNumber } from "lossless-json";
import { PLAIN_DECIMAL, PLAIN_INTEGER, isInteger, isPositive, notAbove, plainDecimal } from "./decimal.ts";
import { parseOffsetInstant, storableUtc } from "./instant.ts";
import { UNITS, isActiveCurrency, isKnownCurrency } from "./currencies.ts";

export const NOT_POSITIVE = "not a number > 0";
export const NOT_COUNT = "not a non-negative integer";

/** "missing" when the field is absent, else the given reason. */
const missingOr = (reason: string) => (iss: { input: unknown }) => (iss.input === undefined ? "missing" : reason);

// A JSON file can escape a NUL (`\u0000`) that Postgres text cannot hold.
export const name = z
  .string({ error: missingOr("not a string") })
  .trim()
  .min(1, "empty")
  .refine((s) => !s.includes("\0"), "contains a NUL character");

// Usage files repeat the same periods on many lines; parsing each once saves most of the time.
const seenInstants = new Map<string, ReturnType<typeof parseOffsetInstant>>();
function cachedInstant(text: string) {
  let r = seenInstants.get(text);
  if (!r) {
    if (seenInstants.size > 10_000) seenInstants.clear();
    r = parseOffsetInstant(text);
    seenInstants.set(text, r);
  }
  return r;
}

export const instant = z.string({ error: missingOr("not a string") }).transform((s, ctx) => {
  const r = cachedInstant(s);
  if (r.ok && storableUtc(r.utc)) return r.utc;
  ctx.addIssue({ code: "custom", message: r.ok ? "out of range (years 0001 to 9999)" : r.reason });
  return z.NEVER;
});

const known = (check: (code: string) => boolean) =>
  z.string({ error: missingOr("not a string") }).refine(check, { error: (iss) => `unknown currency ${JSON.stringify(iss.input)}` });
/** A currency a price can be listed in (ISO 4217, in circulation). */
export const priceCurrency = known(isActiveCurrency);
/** A currency an FX rate can be for (also codes since withdrawn). */
export const rateCurrency = known(isKnownCurrency);

export const unit = z.enum(UNITS, {
  error: (iss) => (iss.input === undefined ? "missing" : `unknown unit ${JSON.stringify(iss.input)} (one of ${UNITS.join(", ")})`),
});

export const country = z.string({ error: missingOr("not a string") }).regex(/^[A-Z]{2}$/, "not an ISO 3166 alpha-2 code");

/** Why a plain decimal is not acceptable, or null when it is. */
type Check = (plain: string) => string | null;

// Bounds no real input comes near (operations-and-users.md): a number beyond them is a
// malformed file, not a market move, and never reaches a fixing.
/** A listed price: at most 10^9 per its unit (per token, per 1K or per 1M tokens). */
export const MAX_PRICE = "1000000000";
/** An FX rate (CNY per unit, or units per EUR): within 10^-6 .. 10^6. */
export const MIN_RATE = "0.000001";
export const MAX_RATE = "1000000";
/** Tokens in one record: fewer than 10^18 (a bigint holds 9.2 x 10^18; sums stay numeric). */
const MAX_TOKENS = "999999999999999999";

const positive: Check = (plain) => (isPositive(plain) ? null : NOT_POSITIVE);
const price: Check = (plain) => positive(plain) ?? (notAbove(plain, MAX_PRICE) ? null : "above 10^9 per its unit: not a real price");
const rate: Check = (plain) =>
  positive(plain) ?? (notAbove(MIN_RATE, plain) && notAbove(plain, MAX_RATE) ? null : "outside 10^-6 .. 10^6: not a real exchange rate");
const count: Check = (plain) =>
  !isInteger(plain) || plain.startsWith("-") ? NOT_COUNT : notAbove(plain, MAX_TOKENS) ? null : "10^18 tokens or more in one record";

/** A number read as plain decimal text by `read` (null: not a number) that passes `check`. */
const numberField = (read: (v: unknown) => string | null, check: Check, reason: string) =>
  z.unknown().transform((v, ctx) => {
    const plain = read(v);
    const problem = v === undefined ? "missing" : plain === null ? reason : check(plain);
    if (problem === null) return plain!;
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  });

/** JSON: only a JSON number (a LosslessNumber, exact text) is a number; "2" is a string. */
const fromJson = (v: unknown) => (isLosslessNumber(v) ? plainDecimal(v.value) : null);
/** CSV: a cell written as `pattern` allows. */
const fromCell = (pattern: RegExp) => (v: unknown) => (typeof v === "string" && pattern.test(v) ? plainDecimal(v) : null);

/** A number > 0 in JSON (exact text): a tier's multiplier. */
export const jsonPositive = numberField(fromJson, positive, NOT_POSITIVE);
/** A price in JSON: a JSON number > 0 and at most 10^9 (exact text). */
export const jsonPriceValue = numberField(fromJson, price, NOT_POSITIVE);
/** A price in CSV: a plain decimal > 0 and at most 10^9. */
export const csvPriceValue = numberField(fromCell(PLAIN_DECIMAL), price, NOT_POSITIVE);
/** An FX rate in JSON / CSV: > 0, within 10^-6 .. 10^6. */
export const jsonRate = numberField(fromJson, rate, NOT_POSITIVE);
export const csvRate = numberField(fromCell(PLAIN_DECIMAL), rate, NOT_POSITIVE);
/** A token count in JSON: a non-negative integer JSON number that fits bigint. */
export const jsonCount = numberField(fromJson, count, NOT_COUNT);
/** A token count in CSV: digits only, fitting bigint. */
export const csvCount = numberField(fromCell(PLAIN_INTEGER), count, NOT_COUNT);

/** A price that may be absent or null ("not listed"). */
export const jsonPrice = jsonPriceValue.nullish().transform((v) => v ?? null);
/** A CSV cell that may be empty (null); otherwise it must pass `schema`. */
export const emptyOr = <T>(schema: z.ZodType<T, unknown>) => z.preprocess((v) => (v === "" ? null : v), schema.nullable());
/** A CSV price cell; empty means not listed. */
export const csvPrice = emptyOr(csvPriceValue);

/** `models[1].input` from a zod path. */
export function fieldPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  return out;
}

/** The first problem zod found, as a field and a reason. */
export function firstIssue(error: z.ZodError, prefix = ""): { field: string; reason: string } {
  const issue = error.issues[0]!;
  return { field: fieldPath(issue.path, prefix) || "value", reason: issue.message };
}
