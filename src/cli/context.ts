import { loadConfig, type Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { openMigrated } from "../db/open.ts";

export { EXIT, ExitCode } from "./exit.ts";

export type WithDatabaseOptions = {
  /**
   * For the long-running service (start, serve): it owns the embedded database (never works
   * through another process's) and lends it to the other commands on the same data
   * directory while it runs (operations spec, "One writer on the embedded database").
   */
  service?: boolean;
};

/** Opens (and migrates) the configured database for one command, and closes it after. */
export async function withDatabase<T>(fn: (database: Database, config: Config) => Promise<T>, options: WithDatabaseOptions = {}): Promise<T> {
  const config = loadConfig();
  const database = await openMigrated(config, {
    handOver: !options.service,
    onHandOver: (holder) => process.stderr.write(`ciyuan: handing the work to the running ciyuan (pid ${holder.pid}) on ${config.dataDir}\n`),
  });
  try {
    if (options.service) await database.lend?.();
    return await fn(database, config);
  } finally {
    await database.close();
  }
}
