/**
 * When fixings are due, as pure functions of the definition and the clock: the scheduler
 * and its tests share them, so no test waits for real time.
 */
import { DateTime } from "luxon";
import type { IndexDefinition } from "../engine/index.ts";
import { datesBetween, finalFixingTime } from "../engine/index.ts";

export type FixingClock = Pick<IndexDefinition, "fixingLocalTime" | "fixingTz">;

/** Indicative fixings every 15 minutes (rulebook, "Fixings and schedule"). */
export const INDICATIVE_MINUTES = 15;

/** A scheduler that was down computes at most this many days of missed final fixings; older
 * gaps are for `ciyuan backfill` (the same 60 days `ciyuan start` backfills). */
export const CATCH_UP_DAYS = 60;

const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;

/** Final fixing times T with after < T <= until, oldest first (T at the index's local time). */
export function finalTimesBetween(def: FixingClock, after: string, until: string): string[] {
  const from = DateTime.fromISO(after, { zone: def.fixingTz }).toISODate()!;
  const to = DateTime.fromISO(until, { zone: def.fixingTz }).toISODate()!;
  const a = Date.parse(after);
  const u = Date.parse(until);
  return datesBetween(from, to)
    .map((date) => finalFixingTime(def, date))
    .filter((t) => Date.parse(t) > a && Date.parse(t) <= u);
}

/**
 * The final fixings due at `now`, oldest first: every T after the last one done (or, with
 * none, after the start of the catch-up window) up to now; never older than the window.
 */
export function dueFinalFixings(def: FixingClock, lastDone: string | null, now: string, catchUpDays = CATCH_UP_DAYS): string[] {
  const windowStart = iso(DateTime.fromISO(now, { zone: "utc" }).minus({ days: catchUpDays }));
  const after = lastDone !== null && Date.parse(lastDone) > Date.parse(windowStart) ? lastDone : windowStart;
  return finalTimesBetween(def, after, now);
}

/** The indicative fixing time of the 15-minute slot `now` falls in (slots start on the UTC
 * quarter hour: :00, :15, :30, :45). */
export function indicativeSlot(now: string, minutes = INDICATIVE_MINUTES): string {
  const ms = minutes * 60_000;
  return new Date(Math.floor(Date.parse(now) / ms) * ms).toISOString().replace(".000Z", "Z");
}
