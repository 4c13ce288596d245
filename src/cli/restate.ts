import { InvalidArgumentError, type Command } from "commander";
import { restateFixing } from "../engine/index.ts";
import { loadSigner } from "../signing/index.ts";
import { parseIndexCode, parseInstant } from "./args.ts";
import { withDatabase } from "./context.ts";
import { printFixing } from "./print.ts";

function parseReason(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("a restatement needs a reason");
  return value;
}

export function register(program: Command): void {
  program
    .command("restate")
    .description("recompute a published final fixing as revision n+1 with a reason, and print it as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time of the published final fixing, ISO 8601 with offset", parseInstant)
    .requiredOption("--reason <text>", "why it is restated (late data, corrected input, operator action)", parseReason)
    .action(async (opts: { index: string; at: string; reason: string }) => {
      await withDatabase(async ({ db }, config) => {
        const f = await restateFixing(db, { ...opts, signer: loadSigner(config) });
        await printFixing(db, { index: f.index, fixingTime: f.fixingTime, kind: "final", revision: f.revision });
      });
    });
}
