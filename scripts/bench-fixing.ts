/**
 * How long a fixing takes, measured against the cheapest query over the same data: a
 * plain count(*) of usage_records. The ratios, not the milliseconds, are what carry over
 * from one machine to another. Figures are printed, never asserted.
 *
 *   node --import tsx scripts/bench-fixing.ts [--days 365] [--jit-off]
 *
 * Runs on in-memory PGlite, and also on Postgres when DATABASE_URL or TEST_DATABASE_URL
 * is set: a fresh database is created on that server for the run and dropped after it.
 * --jit-off sets jit = off on that database: the engine's temporary tables carry no
 * statistics, so the planner's cost guesses can be high enough to make Postgres JIT-compile
 * small queries, and the flag shows what that costs.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { DateTime } from "luxon";
import pg from "pg";
import { sql } from "drizzle-orm";
import { migrate, openDatabase, rows, type Database, type Db } from "../src/db/index.ts";
import { backfill, computeFixing, definitionAt, finalFixingTime } from "../src/engine/index.ts";
import { loadSampleOnce } from "../src/sample/index.ts";

// A fixed instant, so every run benches the same sample data.
const NOW = "2026-11-24T00:00:00Z";
const INDEX = "CTPI";

type Figures = {
  engine: string;
  usageRows: string;
  loadMs: number;
  baselineMs: number;
  fixingMs: number;
  backfillMs: number;
  fixings: number;
  peakRssMb: number;
};

/** Highest resident set size seen since the last reset, sampled every 25 ms. */
const rss = (() => {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  setInterval(sample, 25).unref();
  return {
    reset: () => {
      peak = 0;
      sample();
    },
    peakMb: () => {
      sample();
      return peak / 2 ** 20;
    },
  };
})();

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function median(runs: number, warmups: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmups; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await timed(fn));
  ms.sort((a, b) => a - b);
  const mid = Math.floor(ms.length / 2);
  return ms.length % 2 ? ms[mid]! : (ms[mid - 1]! + ms[mid]!) / 2;
}

/** The backfill covers the `days` calendar days ending the day before NOW. */
function backfillRange(days: number): { from: string; to: string } {
  const end = DateTime.fromISO(NOW, { zone: "utc" }).minus({ days: 1 });
  return { from: end.minus({ days: days - 1 }).toISODate()!, to: end.toISODate()! };
}

async function loadSample(db: Db, days: number): Promise<{ ms: number; usageRows: string }> {
  const ms = await timed(() => loadSampleOnce(db, { now: NOW, days }));
  const [count] = await rows<{ n: string }>(db, sql`SELECT count(*) AS n FROM usage_records`);
  return { ms, usageRows: count!.n };
}

async function measureBaseline(db: Db): Promise<number> {
  return median(20, 3, () => rows(db, sql`SELECT count(*) FROM usage_records`));
}

async function measureBackfill(db: Db, days: number): Promise<{ ms: number; fixings: number }> {
  const range = backfillRange(days);
  let fixings = 0;
  const ms = await timed(async () => {
    const result = await backfill(db, {
      index: INDEX,
      ...range,
      onProgress: (p) => {
        if (p.done % 50 === 0) process.stderr.write(`  backfill ${p.done}/${p.total}\n`);
      },
    });
    fixings = result.computed.length;
  });
  return { ms, fixings };
}

/** Recomputes the last backfilled day: each run stores one more revision of it, with the
 * previous day's fixing in place to chain from, as in daily production. */
async function measureOneFixing(db: Db, days: number): Promise<number> {
  const { to } = backfillRange(days);
  const at = finalFixingTime(await definitionAt(db, INDEX, NOW), to);
  return median(5, 0, () => computeFixing(db, { index: INDEX, at, kind: "final", reason: "bench" }));
}

async function bench(database: Database, days: number): Promise<Figures> {
  rss.reset();
  await migrate(database);
  const { db } = database;
  const load = await loadSample(db, days);
  const baselineMs = await measureBaseline(db);
  // Backfill first, into the fresh database, so no day is skipped as already fixed.
  const fill = await measureBackfill(db, days);
  const fixingMs = await measureOneFixing(db, days);
  return {
    engine: database.engine,
    usageRows: load.usageRows,
    loadMs: load.ms,
    baselineMs,
    fixingMs,
    backfillMs: fill.ms,
    fixings: fill.fixings,
    peakRssMb: rss.peakMb(),
  };
}

async function benchPglite(days: number): Promise<Figures> {
  const database = await openDatabase({ dataDir: ":memory:" });
  try {
    return await bench(database, days);
  } finally {
    await database.close();
  }
}

/** A throw-away database on the given server, dropped whatever happens. */
async function benchPostgres(serverUrl: string, days: number, jitOff: boolean): Promise<Figures> {
  const name = `ciyuan_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    if (jitOff) await admin.query(`ALTER DATABASE ${name} SET jit = off`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString() });
    try {
      const figures = await bench(database, days);
      return { ...figures, engine: `postgres (jit ${jitOff ? "off" : "server default"})` };
    } finally {
      await database.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function report(f: Figures): string {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const ratio = (x: number) => `${(x / f.baselineMs).toFixed(1)} x`;
  const perFixing = f.fixings > 0 ? f.backfillMs / f.fixings : Number.NaN;
  const lines: [string, string][] = [
    ["usage rows", f.usageRows],
    ["fixings in backfill", String(f.fixings)],
    ["sample load", ms(f.loadMs)],
    ["baseline count(*) (median of 20)", ms(f.baselineMs)],
    ["one fixing (median of 5)", ms(f.fixingMs)],
    ["backfill total", ms(f.backfillMs)],
    ["backfill per fixing", ms(perFixing)],
    ["one fixing / count(*)", ratio(f.fixingMs)],
    ["backfill / count(*)", ratio(f.backfillMs)],
    ["backfill per fixing / count(*)", ratio(perFixing)],
    ["peak RSS (this process)", `${f.peakRssMb.toFixed(0)} MB`],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  return [`== ${f.engine}`, ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v.padStart(12)}`)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { days: { type: "string", default: "365" }, "jit-off": { type: "boolean", default: false } } });
  const days = Number.parseInt(values.days, 10);
  if (!(days >= 1 && days <= 3650)) throw new Error(`--days: expected 1..3650, got ${values.days}`);
  const serverUrl = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;

  console.log(`bench ${INDEX}: sample at ${NOW}, backfill ${backfillRange(days).from}..${backfillRange(days).to} (${days} days)`);
  // Postgres first: RSS seldom shrinks, so after PGlite's in-process engine the client-only
  // Postgres figure would be hidden under it.
  if (serverUrl) {
    process.stderr.write("postgres...\n");
    console.log(report(await benchPostgres(serverUrl, days, values["jit-off"])));
  }
  process.stderr.write("pglite (in-memory)...\n");
  console.log(report(await benchPglite(days)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
