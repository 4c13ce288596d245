import type { Command } from "commander";
import { withDatabase } from "./context.ts";

export function register(program: Command): void {
  program
    .command("migrate")
    .description("apply database migrations (every command also does this on open)")
    .action(async () => {
      await withDatabase(async (database) => {
        process.stderr.write(`migrated ${database.engine} database\n`);
      });
    });
}
