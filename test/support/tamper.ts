/**
 * Tampering with stored rows, as someone with direct database access could: the
 * append-only triggers are bypassed for one transaction (session_replication_role =
 * replica skips ordinary triggers; it needs a superuser, which tests have on both engines).
 */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../../src/db/index.ts";

export async function tamper(db: Db, statement: SQL): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL session_replication_role = replica`);
    await tx.execute(statement);
  });
}

/** Rows of each table that verification must leave untouched, for a before/after comparison. */
export async function rowCounts(db: Db): Promise<Record<string, string>> {
  const [r] = await rows<Record<string, string>>(
    db,
    sql`SELECT (SELECT count(*) FROM fixings)::text AS fixings, (SELECT count(*) FROM fixing_constituents)::text AS constituents,
               (SELECT count(*) FROM fixing_inputs)::text AS inputs, (SELECT count(*) FROM fixing_signatures)::text AS signatures,
               (SELECT count(*) FROM signing_keys)::text AS keys, (SELECT count(*) FROM settlements)::text AS settlements`,
  );
  return r!;
}
