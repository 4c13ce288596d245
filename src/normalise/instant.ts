import { DateTime } from "luxon";

export { parseOffsetInstant, utcIso, type InstantResult } from "../instant.ts";
import { utcIso } from "../instant.ts";

/** Whether Postgres can store a UTC instant as `utcIso` writes it: years 0001 to 9999 (no year 0, no sign). */
export const storableUtc = (utc: string): boolean => /^(?!0000)\d{4}-/.test(utc);

/** The moment an ECB reference rate for `date` is published: 16:00 in Frankfurt. */
export function ecbPublicationTime(date: string): string | null {
  const dt = DateTime.fromISO(`${date}T16:00:00`, { zone: "Europe/Berlin" });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const utc = utcIso(dt);
  return storableUtc(utc) ? utc : null;
}
