/**
 * F_t of the hedge desk: the index's monthly settlement price for each bill month, its
 * latest revision, read through the same view as GET /v1/indices/{code}/settlement so both
 * show one number and one coverage. A month whose settlement has no value (no fixing of
 * the month had one) counts as a month without a settlement.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { loadSettlement } from "../publish/read/settlement.ts";

export type MonthSettlement = {
  month: string;
  /** 6-decimal text as published. */
  value: string;
  /** The month's last final fixing is not published yet. */
  provisional: boolean;
  /** Past the cut-off: never revised again. */
  final: boolean;
  /** The month is over and every day has a final fixing averaged. */
  complete: boolean;
};

/** The latest settlement of each month in [first, last] (YYYY-MM) that has one with a value. */
export async function monthlySettlements(db: Db, index: string, first: string, last: string, now?: Date): Promise<Map<string, MonthSettlement>> {
  // Only the months that have a settlement are read in full (a bill may reach back long
  // before the index's first fixing).
  const settled = await rows<{ month: string }>(
    db,
    sql`SELECT DISTINCT month FROM settlements WHERE index_code = ${index} AND month >= ${first} AND month <= ${last} ORDER BY month`,
  );
  const out = new Map<string, MonthSettlement>();
  for (const { month } of settled) {
    const view = await loadSettlement(db, { index, month, now });
    if (!view || view.value === null) continue;
    out.set(month, { month, value: view.value, provisional: view.provisional, final: view.coverage.final, complete: view.coverage.complete });
  }
  return out;
}
