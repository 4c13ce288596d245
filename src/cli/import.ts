/**
 * `ciyuan import prices|usage|fx FILE...`: one stderr line per rejected unit, one summary
 * line per file; exit 1 when anything was rejected or a file failed. A failing file does
 * not stop the others.
 */
import type { Command } from "commander";
import { CiyuanError } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { UnreadableFile, importFxFile, importPriceFile, importUsageFile, type ImportOutcome } from "../normalise/index.ts";
import { EXIT, ExitCode, withDatabase } from "./context.ts";

type Kind = { name: string; noun: string; description: string; run: (db: Db, path: string) => Promise<ImportOutcome> };

const KINDS: Kind[] = [
  { name: "prices", noun: "sheet", description: "load price sheets (JSON or CSV)", run: importPriceFile },
  { name: "usage", noun: "record", description: "load usage figures (CSV or JSON)", run: importUsageFile },
  { name: "fx", noun: "rate", description: "load FX rates (CSV, JSON or ECB XML)", run: importFxFile },
];

export function register(program: Command): void {
  const command = program.command("import").description("load input files");
  for (const kind of KINDS) {
    command
      .command(kind.name)
      .description(kind.description)
      .argument("<files...>")
      .action(async (files: string[]) => {
        const ok = await withDatabase(({ db }) => importFiles(db, kind, files));
        if (!ok) throw new ExitCode(EXIT.failed);
      });
  }
}

/** Imports each file in turn; true when every unit of every file was accepted. */
async function importFiles(db: Db, kind: Kind, files: string[]): Promise<boolean> {
  let ok = true;
  for (const file of files) {
    try {
      const outcome = await kind.run(db, file);
      for (const r of outcome.rejected) say(r.message);
      say(summary(kind, outcome));
      if (outcome.rejected.length) ok = false;
    } catch (err) {
      if (!(err instanceof CiyuanError)) throw err;
      ok = false;
      say(err.message);
      // A file that could not be read gets its one line; a rejected one also its summary.
      if (!(err instanceof UnreadableFile)) say(`${file}: rejected whole, nothing stored`);
    }
  }
  return ok;
}

function summary(kind: Kind, o: ImportOutcome): string {
  const parts = [`${o.stored} ${kind.noun}${o.stored === 1 ? "" : "s"} stored`, `${o.unchanged} unchanged`];
  if (kind.name === "prices") parts.push(`${o.rejected.length} quarantined`);
  return `${o.location}: ${parts.join(", ")}`;
}

function say(line: string): void {
  process.stderr.write(line + "\n");
}
