import { DateTime } from "luxon";

export { parseOffsetInstant, utcIso, type InstantResult } from "../instant.ts";
import { utcIso } from "../instant.ts";

/** The moment an ECB reference rate for `date` is published: 16:00 in Frankfurt. */
export function ecbPublicationTime(date: string): string | null {
  const dt = DateTime.fromISO(`${date}T16:00:00`, { zone: "Europe/Berlin" });
  return dt.isValid && /^\d{4}-\d{2}-\d{2}$/.test(date) ? utcIso(dt) : null;
}
