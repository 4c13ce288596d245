/**
 * `importUsage`: a usage file is accepted or rejected whole. A CSV file that can be read
 * again goes the straight way first (usage-direct.ts: one COPY into usage_records), and
 * takes the careful way below only when that way cannot decide alone. The careful way:
 * inside one transaction the file is streamed by COPY into a staging table (usage-scan.ts checks each cell's syntax on the way;
 * JSON records pass the gates one by one and are written as CSV rows to the same COPY),
 * judged set-based there, and merged; any bad record throws an InputError naming the first
 * one, and nothing is kept.
 */
import { pipeline } from "node:stream";
import { sql } from "drizzle-orm";
import type { Readable } from "node:stream";
import { InputError } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { USAGE_COLUMNS, formatByName, sniffUsageFormat, usageJsonUnits } from "../sources/index.ts";
import { openInputStream, type ImportOutcome } from "./outcome.ts";
import { originOf } from "./batches.ts";
import { HashTap, lockInputs, recordPayload } from "./payload.ts";
import { checkStaged, createUsageStaging, dropUsageStaging, mergeUsage, type StagedCheck } from "./store-usage.ts";
import { copyUsageRows } from "./usage-copy.ts";
import { importUsageCsvDirect } from "./usage-direct.ts";
import { UsageCsvScanner } from "./usage-scan.ts";
import { usageCopyLine, validateUsage, type UsageRecord } from "./usage.ts";

export type ImportUsageInput = {
  location: string;
  stream: NodeJS.ReadableStream;
  format?: "csv" | "json";
  source?: string;
  /** The same bytes again from the start: lets a CSV file go the straight way first. */
  reopen?: (() => Promise<NodeJS.ReadableStream>) | undefined;
  /** A collected body's HTTP status, kept with its payload (the careful way). */
  httpStatus?: number | undefined;
};

/** What staging left: the file's hash and size, or its first bad record found on the way. */
type Staged = { sha256: string; bytes: number; error: InputError | null };

export async function importUsage(db: Db, input: ImportUsageInput): Promise<ImportOutcome> {
  const { location } = input;
  let sniffed = input.format ? { format: input.format, stream: input.stream as Readable } : await sniffUsageFormat(input.stream);
  const { format } = sniffed;
  if (format === "csv" && input.reopen) {
    const done = await importUsageCsvDirect(db, location, sniffed.stream, input.source ?? "file");
    if (done) return done;
    sniffed = { format, stream: (await input.reopen()) as Readable };
  }
  const where = (seq: number) => (format === "csv" ? { line: seq, path: "" } : { line: undefined, path: `records[${seq - 1}]` });

  return db.transaction(async (tx) => {
    await createUsageStaging(tx);
    const staged = format === "csv" ? await stageCsv(tx, location, sniffed.stream) : await stageJson(tx, location, sniffed.stream);
    const check = await checkStaged(tx);
    const bad = firstBadRecord(location, check, staged.error, where);
    if (bad) throw bad;

    await lockInputs(tx, "usage");
    const payloadId = await recordPayload(tx, {
      kind: "usage",
      source: input.source ?? "file",
      location,
      sha256: staged.sha256,
      bytes: staged.bytes,
      content: null, // usage files can be gigabytes; the sha256 identifies them
      httpStatus: input.httpStatus,
    });
    const merged = await mergeUsage(tx, payloadId, originOf(input.source ?? "file"), check);
    if ("conflict" in merged) {
      const at = where(merged.conflict.seq);
      const first = where(merged.conflict.firstSeq);
      const earlier = format === "csv" ? `line ${first.line}` : first.path;
      throw new InputError(location, at.line, at.path || "record", `same provider, model and period as ${earlier} but different token counts`);
    }
    await dropUsageStaging(tx);
    return { location, stored: merged.stored, unchanged: merged.keys - merged.stored, rejected: [] };
  });
}

/**
 * The first bad record of the file: the one the scan stopped at, unless a staged record
 * before it fails a gate that relates its cells (period_end after period_start first, as
 * the record gates order them).
 */
function firstBadRecord(
  location: string,
  check: StagedCheck,
  scanned: InputError | null,
  where: (seq: number) => { line: number | undefined; path: string },
): InputError | null {
  const candidates: { seq: number; error: () => InputError }[] = [];
  const at = (seq: number, field: string, reason: string) => () => {
    const w = where(seq);
    return new InputError(location, w.line, w.path ? `${w.path}.${field}` : field, reason);
  };
  if (check.badPeriod !== null) candidates.push({ seq: check.badPeriod, error: at(check.badPeriod, "period_end", "not after period_start") });
  if (check.badCached !== null && check.badCached !== check.badPeriod) {
    candidates.push({ seq: check.badCached, error: at(check.badCached, "cached_input_tokens", "greater than input_tokens") });
  }
  candidates.sort((a, b) => a.seq - b.seq);
  // A staged record always comes before the record the scan stopped at.
  return candidates[0]?.error() ?? scanned;
}

/** CSV: the scanner's rows straight into COPY; stops reading at the first bad record. */
async function stageCsv(tx: Db, location: string, stream: Readable): Promise<Staged> {
  const scanner = new UsageCsvScanner(location);
  async function* copyRows(): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      const out = scanner.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
      if (out) yield out;
      if (scanner.error) return;
    }
    const out = scanner.end();
    if (out) yield out;
  }
  const rows = copyRows();
  // The COPY names the header's columns, known once the first rows are out.
  const first = await rows.next();
  if (!first.done) {
    await copyUsageRows(
      tx,
      location,
      scanner.columns!,
      (async function* () {
        yield first.value;
        yield* rows;
      })(),
    );
  }
  stream.destroy();
  return { sha256: scanner.error ? "" : scanner.hash.digest("hex"), bytes: scanner.bytes, error: scanner.error };
}

/** JSON: each record through the gates, then as a CSV row into the same COPY. */
async function stageJson(tx: Db, location: string, stream: Readable): Promise<Staged> {
  const tap = new HashTap();
  pipeline(stream, tap, () => {});
  async function* copyRows(): AsyncGenerator<Buffer> {
    let text = "";
    for await (const unit of usageJsonUnits(location, tap)) {
      text += usageCopyLine(location, validateUsage(location, unit, "json"), USAGE_COLUMNS, "json");
      if (text.length >= 1 << 16) {
        yield Buffer.from(text);
        text = "";
      }
    }
    if (text) yield Buffer.from(text);
  }
  await copyUsageRows(tx, location, USAGE_COLUMNS, copyRows());
  return { sha256: tap.digest(), bytes: tap.bytes, error: null };
}

export type ImportUsageRecordsInput = {
  location: string;
  /** The collector's name: the batch's origin is `collector:<source>` (originOf). */
  source: string;
  /** The body the records were read from, which the payload row identifies. */
  sha256: string;
  bytes: number;
  /** Validated records (validateUsage), at most one per key; `estimated` is stored with each. */
  records: readonly (UsageRecord & { estimated: boolean })[];
  /** A public usage proxy's records: the batch's origin kind is `proxy` (input_batches.proxy). */
  proxy?: boolean;
  /** A collected body's HTTP status, kept with its payload. */
  httpStatus?: number | undefined;
};

/**
 * Records already read and judged elsewhere (a public usage proxy's week, which is not a
 * usage file) through the same staging, checks and merge as a file: accepted whole or not
 * at all, an unchanged record stores nothing, and usage_records.estimated is kept. A
 * record's `seq` is its position in the body (`models[seq - 1]` in a conflict's message).
 */
export async function importUsageRecords(db: Db, input: ImportUsageRecordsInput): Promise<ImportOutcome & { batch?: string }> {
  const { location } = input;
  const columns = [...USAGE_COLUMNS, "estimated"] as const;
  return db.transaction(async (tx) => {
    await createUsageStaging(tx);
    async function* copyRows(): AsyncGenerator<Buffer> {
      for (const r of input.records) {
        // usageCopyLine writes the usage columns and ends the row; the flag is the last cell.
        const row = usageCopyLine(location, r, USAGE_COLUMNS, "json");
        yield Buffer.from(`${row.slice(0, -1)},${r.estimated ? "t" : "f"}\n`);
      }
    }
    await copyUsageRows(tx, location, columns, copyRows());
    const check = await checkStaged(tx);
    const bad = firstBadRecord(location, check, null, (seq) => ({ line: undefined, path: `models[${seq - 1}]` }));
    if (bad) throw bad;

    await lockInputs(tx, "usage");
    const payloadId = await recordPayload(tx, { kind: "usage", source: input.source, location, sha256: input.sha256, bytes: input.bytes, content: null, httpStatus: input.httpStatus });
    const merged = await mergeUsage(tx, payloadId, originOf(input.source), check, { estimated: true, proxy: input.proxy === true });
    if ("conflict" in merged) {
      throw new InputError(location, undefined, `models[${merged.conflict.seq - 1}]`, `same provider, model and period as models[${merged.conflict.firstSeq - 1}] but different token counts`);
    }
    await dropUsageStaging(tx);
    return { location, stored: merged.stored, unchanged: merged.keys - merged.stored, rejected: [], ...(merged.batch ? { batch: merged.batch } : {}) };
  });
}

export async function importUsageFile(db: Db, path: string, opts: { source?: string } = {}): Promise<ImportOutcome> {
  const streams = [await openInputStream(path)];
  const reopen = async () => {
    const again = await openInputStream(path);
    streams.push(again);
    return again;
  };
  try {
    const named = formatByName(path);
    // Neither .csv nor .json: importUsage tells by the first bytes.
    const format = named === "json" || named === "csv" ? named : undefined;
    return await importUsage(db, { location: path, stream: streams[0]!, reopen, ...(format ? { format } : {}), ...opts });
  } finally {
    for (const s of streams) s.destroy();
  }
}
