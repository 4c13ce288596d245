/** Rejected sheets are kept whole, with the reason, once per (raw text, reason). */
import { sql } from "drizzle-orm";
import type { Db } from "../db/index.ts";
import { sha256Hex } from "./payload.ts";
import type { SheetOrigin } from "./sheet.ts";

export async function quarantineSheet(db: Db, origin: SheetOrigin, reason: string, payloadId: string | null): Promise<void> {
  await db.execute(sql`
    insert into quarantine (payload_id, location, provider, as_of, reason, raw, raw_sha256)
    values (${payloadId}::bigint, ${origin.location}, ${origin.provider}, ${origin.asOf}, ${reason}, ${origin.raw}, ${sha256Hex(origin.raw)})
    on conflict (raw_sha256, reason) do nothing`);
}
