import type { Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import { assertOnCalendar } from "./calendar.ts";
import { definitionAt } from "./definitions.ts";
import { computeFixingIfAbsent, type StoredFixing } from "./fixing.ts";
import { datesBetween, finalFixingTime } from "./schedule-times.ts";
import { settleMonth } from "./settlement.ts";

export type BackfillProgress = { done: number; total: number; fixingTime: string; computed: boolean };

/**
 * Final fixings for each day in [from, to] at the index's fixing time, oldest first, so
 * each one chains from the one before. A day that already has a final fixing is kept
 * as it is (a recompute is a restatement, never a side effect of a backfill). Each month
 * of the range is settled once, after its days (a revision only if its result changed), so
 * a rerun after a crash settles what the crashed run did not.
 */
export async function backfill(
  db: Db,
  opts: {
    index: string;
    from: string;
    to: string;
    reason?: string;
    signer?: Signer | undefined;
    /** The moment of computation (default: the clock); a simulated clock passes its own. */
    now?: Date | undefined;
    onProgress?: (p: BackfillProgress) => void;
  },
): Promise<{ computed: StoredFixing[]; skipped: number }> {
  const dates = datesBetween(opts.from, opts.to);
  const def = await definitionAt(db, opts.index, `${opts.to}T23:59:59Z`);
  // The whole range is refused before anything is computed when its last final has not
  // happened yet: a backfill never leaves a half-done range behind for a calendar reason.
  if (dates.length > 0) assertOnCalendar(def, "final", finalFixingTime(def, dates.at(-1)!), opts.now);
  const computed: StoredFixing[] = [];
  let skipped = 0;
  for (const [i, date] of dates.entries()) {
    const at = finalFixingTime(def, date);
    // Checked under the fixing's own lock, so two processes backfilling at once (two
    // `ciyuan start` on one database) never make a revision 2.
    const f = await computeFixingIfAbsent(db, {
      index: opts.index,
      at,
      kind: "final",
      reason: opts.reason ?? "backfill",
      signer: opts.signer,
      now: opts.now,
      settle: false,
    });
    if (f === null) skipped++;
    else computed.push(f);
    opts.onProgress?.({ done: i + 1, total: dates.length, fixingTime: at, computed: f !== null });
  }
  // A date is a calendar day in the index's zone, and so is its final: its month is the date's.
  const months = [...new Set(dates.map((d) => d.slice(0, 7)))];
  for (const month of months) {
    const reason = `backfill ${opts.from}..${opts.to}`;
    await db.transaction((tx) => settleMonth(tx, def, { month, reason, signer: opts.signer, now: opts.now }));
  }
  return { computed, skipped };
}
