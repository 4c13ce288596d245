import type { Config } from "../config.ts";
import { openDatabase, type Database } from "./client.ts";
import { migrate } from "./migrate.ts";

/** What every command does first: open the configured database and migrate it. */
export async function openMigrated(config: Pick<Config, "databaseUrl" | "dataDir">): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
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
