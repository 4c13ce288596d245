/**
 * How an answer built from the fixing tables knows it is still current (see latest-cache.ts).
 */
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

/**
 * The highest fixing id: fixing rows are only ever added, each revision with a higher id,
 * so it changes whenever any fixing or revision is committed. One index-only read.
 */
export async function fixingsVersion(db: Db): Promise<string> {
  const [row] = await rows<{ v: string | null }>(db, sql`SELECT max(id)::text AS v FROM fixings`);
  return row?.v ?? "0";
}

/**
 * True for embedded PGlite: the database runs in this process and calls its NOTIFY
 * listeners before the committing query returns, so fixing events are never behind.
 */
export function runsInProcess(db: Db): boolean {
  return (db as unknown as { $client?: unknown }).$client instanceof PGlite;
}
