/**
 * The `ciyuan` command line: thin shells over the modules, one file per command, each
 * imported only when its command runs (the grammar is in commands.ts). Exit 0 on success,
 * 1 when the work failed or input was rejected, 2 for a wrong command line; every failure
 * is one line on stderr.
 */
import { Command, CommanderError } from "commander";
import { CiyuanError } from "../errors.ts";
import { registerCommands } from "./commands.ts";
import { EXIT, ExitCode } from "./exit.ts";

export function buildProgram(): Command {
  const program = new Command("ciyuan")
    .description("Ciyuan: the reference price index for AI inference tokens")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    return exitCodeFor(err);
  }
}

/** Refusals of what was asked (the command line named something wrong): exit 2. */
const USAGE_CODES = new Set<string>(["unknown_index", "bad_request", "off_calendar", "future_fixing"]);

function exitCodeFor(err: unknown): number {
  if (err instanceof ExitCode) return err.code;
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (err.exitCode === 0) return EXIT.ok;
    return EXIT.usage; // commander already printed its one-line message
  }
  if (err instanceof CiyuanError) {
    process.stderr.write(`ciyuan: ${err.message}\n`);
    return USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.failed;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`ciyuan: ${message.split("\n")[0]}\n`);
  return EXIT.failed;
}
