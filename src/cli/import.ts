/**
 * `ciyuan import prices|usage|fx FILE...`: one stderr line per rejected unit, one summary
 * line per file; exit 1 when anything was rejected or a file failed. A failing file does
 * not stop the others.
 */
import { CiyuanError } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { UnreadableFile, importFxFile, importPriceFile, importUsageFile, type ImportOutcome } from "../normalise/index.ts";
import { EXIT, ExitCode, withDatabase } from "./context.ts";

export type ImportKind = "prices" | "usage" | "fx";

type Kind = { name: ImportKind; noun: string; run: (db: Db, path: string) => Promise<ImportOutcome> };

const KINDS: Record<ImportKind, Kind> = {
  prices: { name: "prices", noun: "sheet", run: importPriceFile },
  usage: { name: "usage", noun: "record", run: importUsageFile },
  fx: { name: "fx", noun: "rate", run: importFxFile },
};

/** Imports each file in turn; exit 1 unless every unit of every file was accepted. */
export async function importFiles(kind: ImportKind, files: string[]): Promise<void> {
  const ok = await withDatabase(({ db }) => importEach(db, KINDS[kind], files));
  if (!ok) throw new ExitCode(EXIT.failed);
}

/** Imports each file in turn; true when every unit of every file was accepted. */
async function importEach(db: Db, kind: Kind, files: string[]): Promise<boolean> {
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
