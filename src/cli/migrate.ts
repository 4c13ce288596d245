import { withDatabase } from "./context.ts";

/** `ciyuan migrate`: opening the database migrates it. */
export async function migrate(): Promise<void> {
  await withDatabase(async (database) => {
    process.stderr.write(`migrated ${database.engine} database\n`);
  });
}
