import type { Config } from "../config.ts";
import { openDatabase, type Database } from "./client.ts";
import { migrate } from "./migrate.ts";

/** What every command does first: open the configured database and migrate it. */
export async function openMigrated(config: Pick<Config, "databaseUrl" | "dataDir">): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
