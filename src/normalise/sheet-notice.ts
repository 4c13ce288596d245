/**
 * A NOTIFY when a price sheet is accepted, from the transaction that stores it: Postgres
 * (and PGlite) deliver it at that commit, to every API process listening, whichever
 * process stored the sheet. /v1/stream turns it into `price_change` events
 * (operations-and-users.md section 7; publish/events.ts).
 *
 * It travels on the fixings' channel (migrations/0003) with a `sheet:` prefix, which a
 * fixing's payload (digits only) never has: each API process keeps one listening session
 * (one connection on Postgres), and the fixing feed already ignores payloads that are not
 * fixing ids.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/index.ts";

export const SHEET_NOTICE_CHANNEL = "ciyuan_fixing";
export const SHEET_NOTICE_PREFIX = "sheet:";

/** The accepted sheet's id, from its digits-only notice payload; null for any other payload. */
export function sheetIdOfNotice(payload: string): string | null {
  const m = /^sheet:(\d{1,19})$/.exec(payload);
  return m ? m[1]! : null;
}

/** Call inside the storing transaction, once the sheet's rows are written. */
export async function noticeSheetStored(tx: Db, sheetId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${SHEET_NOTICE_CHANNEL}, ${SHEET_NOTICE_PREFIX + sheetId})`);
}
