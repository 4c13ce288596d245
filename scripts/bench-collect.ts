/**
 * What one collection of the real LiteLLM registry costs, against the cheapest thing a
 * collection must do anyway: fetching the same bytes (with the size limit and hash) from
 * the same local server. Ratios are printed, never asserted.
 *
 *   node --import tsx scripts/bench-collect.ts [--rounds 5]
 *
 * On in-memory PGlite, and on Postgres too when DATABASE_URL or TEST_DATABASE_URL is set
 * (a fresh database is made for the run and dropped after it). Three collections are
 * timed: the first (sheets stored), a repeat with the same body (200, every sheet
 * unchanged, the two-fetch rule reading the previous body), and a repeat answered 304
 * (the body on record read again).
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { collectSource } from "../src/collect/index.ts";
import { migrate, openDatabase, type Database } from "../src/db/index.ts";
import { importFx } from "../src/normalise/index.ts";
import { fetchSource } from "../src/sources/fetch.ts";
import { DEFAULT_SOURCES_FILE, parseSourcesConfig, type SourceConfig } from "../src/sources/config.ts";

const FILE = new URL("../test/fixtures/real/litellm/model_prices_and_context_window.2026-02-21.03ecdf92.json", import.meta.url);
const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const ROUNDS = Number(values.rounds);

const body = fs.readFileSync(FILE);
const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
/** Serves the file; `/etag` also answers If-None-Match with 304. */
const server = http.createServer((req, res) => {
  if (req.url === "/etag" && req.headers["if-none-match"] === etag) return res.writeHead(304, { ETag: etag }).end();
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (req.url === "/etag") headers.ETag = etag;
  res.writeHead(200, headers).end(body);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function litellmSource(path: string): SourceConfig {
  const defaults = JSON.parse(fs.readFileSync(DEFAULT_SOURCES_FILE, "utf8")) as { sources: { name: string }[] };
  const litellm = defaults.sources.find((s) => s.name === "litellm")!;
  return parseSourcesConfig("bench", { schema: "ciyuan.sources/1", sources: [{ ...litellm, url: `${origin}${path}` }] }).sources[0]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

type Row = { engine: string; fetchMs: number; firstMs: number; repeatMs: number; notModifiedMs: number; sheets: string };

async function bench(engine: string, database: Database): Promise<Row> {
  const { db } = database;
  await migrate(database);
  await importFx(db, { location: "usd.json", text: `{"schema":"ciyuan.fx/1","rates":[{"currency":"USD","cny_per_unit":7.1,"as_of":"2026-01-01T00:00:00Z"}]}` });
  const fetches: number[] = [];
  for (let i = 0; i < ROUNDS; i++) fetches.push(await timed(() => fetchSource({ url: `${origin}/plain`, retries: 0 })));

  const plain = litellmSource("/plain");
  const at = (n: number) => new Date(Date.parse("2026-11-24T00:00:00Z") + n * 3_600_000);
  let sheets = "";
  const firstMs = await timed(async () => {
    sheets = (await collectSource(db, plain, { now: at(0) })).detail;
  });
  const repeats: number[] = [];
  for (let i = 1; i <= ROUNDS; i++) repeats.push(await timed(() => collectSource(db, plain, { now: at(i) })));

  const conditional = litellmSource("/etag");
  await collectSource(db, conditional, { now: at(ROUNDS + 1) });
  const notModified: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    notModified.push(
      await timed(async () => {
        const r = await collectSource(db, conditional, { now: at(ROUNDS + 2 + i) });
        if (r.outcome !== "not_modified") throw new Error(`expected a 304, got ${r.outcome}: ${r.detail}`);
      }),
    );
  }
  return { engine, fetchMs: median(fetches), firstMs, repeatMs: median(repeats), notModifiedMs: median(notModified), sheets };
}

const rows: Row[] = [];
const pglite = await openDatabase({ dataDir: ":memory:" });
try {
  rows.push(await bench("PGlite", pglite));
} finally {
  await pglite.close();
}

const serverUrl = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
if (serverUrl) {
  const name = `ciyuan_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  try {
    rows.push(await bench("Postgres", database));
  } finally {
    await database.close();
    await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
server.close();

const mb = (body.length / 2 ** 20).toFixed(2);
console.log(`LiteLLM registry, ${mb} MB, ${ROUNDS} rounds (medians); baseline = fetching the same bytes from the same local server`);
console.log("engine    | fetch (baseline) | first collection     | repeat, all unchanged | 304, body re-read");
for (const r of rows) {
  const cell = (ms: number) => `${ms.toFixed(0).padStart(6)} ms ${(ms / r.fetchMs).toFixed(1).padStart(6)}x`;
  console.log(`${r.engine.padEnd(9)} | ${r.fetchMs.toFixed(1).padStart(8)} ms      | ${cell(r.firstMs)}   | ${cell(r.repeatMs)}    | ${cell(r.notModifiedMs)}`);
}
console.log(`first collection: ${rows[0]?.sheets}`);
console.log(`peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
