/**
 * The one parser of instants as people write them (files, bodies, the command line): an
 * ISO 8601 date-time that carries its UTC offset, given back as UTC ISO text. A leaf module
 * (luxon only), so the command line's grammar can use it without loading anything behind it.
 */
import { DateTime } from "luxon";

// Date, 'T', time with optional fraction (milliseconds at most, so nothing is lost on the
// way to UTC), and the offset the rules require.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/;
const ANY_OFFSET = /(?:z|[+-]\d{2}(?::?\d{2})?)$/i;

export type InstantResult = { ok: true; utc: string } | { ok: false; reason: string };

/** An ISO 8601 date-time with an offset, as UTC ISO text (`2026-09-28T16:00:00Z`). */
export function parseOffsetInstant(text: string): InstantResult {
  if (!DATE_TIME.test(text)) return { ok: false, reason: "not an ISO 8601 date-time" };
  if (!ANY_OFFSET.test(text)) return { ok: false, reason: "no UTC offset (ISO 8601 with offset required)" };
  if (!WITH_OFFSET.test(text)) return { ok: false, reason: "not an ISO 8601 date-time (with milliseconds at most)" };
  const dt = DateTime.fromISO(text, { setZone: true });
  if (!dt.isValid) return { ok: false, reason: "not an ISO 8601 date-time" };
  return { ok: true, utc: utcIso(dt) };
}

export function utcIso(dt: DateTime): string {
  return dt.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** Whether Postgres can store a UTC instant as `utcIso` writes it: years 0001 to 9999 (no year 0, no sign). */
export const storableUtc = (utc: string): boolean => /^(?!0000)\d{4}-/.test(utc);
