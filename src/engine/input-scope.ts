/**
 * Which stored input rows a fixing's steps may read. Computing a fixing reads every row the
 * database holds (point in time on as_of); verifying a stored fixing reads only the rows
 * that fixing recorded in fixing_inputs, so data that arrived later (a backdated sheet, a
 * usage or FX correction, an approval) cannot change the recompute.
 */
import { sql, type SQL } from "drizzle-orm";

export type InputKind = "sheet" | "fx" | "usage" | "approval";

/** null: every stored row; { fixingId }: only the rows recorded for that fixing. */
export type InputScope = { fixingId: string } | null;

export const EVERY_STORED_INPUT: InputScope = null;

/** A condition on `idColumn` (the row's id) that keeps the rows in scope. */
export function inScope(scope: InputScope, kind: InputKind, idColumn: SQL): SQL {
  if (scope === null) return sql`true`;
  return sql`${idColumn} IN (SELECT ref_id FROM fixing_inputs WHERE fixing_id = ${scope.fixingId}::bigint AND kind = ${kind})`;
}
