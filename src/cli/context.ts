import { loadConfig, type Config } from "../config.ts";
import { openMigrated, type Database } from "../db/index.ts";

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

/** Exit codes: 0 ok, 1 the work failed or rejected input, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Thrown by a command to end with a given exit code after printing its own lines. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
