/**
 * `ciyuan start` (what `npm start` runs): migrate, load the bundled sample into an empty
 * database, compute the final fixings of the last CIYUAN_START_DAYS (60) days that are missing, then run the
 * schedule (fixings; each collector source on its `every`) and serve until a signal.
 */
import { DateTime } from "luxon";
import { backfill, definitionAt, finalFixingTime, indexCodes, type BackfillProgress } from "../engine/index.ts";
import { loadSampleOnce } from "../sample/index.ts";
import { scheduleSources, startSchedule } from "../schedule/index.ts";
import { loadSourcesConfig } from "../sources/config.ts";
import type { Db } from "../db/index.ts";
import { createLog, type Logger } from "../log.ts";
import { loadSigner } from "../signing/index.ts";
import { withDatabase } from "./context.ts";
import { serveUntilSignal } from "./serve.ts";
import { serviceClock } from "../config.ts";

/** The last `days` calendar days whose final fixing time has passed. */
async function backfillRange(db: Db, code: string, now: string, days: number): Promise<{ from: string; to: string }> {
  const def = await definitionAt(db, code, now);
  let to = DateTime.fromISO(now, { zone: def.fixingTz });
  if (finalFixingTime(def, to.toISODate()!) > now) to = to.minus({ days: 1 });
  return { from: to.minus({ days: days - 1 }).toISODate()!, to: to.toISODate()! };
}

/** `ciyuan start`: sample if empty, CIYUAN_START_DAYS of final fixings, the schedule and the HTTP service. */
export async function start(opts: { port?: number; sample?: boolean }): Promise<void> {
  await withDatabase(async (database, config) => {
    const { db } = database;
    const signer = loadSigner(config);
    // A bad sources file stops the start here, before anything runs.
    const sources = loadSourcesConfig(process.env.CIYUAN_SOURCES);
    // One log for everything the service says (log.ts): JSON lines, pretty on a terminal.
    const log = await createLog({ level: config.logLevel, format: config.logFormat });
    const clock = serviceClock(config);
    const now = clock().toISOString();
    // The sample (section 4 of operations-and-users.md): by default only into an empty
    // embedded database; --no-sample never, --sample even on a server or a used database.
    const policy = opts.sample === false ? "never" : opts.sample === true ? "asked" : config.databaseUrl ? "never" : "if-empty";
    const sample = policy === "never" ? null : await loadSampleOnce(db, { now, days: config.startDays, onlyIfEmpty: policy === "if-empty" });
    if (sample?.loaded) {
      log.info({ sheets: sample.sheets, fx_rates: sample.fxRates, usage_records: sample.usageRecords }, "sample loaded");
    }
    for (const code of await indexCodes(db)) {
      const range = await backfillRange(db, code, now, config.startDays);
      const r = await backfill(db, { index: code, ...range, signer, now: clock(), onProgress: progressLog(log, code) });
      log.info({ index: code, computed: r.computed.length, skipped: r.skipped }, `${code}: ${r.computed.length} final fixings computed, ${r.skipped} already there`);
    }
    const schedule = startSchedule({ db, signer, log, now: clock });
    const collectors = scheduleSources(db, sources.sources, log);
    try {
      await serveUntilSignal(database, config, opts.port ?? config.port, { log, sources: sources.sources });
    } finally {
      await collectors.stop();
      await schedule.stop();
    }
  }, { service: true });
}

/** Backfill progress as log lines: at most one every 2 s, and the last. */
function progressLog(log: Logger, index: string): (p: BackfillProgress) => void {
  const started = Date.now();
  let last = started;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 2000) return;
    last = now;
    const rate = p.done / Math.max((now - started) / 1000, 0.001);
    log.info({ index, done: p.done, total: p.total, fixing_time: p.fixingTime, per_second: Number(rate.toFixed(1)) }, `${index}: backfill ${p.done}/${p.total}`);
  };
}
