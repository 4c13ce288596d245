/**
 * Runs the malformed-input drill's files (drill-inputs-gen.ts) through the importers, as
 * `ciyuan import` reads them (a file on disk, by path), and judges each against issue 11:
 * the import either succeeds or throws a CiyuanError whose one-line message starts with
 * the file's location (as does every quarantined sheet's); a file that throws leaves every
 * input table as it was; a file that succeeds adds exactly what its outcome reports.
 *
 * Shared by scripts/drill-inputs.ts and test/normalise/drill-inputs.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../src/db/index.ts";
import { CiyuanError } from "../src/errors.ts";
import { importFxFile, importPriceFile, importUsageFile, type ImportOutcome } from "../src/normalise/index.ts";
import { drillFiles, type DrillFile, type InputKind } from "./drill-inputs-gen.ts";

const TABLES = ["payloads", "input_batches", "price_sheets", "sheet_models", "quarantine", "listing_states", "usage_records", "fx_rates"] as const;
type Table = (typeof TABLES)[number];
type Counts = Record<Table, number>;

/** Every input table's row count, in one statement (one snapshot). */
async function counts(db: Db): Promise<Counts> {
  const select = sql.join(
    TABLES.map((t) => sql`(select count(*) from ${sql.identifier(t)}) as ${sql.identifier(t)}`),
    sql`, `,
  );
  const [r] = await rows<Record<Table, string>>(db, sql`select ${select}`);
  return Object.fromEntries(TABLES.map((t) => [t, Number(r![t])])) as Counts;
}

const IMPORT: Record<InputKind, (db: Db, file: string) => Promise<ImportOutcome>> = {
  prices: (db, file) => importPriceFile(db, file),
  usage: (db, file) => importUsageFile(db, file),
  fx: (db, file) => importFxFile(db, file),
};

/** What became of one file. `problem` set: the drill failed on it. */
export type FileResult = {
  status: "accepted" | "rejected";
  /** The rejection's reason with the file, line, field and values taken out. */
  reason: string;
  /** Prices: some sheets stored or unchanged, others quarantined. */
  partlyAccepted: boolean;
  problem: { kind: "crash" | "partial write" | "unnamed"; detail: string } | null;
  ms: number;
};

/**
 * The reason of a message that names `location`: what is left once the location, its line,
 * a sheet label and field paths are taken off, with quoted values and numbers blanked.
 */
export function reasonClass(message: string, location: string): string {
  let rest = message.startsWith(location) ? message.slice(location.length) : message;
  rest = rest.replace(/^:\d+/, "").replace(/^: /, "");
  const parts = rest.split(": ");
  const isField = (p: string) => /^[A-Za-z_][\w]*(\[\d+\])*(\.[A-Za-z_]\w*(\[\d+\])*)*$/.test(p) || /^(sheet|rates|records|models)\b/.test(p);
  while (parts.length > 1 && isField(parts[0]!)) parts.shift();
  return parts[0]!
    .replace(/^(unknown \w+) .*?( \(one of|$)/, "$1 …$2")
    .replace(/^[A-Z]{3} twice/, "… twice")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/"…"(, "…")+/g, '"…", …')
    .replace(/'[^']*'/g, "'…'")
    .replace(/(?<![A-Za-z]-)\b\d+(\.\d+)?/g, "N")
    .slice(0, 60);
}

const oneLineNaming = (message: string, location: string) => message.startsWith(location) && !/[\r\n]/.test(message);

/** Imports one file (already on disk at `file`) and judges what happened. */
export async function drillFile(db: Db, kind: InputKind, file: string): Promise<FileResult> {
  const before = await counts(db);
  const started = performance.now();
  let outcome: ImportOutcome | null = null;
  let error: unknown = null;
  try {
    outcome = await IMPORT[kind](db, file);
  } catch (err) {
    error = err;
  }
  const ms = performance.now() - started;
  const after = await counts(db);
  const delta = Object.fromEntries(TABLES.map((t) => [t, after[t] - before[t]])) as Counts;
  const changed = TABLES.filter((t) => delta[t] !== 0).map((t) => `${t} ${delta[t] > 0 ? "+" : ""}${delta[t]}`);
  const result = (status: FileResult["status"], reason: string, partlyAccepted = false): FileResult => ({ status, reason, partlyAccepted, problem: null, ms });

  if (error !== null) {
    const message = error instanceof Error ? error.message : String(error);
    const r = result("rejected", reasonClass(message, file));
    if (!(error instanceof CiyuanError)) r.problem = { kind: "crash", detail: `${(error as Error)?.name ?? typeof error}: ${message.split("\n")[0]}` };
    else if (changed.length > 0) r.problem = { kind: "partial write", detail: `rejected (${message}) but ${changed.join(", ")}` };
    else if (!oneLineNaming(message, file)) r.problem = { kind: "unnamed", detail: JSON.stringify(message.slice(0, 300)) };
    return r;
  }

  const o = outcome!;
  const r =
    o.rejected.length === 0
      ? result("accepted", "")
      : result("rejected", reasonClass(o.rejected[0]!.message, file), o.stored + o.unchanged > 0);
  const unnamed = o.rejected.find((x) => !oneLineNaming(x.message, file));
  if (unnamed) r.problem = { kind: "unnamed", detail: JSON.stringify(unnamed.message.slice(0, 300)) };
  const expect = (ok: boolean, why: string) => {
    if (!ok && !r.problem) r.problem = { kind: "partial write", detail: `${why}; outcome ${JSON.stringify({ ...o, rejected: o.rejected.length })}, ${changed.join(", ") || "nothing changed"}` };
  };
  const none = (...tables: Table[]) => tables.every((t) => delta[t] === 0);
  expect(delta.payloads === 0 || delta.payloads === 1, "more than one payload for one file");
  if (kind === "prices") {
    // Each stored sheet is one row and one batch; each quarantined one at most one row (the
    // same raw sheet and reason is kept once).
    expect(delta.price_sheets === o.stored, "price_sheets do not match the sheets reported stored");
    expect(delta.input_batches === o.stored, "input_batches do not match the sheets reported stored");
    expect(delta.quarantine >= 0 && delta.quarantine <= o.rejected.length, "quarantine does not match the sheets reported quarantined");
    expect(o.stored > 0 || none("sheet_models", "listing_states"), "sheet rows without a stored sheet");
    expect(none("usage_records", "fx_rates"), "a price file wrote usage or FX");
  } else {
    const table = kind === "usage" ? "usage_records" : "fx_rates";
    expect(delta[table] === o.stored, `${table} do not match the rows reported stored`);
    expect(delta.input_batches <= 1, "more than one batch for one file");
    expect(none("price_sheets", "sheet_models", "quarantine", "listing_states", kind === "usage" ? "fx_rates" : "usage_records"), `a ${kind} file wrote other inputs`);
  }
  return r;
}

export type DrillSummary = {
  files: number;
  byKind: Record<InputKind, number>;
  accepted: number;
  rejected: number;
  /** Price files with some sheets taken and others quarantined (counted as rejected). */
  partlyAccepted: number;
  reasons: Map<string, number>;
  crashes: number;
  partialWrites: number;
  unnamed: number;
  /** The first problems, each with the file kept for replay. */
  problems: string[];
  slowest: { ms: number; file: string };
  seconds: number;
};

/**
 * Generates `count` files with `seed` and imports each from `dir` (created if needed). The
 * files of problems are kept there; the others are removed once judged.
 */
export async function runInputDrill(
  db: Db,
  opts: { count: number; seed: number; dir: string; onProgress?: (done: number, summary: DrillSummary) => void },
): Promise<DrillSummary> {
  const started = performance.now();
  fs.mkdirSync(opts.dir, { recursive: true });
  const files: DrillFile[] = drillFiles(opts.count, opts.seed);
  const s: DrillSummary = {
    files: 0,
    byKind: { prices: 0, usage: 0, fx: 0 },
    accepted: 0,
    rejected: 0,
    partlyAccepted: 0,
    reasons: new Map(),
    crashes: 0,
    partialWrites: 0,
    unnamed: 0,
    problems: [],
    slowest: { ms: 0, file: "" },
    seconds: 0,
  };
  for (const [i, f] of files.entries()) {
    const file = path.join(opts.dir, `${String(i).padStart(5, "0")}-${f.kind}-${f.seed}${f.ext}`);
    fs.writeFileSync(file, f.bytes);
    const r = await drillFile(db, f.kind, file);
    s.files++;
    s.byKind[f.kind]++;
    if (r.status === "accepted") s.accepted++;
    else {
      s.rejected++;
      s.reasons.set(r.reason, (s.reasons.get(r.reason) ?? 0) + 1);
    }
    if (r.partlyAccepted) s.partlyAccepted++;
    if (r.ms > s.slowest.ms) s.slowest = { ms: r.ms, file: `${path.basename(file)} (${f.how.join(", ") || "unchanged"})` };
    if (r.problem) {
      if (r.problem.kind === "crash") s.crashes++;
      else if (r.problem.kind === "partial write") s.partialWrites++;
      else s.unnamed++;
      if (s.problems.length < 20) s.problems.push(`${r.problem.kind}: ${file} [${f.how.join(", ") || "unchanged"}]: ${r.problem.detail}`);
    } else {
      fs.rmSync(file);
    }
    opts.onProgress?.(i + 1, s);
  }
  s.seconds = (performance.now() - started) / 1000;
  return s;
}

/** The summary as printed by the script. */
export function formatSummary(s: DrillSummary): string[] {
  const out = [
    `files            ${s.files} (prices ${s.byKind.prices}, usage ${s.byKind.usage}, fx ${s.byKind.fx})`,
    `accepted         ${s.accepted}`,
    `rejected         ${s.rejected}${s.partlyAccepted ? ` (of which ${s.partlyAccepted} price files with their good sheets stored)` : ""}, by reason:`,
    ...[...s.reasons.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, n]) => `  ${String(n).padStart(6)}  ${reason}`),
    `crashes          ${s.crashes}`,
    `partial writes   ${s.partialWrites}`,
    `errors not naming the file (or not one line)  ${s.unnamed}`,
    `slowest file     ${s.slowest.ms.toFixed(0)} ms: ${s.slowest.file}`,
    `seconds          ${s.seconds.toFixed(1)}`,
  ];
  if (s.problems.length > 0) out.push("first problems:", ...s.problems.map((p) => `  ${p}`));
  return out;
}
