/**
 * The command-line grammar: each command with its description, options and their parsers.
 * An action imports its command's module only when that command runs, so `--help`, a wrong
 * command line or `ciyuan show` load only what they use (no HTTP service for `show`, no
 * database driver for `--help`). Keep this file's imports light: commander, ./args.ts and
 * types only (test/cli/startup.test.ts checks it).
 */
import type { Command } from "commander";
import { collectRepeated, parseDate, parseFixingTime, parseIndexCode, parseInstant, parsePort, parseReason, parseRevision } from "./args.ts";
import type { ImportKind } from "./import.ts";

const IMPORT_KINDS: { name: ImportKind; description: string }[] = [
  { name: "prices", description: "load price sheets (JSON or CSV)" },
  { name: "usage", description: "load usage figures (CSV or JSON)" },
  { name: "fx", description: "load FX rates (CSV, JSON or ECB XML)" },
];

export function registerCommands(program: Command): void {
  program
    .command("migrate")
    .description("apply database migrations (every command also does this on open)")
    .action(async () => (await import("./migrate.ts")).migrate());

  const imports = program.command("import").description("load input files");
  for (const kind of IMPORT_KINDS) {
    imports
      .command(kind.name)
      .description(kind.description)
      .argument("<files...>")
      .action(async (files: string[]) => (await import("./import.ts")).importFiles(kind.name, files));
  }

  program
    .command("fix")
    .description("compute a final fixing at that moment (a new revision if one exists) and print it as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time, ISO 8601 with offset, or the date alone for its final", parseFixingTime)
    .option("--reason <text>", "why, when this recomputes an existing fixing")
    .action(async (opts: { index: string; at: string; reason?: string }) => (await import("./fix.ts")).fix(opts));

  program
    .command("backfill")
    .description("final fixings for each day in the range at the index's fixing time, oldest first")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--from <date>", "first day, YYYY-MM-DD", parseDate)
    .requiredOption("--to <date>", "last day, YYYY-MM-DD", parseDate)
    .action(async (opts: { index: string; from: string; to: string }) => (await import("./backfill.ts")).backfillDays(opts));

  program
    .command("show")
    .description("print the latest final fixing (or the one at --at) as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .option("--at <iso>", "fixing time, ISO 8601 with offset, or the date alone for its final", parseFixingTime)
    .option("--indicative", "the indicative fixing rather than the final one")
    .action(async (opts: { index: string; at?: string; indicative?: boolean }) => (await import("./show.ts")).show(opts));

  program
    .command("verify")
    .description(
      "recompute a stored final fixing from the inputs recorded for it; exit 0 only when its inputs hash, numbers and signature all match",
    )
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time, ISO 8601 with offset, or the date alone for its final", parseFixingTime)
    .option("--revision <n>", "that revision (default: the latest)", parseRevision)
    .action(async (opts: { index: string; at: string; revision?: number }) => (await import("./verify.ts")).verify(opts));

  program
    .command("hedge")
    .description("the hedge desk: hedge ratio of a monthly bill (CSV month,cost_cny,tokens) on the index's settlement prices, as JSON")
    .argument("<file>", "CSV bill: header month,cost_cny,tokens (tokens optional), one row per month, oldest first")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .action(async (file: string, opts: { index: string }) => (await import("./hedge.ts")).hedgeFile({ file, index: opts.index }));

  const prices = program.command("prices").description("held prices (moves of more than 80 %) and their release");
  prices
    .command("held")
    .description("list prices held at their last accepted value (now, or at --at)")
    .option("--at <iso>", "as of this moment", parseInstant)
    .action(async (opts: { at?: string }) => (await import("./prices.ts")).listHeld(opts));
  prices
    .command("approve")
    .description("release a held price into the index for fixings from now on")
    .requiredOption("--provider <p>", "provider")
    .requiredOption("--model <m>", "model")
    .requiredOption("--as-of <iso>", "as_of of the sheet whose price is held", parseInstant)
    .action(async (opts: { provider: string; model: string; asOf: string }) => (await import("./prices.ts")).approve(opts));

  const contributors = program.command("contributors").description("who may submit usage and prices over HTTP (POST /v1/contributions/...)");
  contributors
    .command("add")
    .description("add a contributor; prints its token once, alone on stdout (only its SHA-256 is kept)")
    .argument("<name>", "the contributor's name: letters, digits, '.', '_' or '-'")
    .requiredOption("--provider <p>", "a provider whose usage and prices it may submit (repeat for several)", collectRepeated)
    .action(async (name: string, opts: { provider: string[] }) => (await import("./contributors.ts")).add({ name, providers: opts.provider }));
  contributors
    .command("list")
    .description("list contributors, oldest first: name, providers, created, revoked (tab-separated, one a line)")
    .action(async () => (await import("./contributors.ts")).list());
  contributors
    .command("revoke")
    .description("revoke a contributor's token from now on (the contributor stays in the audit trail)")
    .argument("<name>", "the contributor's name")
    .action(async (name: string) => (await import("./contributors.ts")).revoke({ name }));

  program
    .command("serve")
    .description("serve the HTTP API alone (PORT, or --port)")
    .option("--port <n>", "port to listen on (default: PORT, else 3000)", parsePort)
    .action(async (opts: { port?: number }) => (await import("./serve.ts")).serve(opts));

  program
    .command("start")
    .description("migrate, load the sample into an empty embedded database, backfill the last 60 days, serve HTTP")
    .option("--port <n>", "port to listen on (default: PORT, else 3000)", parsePort)
    .option("--sample", "load the synthetic sample even on a Postgres server (DATABASE_URL)")
    .option("--no-sample", "never load the synthetic sample")
    .action(async (opts: { port?: number; sample?: boolean }) => (await import("./start.ts")).start(opts));

  program
    .command("collect")
    .description("fetch and import every configured source once (CIYUAN_SOURCES, or the bundled list)")
    .option("--source <name>", "only this source")
    .action(async (opts: { source?: string }) => (await import("./collect.ts")).collect(opts));

  program
    .command("restate")
    .description("recompute a published final fixing as revision n+1 with a reason, and print it as JSON")
    .requiredOption("--index <code>", "index code, e.g. CTPI", parseIndexCode)
    .requiredOption("--at <iso>", "fixing time of the published final fixing, ISO 8601 with offset, or the date alone for its final", parseFixingTime)
    .requiredOption("--reason <text>", "why it is restated (late data, corrected input, operator action)", parseReason)
    .action(async (opts: { index: string; at: string; reason: string }) => (await import("./restate.ts")).restate(opts));
}
