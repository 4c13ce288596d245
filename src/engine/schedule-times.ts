import { DateTime } from "luxon";
import type { IndexDefinition } from "./definitions.ts";

/** The final fixing time of an index on a calendar date (its local fixing time in its
 * time zone, e.g. 16:00 Asia/Shanghai = 08:00Z), as ISO UTC. */
export function finalFixingTime(def: Pick<IndexDefinition, "fixingLocalTime" | "fixingTz">, date: string): string {
  const [hour, minute] = def.fixingLocalTime.split(":").map((x) => Number.parseInt(x, 10));
  const local = DateTime.fromISO(date, { zone: def.fixingTz }).set({ hour, minute, second: 0, millisecond: 0 });
  return local.toUTC().toISO({ suppressMilliseconds: true })!;
}

/** Calendar dates from..to inclusive (YYYY-MM-DD). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let d = DateTime.fromISO(from, { zone: "utc" });
  const end = DateTime.fromISO(to, { zone: "utc" });
  while (d <= end) {
    out.push(d.toISODate()!);
    d = d.plus({ days: 1 });
  }
  return out;
}
