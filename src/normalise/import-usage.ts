/**
 * `importUsage`: a usage file is accepted or rejected whole. It is streamed into a staging
 * table inside one transaction; any bad record throws an InputError and nothing is kept.
 */
import { pipeline } from "node:stream";
import type { Readable } from "node:stream";
import { InputError } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { formatByName, sniffUsageFormat, usageCsvUnits, usageJsonUnits } from "../sources/index.ts";
import { openInputStream, type ImportOutcome } from "./outcome.ts";
import { HashTap, lockInputs, recordPayload } from "./payload.ts";
import { USAGE_BATCH, conflictingRepeat, createUsageStaging, mergeUsage, stageUsage } from "./store-usage.ts";
import { validateUsage, type UsageRecord } from "./usage.ts";

export type ImportUsageInput = { location: string; stream: NodeJS.ReadableStream; format?: "csv" | "json"; source?: string };

export async function importUsage(db: Db, input: ImportUsageInput): Promise<ImportOutcome> {
  const { location } = input;
  const sniffed = input.format ? { format: input.format, stream: input.stream as Readable } : await sniffUsageFormat(input.stream);
  const { format } = sniffed;
  const tap = new HashTap();
  pipeline(sniffed.stream, tap, () => {});
  const where = (seq: number) => (format === "csv" ? { line: seq, path: "" } : { line: undefined, path: `records[${seq - 1}]` });

  return db.transaction(async (tx) => {
    await createUsageStaging(tx);
    let batch: UsageRecord[] = [];
    for await (const unit of format === "csv" ? usageCsvUnits(location, tap) : usageJsonUnits(location, tap)) {
      batch.push(validateUsage(location, unit, format));
      if (batch.length >= USAGE_BATCH) {
        await stageUsage(tx, batch);
        batch = [];
      }
    }
    await stageUsage(tx, batch);

    const repeat = await conflictingRepeat(tx);
    if (repeat) {
      const at = where(repeat.seq);
      const first = where(repeat.firstSeq);
      const earlier = format === "csv" ? `line ${first.line}` : first.path;
      throw new InputError(location, at.line, at.path || "record", `same provider, model and period as ${earlier} but different token counts`);
    }
    await lockInputs(tx, "usage");
    const payloadId = await recordPayload(tx, {
      kind: "usage",
      source: input.source ?? "file",
      location,
      sha256: tap.digest(),
      bytes: tap.bytes,
      content: null, // usage files can be gigabytes; the sha256 identifies them
    });
    const { keys, stored } = await mergeUsage(tx, payloadId);
    return { location, stored, unchanged: keys - stored, rejected: [] };
  });
}

export async function importUsageFile(db: Db, path: string, opts: { source?: string } = {}): Promise<ImportOutcome> {
  const stream = await openInputStream(path);
  try {
    const named = formatByName(path);
    // Neither .csv nor .json: importUsage tells by the first bytes.
    const format = named === "json" || named === "csv" ? named : undefined;
    return await importUsage(db, { location: path, stream, ...(format ? { format } : {}), ...opts });
  } finally {
    stream.destroy();
  }
}
