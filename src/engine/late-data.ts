/**
 * [1.1] Late data: at each final fixing time T, before T's final is computed, the finals of
 * the previous `late_data_days` days (index definition, default 3) are recomputed in order
 * with everything imported since, reason `late data`, each getting a new revision only
 * where a published number changes. Walking them oldest first also carries each change
 * into the next day's level, so no separate cascade is needed up to T.
 */
import { DateTime } from "luxon";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import { definitionAt } from "./definitions.ts";
import { computeFixingIfChanged, type StoredFixing } from "./fixing.ts";
import { finalFixingTime } from "./schedule-times.ts";

export type LateDataRequest = { index: string; at: string; signer?: Signer | undefined; now?: Date | undefined };

/** The revisions late data added before T's final; nothing once T's final exists. */
export async function recomputeLateData(db: Db, req: LateDataRequest): Promise<StoredFixing[]> {
  const def = await definitionAt(db, req.index, req.at);
  if (def.lateDataDays === 0) return [];
  const done = await rows(db, sql`SELECT 1 FROM fixings
    WHERE index_code = ${req.index} AND kind = 'final' AND fixing_time = ${req.at}::timestamptz LIMIT 1`);
  if (done.length > 0) return [];
  const day = DateTime.fromISO(req.at, { zone: def.fixingTz });
  const out: StoredFixing[] = [];
  for (let k = def.lateDataDays; k >= 1; k--) {
    const at = finalFixingTime(def, day.minus({ days: k }).toISODate()!);
    const f = await computeFixingIfChanged(db, {
      index: req.index,
      at,
      kind: "final",
      reason: "late data",
      signer: req.signer,
      now: req.now,
      cascade: false,
    });
    if (f) out.push(f);
  }
  return out;
}
