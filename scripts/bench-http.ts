/**
 * How fast the HTTP service answers, measured against a bare hono app on the same
 * adapter returning a constant small JSON body. The ratios, not the requests per second,
 * are what carry over from one machine to another. Figures are printed, never asserted;
 * the one target (latest >= 0.6x the bare app's throughput) is reported as pass or fail.
 *
 *   node --import tsx scripts/bench-http.ts [--connections 10] [--duration 5] [--warmup 2]
 *     [--rounds 3] [--years 5] [--days 3] [--postgres URL]
 *
 * Bare and latest run alternately, `--rounds` times each, and the ratio is the median of
 * the ratios of neighbouring runs, so a machine whose load drifts skews both sides alike.
 *
 * Each server runs in a child process of its own (so the load generator, autocannon in
 * this process, does not share its event loop), which samples its own RSS: the peak during
 * the CSV export is compared with the RSS before it. Our server holds the bundled sample
 * with `--days` real CTPI final fixings computed by the engine (signed) and `--years` of
 * synthetic daily finals before them, inserted in one statement (computing years with the
 * engine takes minutes and the export reads the same rows either way).
 *
 * Runs on in-memory PGlite, and also on Postgres when --postgres URL or DATABASE_URL is
 * given: a fresh database is created on that server for the run and dropped after it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { DateTime } from "luxon";
import pg from "pg";
import { sql } from "drizzle-orm";
import { migrate, openDatabase, rows, type Database } from "../src/db/index.ts";
import { backfill } from "../src/engine/index.ts";
import { startServer } from "../src/publish/index.ts";
import { loadSampleOnce } from "../src/sample/index.ts";
import { generateKeyPem, signerFromPem } from "../src/signing/index.ts";

// A fixed instant, so every run benches the same sample data.
const NOW = "2026-11-24T00:00:00Z";
const INDEX = "CTPI";
const LATEST = `/v1/indices/${INDEX}/latest`;
const CSV = `/v1/indices/${INDEX}/fixings?format=csv`;
const TARGET = 0.6;

type Options = {
  connections: number;
  duration: number;
  warmup: number;
  rounds: number;
  years: number;
  days: number;
  postgres: string | undefined;
};

// ---------------------------------------------------------------- child: the servers

type ToParent = { ready: string; fixings: string } | { rss: number; peak: number };
type ToChild = "reset" | "peak";

/** Highest resident set size seen since the last reset, sampled every 10 ms. */
function rssSampler() {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  setInterval(sample, 10).unref();
  return {
    reset: () => {
      peak = 0;
      sample();
      return peak;
    },
    peak: () => {
      sample();
      return peak;
    },
  };
}

function listenBare(): Promise<string> {
  const app = new Hono();
  // A constant fixing-shaped body of about the size /latest sends, so the ratio measures
  // our work per request, not the bytes on the wire.
  const body = {
    index: "CTPI", fixing_time: "2026-11-23T08:00:00Z", kind: "final", status: "ok", value: 2.441232,
    level: 1000.5, currency: "CNY", unit: "1M tokens", percentiles: { p25: 0.828816, p50: 1.251591, p75: 3.805596 },
    methodology_version: "1", revision: 1, computed_at: "2026-11-24T09:23:59.96Z",
    inputs_sha256: "aab0ca7dbcefc2d79aee5cb1ea8b521e9caa74655068156dc7059e0b265811a1", reason: "backfill",
    constituent_count: 27, provider_count: 10, carried_from: null,
    signature: { kid: "ed25519-575327173f6c1514", alg: "Ed25519", sig: "s2xyp1LPJt-6u9YQPDmLj4QYSXwJnRlHYNbXKDqTuNd_lmXSEC1r76e9vMMPrx_c0ulpRvd8AY7Sdf7srT6NDA" },
  };
  app.get("/", (c) => c.json(body));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
    server.once("listening", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** The bundled sample, `days` real signed finals, and `years` of synthetic finals before them. */
async function seedCiyuan(database: Database, days: number, years: number, signer: ReturnType<typeof signerFromPem>): Promise<string> {
  const { db } = database;
  await migrate(database);
  await loadSampleOnce(db, { now: NOW, days });
  const last = DateTime.fromISO(NOW, { zone: "utc" }).minus({ days: 1 });
  const first = last.minus({ days: days - 1 });
  await backfill(db, { index: INDEX, from: first.toISODate()!, to: last.toISODate()!, reason: "bench", signer });
  const [real] = await rows<{ t: string }>(db, sql`SELECT min(fixing_time)::text AS t FROM fixings WHERE index_code = ${INDEX}`);
  if (!real?.t) throw new Error("the engine computed no fixing");
  await db.execute(sql`
    INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status, value, level,
      p25, p50, p75, currency, constituent_count, provider_count, methodology_version, inputs_sha256, reason, computed_at, data_origin)
    SELECT ${INDEX}, 1, t, 'final', 1, 'ok', 2.5 + (extract(doy FROM t) / 1000), 1000 + extract(doy FROM t),
      1.1, 2.2, 3.3, 'CNY', 12, 6, '1', repeat('ab', 32), 'synthetic (bench)', t + interval '5 seconds', 'sample'
    FROM generate_series(${real.t}::timestamptz - ${`${years} years`}::interval, ${real.t}::timestamptz - interval '1 day', interval '1 day') AS t`);
  const [count] = await rows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM fixings WHERE index_code = ${INDEX} AND kind = 'final'`);
  return count!.n;
}

async function child(target: string, databaseUrl: string | undefined, days: number, years: number): Promise<void> {
  const rss = rssSampler();
  const send = (m: ToParent) => process.send!(m);
  process.on("message", (m: ToChild) => {
    if (m === "reset") send({ rss: rss.reset(), peak: 0 });
    else send({ rss: process.memoryUsage.rss(), peak: rss.peak() });
  });
  process.on("disconnect", () => process.exit(0));
  if (target === "bare") {
    send({ ready: await listenBare(), fixings: "0" });
    return;
  }
  const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: ":memory:" });
  const signer = signerFromPem(generateKeyPem(), "bench");
  const fixings = await seedCiyuan(database, days, years, signer);
  const running = await startServer(database, 0, {
    signer,
    hostname: "127.0.0.1",
    log: (line) => process.stderr.write(`bench server: unexpected: ${line}\n`),
  });
  send({ ready: running.url, fixings });
}

// ---------------------------------------------------------------- parent: the load

type Running = { url: string; fixings: string; ask(m: ToChild): Promise<{ rss: number; peak: number }>; stop(): Promise<void> };

function startChild(target: string, opts: Options, databaseUrl?: string): Promise<Running> {
  // BENCH_CPU_PROF=DIR writes each server's V8 CPU profile there (to see where a request goes).
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [...profile, "--import", "tsx", fileURLToPath(import.meta.url), "--serve", target, "--days", String(opts.days), "--years", String(opts.years)];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`bench server (${target}) exited with ${code} before it was ready`)));
    proc.once("message", (m: ToParent) => {
      if (!("ready" in m)) return reject(new Error("bench server spoke before it was ready"));
      resolve({
        url: m.ready,
        fixings: m.fixings,
        ask: (q) =>
          new Promise((answer) => {
            proc.once("message", (r: ToParent) => answer(r as { rss: number; peak: number }));
            proc.send(q);
          }),
        stop: () =>
          new Promise((done) => {
            proc.removeAllListeners("exit");
            proc.once("exit", () => done());
            proc.kill("SIGTERM");
          }),
      });
    });
  });
}

type Load = { rps: number; p99: number; mbps: number; non2xx: number; errors: number };

async function load(url: string, opts: Options, seconds: number): Promise<Load> {
  const r = await autocannon({ url, connections: opts.connections, duration: seconds });
  // Completed requests over the run (a per-second average says 0 when each request takes seconds).
  return {
    rps: r.requests.total / seconds,
    p99: r.latency.p99,
    mbps: r.throughput.total / seconds / 2 ** 20,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The median run of several (by requests per second), with the errors of all. */
function medianLoad(runs: Load[]): Load {
  const m = median(runs.map((r) => r.rps));
  const pick = runs.reduce((best, r) => (Math.abs(r.rps - m) < Math.abs(best.rps - m) ? r : best));
  return { ...pick, rps: m, non2xx: runs.reduce((n, r) => n + r.non2xx, 0), errors: runs.reduce((n, r) => n + r.errors, 0) };
}

type Figures = {
  engine: string;
  connections: number;
  fixings: string;
  bare: Load;
  latest: Load;
  /** Median of the per-round ratios latest / bare (each round runs both back to back). */
  ratio: number;
  csv: Load;
  csvBytes: number;
  rssBefore: number;
  rssPeak: number;
};

/**
 * Bare and latest alternate, round after round, and each ratio pairs two neighbouring
 * runs: a machine whose load drifts during the bench skews both alike.
 */
async function benchServer(engine: string, opts: Options, bareUrl: string, databaseUrl?: string): Promise<Figures> {
  process.stderr.write(`${engine}: seeding (sample, ${opts.days} real fixings, ${opts.years} years synthetic)...\n`);
  const server = await startChild("ciyuan", opts, databaseUrl);
  try {
    const check = await fetch(server.url + LATEST);
    if (check.status !== 200) throw new Error(`${LATEST} answered ${check.status}: ${await check.text()}`);
    const csvBytes = (await (await fetch(server.url + CSV)).arrayBuffer()).byteLength;
    if (opts.warmup > 0) {
      await load(bareUrl, opts, opts.warmup);
      await load(server.url + LATEST, opts, opts.warmup);
    }
    const bare: Load[] = [];
    const latest: Load[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      process.stderr.write(`${engine}: round ${round}/${opts.rounds}: bare, ${LATEST}\n`);
      bare.push(await load(bareUrl, opts, opts.duration));
      latest.push(await load(server.url + LATEST, opts, opts.duration));
    }
    // Warm the export path first, so the RSS before it already holds the code and caches.
    if (opts.warmup > 0) await load(server.url + CSV, opts, opts.warmup);
    const before = (await server.ask("reset")).rss;
    process.stderr.write(`${engine}: ${CSV}\n`);
    const csv = await load(server.url + CSV, opts, opts.duration);
    const peak = (await server.ask("peak")).peak;
    return {
      engine,
      connections: opts.connections,
      fixings: server.fixings,
      bare: medianLoad(bare),
      latest: medianLoad(latest),
      ratio: median(latest.map((l, i) => l.rps / bare[i]!.rps)),
      csv,
      csvBytes,
      rssBefore: before,
      rssPeak: peak,
    };
  } finally {
    await server.stop();
  }
}

/** A throw-away database on the given server, dropped whatever happens. */
async function withPostgres<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `ciyuan_bench_http_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function report(f: Figures): string {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  const line = (name: string, l: Load) =>
    `  ${name.padEnd(44)} ${l.rps.toFixed(l.rps < 100 ? 1 : 0).padStart(8)} req/s  p99 ${String(l.p99).padStart(4)} ms  ${(l.rps / f.bare.rps).toFixed(2).padStart(5)} x bare` +
    (l.non2xx + l.errors > 0 ? `  (${l.non2xx} non-2xx, ${l.errors} errors)` : "");
  const ratio = f.ratio;
  return [
    `== ${f.engine}: ${f.fixings} CTPI final fixings, CSV export ${mb(f.csvBytes)}`,
    line("bare hono, constant JSON (the baseline)", f.bare),
    line(`GET ${LATEST}`, f.latest),
    line(`GET ${CSV}`, f.csv),
    `  ${"CSV export throughput".padEnd(44)} ${f.csv.mbps.toFixed(1).padStart(8)} MB/s`,
    `  ${"latest / bare, median of rounds (target 0.6)".padEnd(44)} ${ratio.toFixed(2).padStart(8)} x   ${ratio >= TARGET ? "PASS" : "FAIL"}`,
    `  ${"server RSS before the CSV export".padEnd(44)} ${mb(f.rssBefore).padStart(8)}`,
    `  ${"server RSS peak during the CSV export".padEnd(44)} ${mb(f.rssPeak).padStart(8)}   (+${mb(f.rssPeak - f.rssBefore)}; ${f.connections} concurrent exports)`,
  ].join("\n");
}

function parse(): { options: Options; serve?: string; databaseUrl?: string } {
  const { values } = parseArgs({
    options: {
      connections: { type: "string", default: "10" },
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      years: { type: "string", default: "5" },
      days: { type: "string", default: "3" },
      postgres: { type: "string" },
      serve: { type: "string" },
      "database-url": { type: "string" },
    },
  });
  const int = (name: string, text: string, min: number, max: number) => {
    const n = Number.parseInt(text, 10);
    if (!(n >= min && n <= max) || String(n) !== text) throw new Error(`--${name}: expected ${min}..${max}, got ${text}`);
    return n;
  };
  const options: Options = {
    connections: int("connections", values.connections, 1, 1000),
    duration: int("duration", values.duration, 1, 600),
    warmup: int("warmup", values.warmup, 0, 600),
    rounds: int("rounds", values.rounds, 1, 100),
    years: int("years", values.years, 0, 50),
    days: int("days", values.days, 1, 60),
    postgres: values.postgres || process.env.DATABASE_URL || undefined,
  };
  return { options, serve: values.serve, databaseUrl: values["database-url"] };
}

async function main(): Promise<void> {
  const { options, serve: target, databaseUrl } = parse();
  if (target) return child(target, databaseUrl, options.days, options.years);

  console.log(
    `bench-http: ${options.connections} connections, ${options.duration} s per run, ${options.rounds} rounds after ` +
      `${options.warmup} s warmup; sample at ${NOW}, ${options.days} real + ${options.years} years synthetic CTPI finals`,
  );
  const bare = await startChild("bare", options);
  try {
    const bareUrl = bare.url + "/";
    console.log(report(await benchServer("pglite (in-memory)", options, bareUrl)));
    if (options.postgres) {
      console.log(report(await withPostgres(options.postgres, (url) => benchServer("postgres", options, bareUrl, url))));
    }
  } finally {
    await bare.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
