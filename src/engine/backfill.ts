import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import { definitionAt } from "./definitions.ts";
import { computeFixing, type StoredFixing } from "./fixing.ts";
import { datesBetween, finalFixingTime } from "./schedule-times.ts";

export type BackfillProgress = { done: number; total: number; fixingTime: string; computed: boolean };

/**
 * Final fixings for each day in [from, to] at the index's fixing time, oldest first, so
 * each one chains from the one before. A day that already has a final fixing is kept
 * as it is (a recompute is a restatement, never a side effect of a backfill).
 */
export async function backfill(
  db: Db,
  opts: {
    index: string;
    from: string;
    to: string;
    reason?: string;
    signer?: Signer | undefined;
    onProgress?: (p: BackfillProgress) => void;
  },
): Promise<{ computed: StoredFixing[]; skipped: number }> {
  const dates = datesBetween(opts.from, opts.to);
  const def = await definitionAt(db, opts.index, `${opts.to}T23:59:59Z`);
  const computed: StoredFixing[] = [];
  let skipped = 0;
  for (const [i, date] of dates.entries()) {
    const at = finalFixingTime(def, date);
    const exists = await rows(db, sql`SELECT 1 FROM fixings WHERE index_code = ${opts.index} AND kind = 'final' AND fixing_time = ${at}::timestamptz LIMIT 1`);
    if (exists.length > 0) skipped++;
    else computed.push(await computeFixing(db, { index: opts.index, at, kind: "final", reason: opts.reason ?? "backfill", signer: opts.signer }));
    opts.onProgress?.({ done: i + 1, total: dates.length, fixingTime: at, computed: exists.length === 0 });
  }
  return { computed, skipped };
}
