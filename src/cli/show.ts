import type { Command } from "commander";
import { requireIndex } from "../publish/index.ts";
import { printFixing } from "./print.ts";
import { parseIndexCode, parseInstant } from "./args.ts";
import { withDatabase } from "./context.ts";

export function register(program: Command): void {
  program
    .command("show")
    .description("print the latest final fixing (or the one at --at) as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .option("--at <iso>", "fixing time, ISO 8601 with offset", parseInstant)
    .option("--indicative", "the indicative fixing rather than the final one")
    .action(async (opts: { index: string; at?: string; indicative?: boolean }) => {
      await withDatabase(async ({ db }) => {
        await requireIndex(db, opts.index);
        await printFixing(db, { index: opts.index, fixingTime: opts.at, kind: opts.indicative ? "indicative" : "final" });
      });
    });
}
