/**
 * `ciyuan start` (what `npm start` runs): migrate, load the bundled sample into an empty
 * database, compute the final fixings of the last 60 days that are missing, then run the
 * schedule (fixings; each collector source on its `every`) and serve until a signal.
 */
import { DateTime } from "luxon";
import { backfill, definitionAt, finalFixingTime, indexCodes } from "../engine/index.ts";
import { pino } from "pino";
import { loadSampleOnce } from "../sample/index.ts";
import { scheduleSources, startSchedule } from "../schedule/index.ts";
import { loadSourcesConfig } from "../sources/config.ts";
import type { Db } from "../db/index.ts";
import { progressPrinter } from "./backfill.ts";
import { loadSigner } from "../signing/index.ts";
import { withDatabase } from "./context.ts";
import { serveUntilSignal } from "./serve.ts";

const BACKFILL_DAYS = 60;

/** The last BACKFILL_DAYS calendar days whose final fixing time has passed. */
async function backfillRange(db: Db, code: string, now: string): Promise<{ from: string; to: string }> {
  const def = await definitionAt(db, code, now);
  let to = DateTime.fromISO(now, { zone: def.fixingTz });
  if (finalFixingTime(def, to.toISODate()!) > now) to = to.minus({ days: 1 });
  return { from: to.minus({ days: BACKFILL_DAYS - 1 }).toISODate()!, to: to.toISODate()! };
}

/** `ciyuan start`: sample if empty, 60 days of final fixings, the schedule and the HTTP service. */
export async function start(opts: { port?: number }): Promise<void> {
  await withDatabase(async (database, config) => {
    const { db } = database;
    const signer = loadSigner(config);
    // A bad sources file stops the start here, before anything runs.
    const sources = loadSourcesConfig(process.env.CIYUAN_SOURCES);
    const now = new Date().toISOString();
    const sample = await loadSampleOnce(db, { now, days: BACKFILL_DAYS });
    if (sample.loaded) {
      process.stderr.write(
        `ciyuan: sample loaded: ${sample.sheets} price sheets, ${sample.fxRates} FX rates, ${sample.usageRecords} synthetic usage records\n`,
      );
    }
    for (const code of await indexCodes(db)) {
      const range = await backfillRange(db, code, now);
      const r = await backfill(db, { index: code, ...range, signer, onProgress: progressPrinter(code) });
      process.stderr.write(`ciyuan: ${code}: ${r.computed.length} final fixings computed, ${r.skipped} already there\n`);
    }
    const where = database.engine === "pglite" ? database.location : "DATABASE_URL";
    // JSON log lines on stderr, one per collection and scheduled fixing.
    const log = pino({ level: config.logLevel }, pino.destination(2));
    const schedule = startSchedule({ db, signer, log });
    const collectors = scheduleSources(db, sources.sources, log);
    try {
      await serveUntilSignal(database, config, opts.port ?? config.port, ` (${database.engine} at ${where})`);
    } finally {
      await collectors.stop();
      await schedule.stop();
    }
  });
}
