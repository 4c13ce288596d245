/**
 * Times as users write them in URLs. An instant must carry its offset (or Z): a fixing
 * time without one is ambiguous. The validated text is handed to Postgres as is, so
 * sub-millisecond digits (computed_at has microseconds) survive; nothing here goes
 * through a JS Date.
 */
import { DateTime } from "luxon";

// Year 0000 does not exist for Postgres; offsets beyond +-14:59 are not real ones.
const INSTANT =
  /^((?!0000)\d{4}-\d{2}-\d{2})[T ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d{1,9})?)?(Z|z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$/;
const DATE = /^(?!0000)\d{4}-\d{2}-\d{2}$/;

/** A real calendar day (no 2026-02-30) in YYYY-MM-DD form. */
export function isCalendarDate(text: string): boolean {
  return DATE.test(text) && DateTime.fromFormat(text, "yyyy-MM-dd", { zone: "utc" }).isValid;
}

/**
 * An ISO 8601 instant with offset, or null. In a query string `+` arrives decoded as a
 * space, so `...T16:00:00 08:00` is read as the `+08:00` its author typed.
 */
export function parseInstant(text: string): string | null {
  const candidate = text.replace(/^(.+T[\d:.]+) (\d{2}(?::?\d{2})?)$/, "$1+$2");
  const m = INSTANT.exec(candidate);
  if (!m || !isCalendarDate(m[1]!)) return null;
  return candidate;
}

/** Milliseconds since the epoch, for ordering checks only (never for stored values). */
export function epochMillis(instantOrDate: string): number {
  const text = parseInstant(instantOrDate) ?? instantOrDate;
  return DateTime.fromISO(text.replace(" ", "T"), { zone: "utc" }).toMillis();
}

export const isDateOnly = (text: string): boolean => DATE.test(text);
