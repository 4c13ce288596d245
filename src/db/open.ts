import type { Config } from "../config.ts";
import { openDatabase, type Database } from "./client.ts";
import { DatabaseInUse, type LockHolder } from "./lock.ts";
import { migrate } from "./migrate.ts";

export type OpenMigratedOptions = {
  /**
   * When another process holds the embedded database and lends it (db/handover.ts): true
   * (the default) works through it, false refuses with DatabaseInUse (a long-running
   * service must own its database: the one it borrowed would go when its lender stops).
   */
  handOver?: boolean;
  /** Told when the work is handed to the process holding the data directory. */
  onHandOver?: (holder: LockHolder) => void;
};

/** What every command does first: open the configured database and migrate it. */
export async function openMigrated(config: Pick<Config, "databaseUrl" | "dataDir">, options: OpenMigratedOptions = {}): Promise<Database> {
  const database = await openOrHandOver(config, options);
  try {
    await migrate(database);
    await holdStatesOfOlderSheets(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * A database migrated from before 1.1 holds price sheets but no held-price states (they are
 * decided when a sheet is stored): decide them once, for every stored sheet. One indexed
 * probe when there is nothing to do; the module is loaded only when there is.
 */
async function holdStatesOfOlderSheets(database: Database): Promise<void> {
  const { sql } = await import("drizzle-orm");
  const result = (await database.db.execute(
    sql`SELECT EXISTS (SELECT 1 FROM sheet_models) AND NOT EXISTS (SELECT 1 FROM listing_states) AS missing`,
  )) as unknown as { rows: { missing: boolean }[] };
  if (!result.rows[0]?.missing) return;
  const { materialiseMissingHolds } = await import("../normalise/hold-states.ts");
  await database.db.transaction(async (tx) => {
    await materialiseMissingHolds(tx);
  });
}

/**
 * The configured database; when another `ciyuan` holds the embedded one and lends it, that
 * one, through the Postgres wire protocol (operations spec, "One writer on the embedded
 * database"). A lender that has just gone leaves a stale lock: taken over on the next try.
 */
async function openOrHandOver(config: Pick<Config, "databaseUrl" | "dataDir">, options: OpenMigratedOptions): Promise<Database> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    } catch (err) {
      const url = err instanceof DatabaseInUse ? err.holder.handover : undefined;
      if (!url || options.handOver === false) throw err;
      const borrowed = await openDatabase({ databaseUrl: url });
      try {
        // The pool connects lazily: make sure the lender answers before saying so.
        const { sql } = await import("drizzle-orm");
        await borrowed.db.execute(sql`SELECT 1`);
      } catch {
        await borrowed.close().catch(() => {});
        if (attempt > 0) throw err;
        continue;
      }
      options.onHandOver?.((err as DatabaseInUse).holder);
      // Its URL carries a password: name the data directory instead.
      return { ...borrowed, location: config.dataDir };
    }
  }
}
