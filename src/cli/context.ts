import { loadConfig, type Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { openMigrated } from "../db/open.ts";

export { EXIT, ExitCode } from "./exit.ts";

/** Opens (and migrates) the configured database for one command, and closes it after. */
export async function withDatabase<T>(fn: (database: Database, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openMigrated(config);
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}
