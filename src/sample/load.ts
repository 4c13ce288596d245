/**
 * Loads the bundled sample into an empty database once: the real price sheets and FX,
 * and SYNTHETIC usage generated for the days before `now`. A marker in `meta` makes a
 * second start skip it; the imports themselves are idempotent too, so a start that
 * crashed half-way simply loads the rest next time.
 */
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { importFxFile, importPriceFile, importUsage } from "../normalise/index.ts";
import { samplePriceFiles, sampleFxFiles } from "./files.ts";
import { sampleModels } from "./models.ts";
import { sampleUsageCsv } from "./usage.ts";

const MARKER = "sample_loaded_at";

export type SampleLoad = { loaded: boolean; sheets: number; fxRates: number; usageRecords: number };

/**
 * Days of usage generated: the backfill's days plus one usage window before the first.
 * `onlyIfEmpty`: nothing is loaded into a database that holds any input already (a sample
 * mixed into real data would label every fixing `sample`). Everything the sample brings,
 * its real price sheets and FX rates too, is stored with origin `sample`.
 */
export async function loadSampleOnce(db: Db, opts: { now: string; days: number; onlyIfEmpty?: boolean }): Promise<SampleLoad> {
  const [marker] = await rows<{ value: string }>(db, sql`SELECT value FROM meta WHERE key = ${MARKER}`);
  if (marker) return { loaded: false, sheets: 0, fxRates: 0, usageRecords: 0 };
  if (opts.onlyIfEmpty) {
    const [used] = await rows<{ any: boolean }>(db, sql`SELECT EXISTS (SELECT 1 FROM input_batches WHERE kind <> 'migration') AS any`);
    if (used!.any) return { loaded: false, sheets: 0, fxRates: 0, usageRecords: 0 };
  }
  let sheets = 0;
  let fxRates = 0;
  for (const file of samplePriceFiles) sheets += (await importPriceFile(db, file, { source: "sample" })).stored;
  for (const file of sampleFxFiles) fxRates += (await importFxFile(db, file, { source: "sample" })).stored;
  const csv = sampleUsageCsv({ end: opts.now, days: opts.days + 8, models: sampleModels() });
  const usage = await importUsage(db, { location: "sample-usage.csv (synthetic)", stream: Readable.from([csv]), format: "csv", source: "sample" });
  await db.execute(sql`INSERT INTO meta (key, value) VALUES (${MARKER}, ${opts.now}) ON CONFLICT (key) DO NOTHING`);
  return { loaded: true, sheets, fxRates, usageRecords: usage.stored };
}
