/**
 * The fixing calendar (rulebook [1.1] "Calendar"): a final fixing exists only at its
 * index's final time of a calendar day (16:00 Asia/Shanghai for the CTPI family), an
 * indicative one only on a quarter hour, and neither later than the moment it is computed.
 * Every way to compute a fixing (CLI, admin API, scheduler, backfill, restate) passes here,
 * so nothing off the calendar or in the future is ever computed, stored or signed.
 */
import { DateTime } from "luxon";
import type { Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { definitionAt, type IndexDefinition } from "./definitions.ts";
import { finalFixingTime } from "./schedule-times.ts";

export type FixingKindOnCalendar = "final" | "indicative";

type Calendar = Pick<IndexDefinition, "code" | "fixingLocalTime" | "fixingTz">;

const utc = (at: string) => DateTime.fromISO(at, { zone: "utc" });

/** Whether `at` (UTC ISO) is the final fixing time of its calendar day in the index's zone. */
export function isFinalTime(def: Calendar, at: string): boolean {
  const t = utc(at);
  if (!t.isValid) return false;
  const day = t.setZone(def.fixingTz).toISODate()!;
  return utc(finalFixingTime(def, day)).toMillis() === t.toMillis();
}

/** Whether `at` is on a quarter hour (:00, :15, :30, :45, no seconds) in the index's zone. */
export function isQuarterHour(def: Calendar, at: string): boolean {
  const t = utc(at).setZone(def.fixingTz);
  return t.isValid && t.minute % 15 === 0 && t.second === 0 && t.millisecond === 0;
}

/**
 * Refuses a fixing time off the calendar (`off_calendar`) or after `now` (`future_fixing`);
 * both are the caller's mistake, never a failure of the service.
 */
export function assertOnCalendar(def: Calendar, kind: FixingKindOnCalendar, at: string, now: Date = new Date()): void {
  if (kind === "final" && !isFinalTime(def, at)) {
    const [h, m] = def.fixingLocalTime.split(":");
    throw new CiyuanError(
      "off_calendar",
      `${at} is not a final fixing time of ${def.code}: finals are at ${h}:${m} ${def.fixingTz} each day ` +
        `(e.g. ${finalFixingTime(def, utc(at).isValid ? utc(at).setZone(def.fixingTz).toISODate()! : "2026-01-01")})`,
    );
  }
  if (kind === "indicative" && !isQuarterHour(def, at)) {
    throw new CiyuanError("off_calendar", `${at} is not an indicative fixing time of ${def.code}: indicatives are on the quarter hour`);
  }
  if (utc(at).toMillis() > now.getTime()) {
    throw new CiyuanError("future_fixing", `${at} is in the future (now ${utcIso(now)}): a fixing is computed only once its time has passed`);
  }
}

/**
 * A fixing time as a user gives it: an instant (UTC ISO, already parsed with its offset) or
 * a calendar date alone, which means that day's final fixing time of the index.
 */
export async function resolveFixingTime(db: Db, index: string, atOrDate: string): Promise<string> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(atOrDate)) return atOrDate;
  const def = await definitionAt(db, index, `${atOrDate}T23:59:59Z`);
  return finalFixingTime(def, atOrDate);
}

function utcIso(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, "Z");
}
