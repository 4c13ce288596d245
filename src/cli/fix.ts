import type { Command } from "commander";
import { computeFixing } from "../engine/index.ts";
import { loadSigner } from "../signing/index.ts";
import { printFixing } from "./print.ts";
import { parseIndexCode, parseInstant } from "./args.ts";
import { withDatabase } from "./context.ts";

export function register(program: Command): void {
  program
    .command("fix")
    .description("compute a final fixing at that moment (a new revision if one exists) and print it as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time, ISO 8601 with offset", parseInstant)
    .option("--reason <text>", "why, when this recomputes an existing fixing")
    .action(async (opts: { index: string; at: string; reason?: string }) => {
      await withDatabase(async ({ db }, config) => {
        const signer = loadSigner(config);
        const f = await computeFixing(db, { index: opts.index, at: opts.at, kind: "final", reason: opts.reason, signer });
        await printFixing(db, { index: f.index, fixingTime: f.fixingTime, kind: "final", revision: f.revision });
      });
    });
}
