import { InvalidArgumentError, type Command } from "commander";
import { verifyFixing } from "../engine/index.ts";
import { toJson } from "../publish/index.ts";
import { parseIndexCode, parseInstant } from "./args.ts";
import { EXIT, ExitCode, withDatabase } from "./context.ts";

function parseRevision(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError(`not a revision number: ${JSON.stringify(value)}`);
  return Number(value);
}

export function register(program: Command): void {
  program
    .command("verify")
    .description(
      "recompute a stored final fixing from the inputs recorded for it; exit 0 only when its inputs hash, numbers and signature all match",
    )
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time, ISO 8601 with offset", parseInstant)
    .option("--revision <n>", "that revision (default: the latest)", parseRevision)
    .action(async (opts: { index: string; at: string; revision?: number }) => {
      const result = await withDatabase(({ db }) => verifyFixing(db, { index: opts.index, at: opts.at, revision: opts.revision }));
      for (const c of result.checks) process.stderr.write(`${c.name}: ${c.detail}\n`);
      process.stdout.write(
        `${toJson({
          index: result.index,
          fixing_time: result.fixingTime,
          kind: result.kind,
          revision: result.revision,
          verified: result.ok,
          checks: Object.fromEntries(result.checks.map((c) => [c.name, c.detail])),
        })}\n`,
      );
      if (!result.ok) throw new ExitCode(EXIT.failed);
    });
}
