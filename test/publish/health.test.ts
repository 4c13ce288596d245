// GET /health: readiness — database reachable (SELECT 1 with a short timeout), age of each
// index's latest final fixing, last run of each source (table source_runs).
import pg from "pg";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { migrate, openDatabase, type Database, type Db } from "../../src/db/index.ts";
import { STALE_AFTER_SECONDS, STATUS_TIMEOUT_MS } from "../../src/publish/status.ts";
import { describeEachEngine, freshDatabase, freshPostgresUrl } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get } from "./http.ts";

const HOUR = 3_600_000;
// Whole seconds, written as Postgres gives them back (no ".000").
const ago = (ms: number) => new Date(Math.floor((Date.now() - ms) / 1000) * 1000).toISOString().replace(".000Z", "Z");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function addRun(db: Db, source: string, kind: string, finishedAt: string, outcome: string, detail: string | null) {
  await db.execute(sql`INSERT INTO source_runs (source, kind, started_at, finished_at, outcome, detail)
    VALUES (${source}, ${kind}, ${finishedAt}::timestamptz - interval '2 seconds', ${finishedAt}::timestamptz, ${outcome}, ${detail})`);
}

const fixing = (index: string, fixingTime: string, extra: Partial<Parameters<typeof insertFixing>[1]> = {}) => ({
  index,
  fixingTime,
  value: "2.000000",
  level: "1000.000000",
  computedAt: fixingTime,
  ...extra,
});

/** Serves a database of its own, so the test may close it under the server. */
async function servedAlone(engine: "pglite" | "postgres"): Promise<{ database: Database; server: TestServer }> {
  const database = await freshDatabase(engine);
  return { database, server: await serveForTest(database) };
}

describeEachEngine("GET /health: readiness (database reachable, age of the latest final fixing, last run of each source)", (ctx) => {
  it("answers 200 with the database reachable, each index's latest final fixing with its age, and each source's last runs", async () => {
    const db = ctx.db;
    const latest = ago(2 * HOUR);
    await insertFixing(db, fixing("CTPI", ago(26 * HOUR)));
    await insertFixing(db, fixing("CTPI", latest));
    await insertFixing(db, fixing("CTPI", latest, { revision: 2, reason: "late usage" }));
    await insertFixing(db, fixing("CTPI", ago(HOUR), { kind: "indicative" }));
    await insertFixing(db, fixing("CTPI-IN", ago(3 * 24 * HOUR), { status: "insufficient" }));
    const okAt = ago(3 * HOUR);
    const failedAt = ago(HOUR);
    const notModifiedAt = ago(HOUR / 2);
    await addRun(db, "deepseek", "price-sheet", ago(5 * HOUR), "ok", "1 sheet");
    await addRun(db, "deepseek", "price-sheet", okAt, "ok", "1 sheet");
    await addRun(db, "deepseek", "price-sheet", failedAt, "failed", "HTTP 503");
    await addRun(db, "ecb", "ecb", notModifiedAt, "not_modified", null);
    await addRun(db, "zz-broken", "fx", failedAt, "failed", "timeout after 10000 ms");

    const server = await serveForTest(ctx.database);
    try {
      const r = await get(`${server.url}/health`);
      expect(r.status).toBe(200);
      expect(r.headers.get("cache-control")).toBe("no-store");
      const h = r.json;
      expect(h).toMatchObject({ status: "ok", reason: null, database: { reachable: true }, stale: true });
      expect(Date.parse(h.checked_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(h.database.latency_ms).toBeLessThan(STATUS_TIMEOUT_MS);

      const [ctpi, ctpiIn, ctpiOut] = h.fixings;
      expect(ctpi).toMatchObject({ index: "CTPI", fixing_time: latest, revision: 2, status: "ok", stale: false });
      expect(ctpi.age_seconds).toBeGreaterThanOrEqual(2 * 3600);
      expect(ctpi.age_seconds).toBeLessThan(2 * 3600 + 120);
      expect(ctpiIn).toMatchObject({ index: "CTPI-IN", status: "insufficient", stale: true });
      expect(ctpiIn.age_seconds).toBeGreaterThan(STALE_AFTER_SECONDS);
      expect(ctpiOut).toEqual({ index: "CTPI-OUT", fixing_time: null, revision: null, status: null, age_seconds: null, stale: true });

      expect(h.sources).toEqual([
        {
          source: "deepseek",
          kind: "price-sheet",
          last_attempt: { started_at: expect.any(String), finished_at: failedAt, outcome: "failed", detail: "HTTP 503" },
          last_success_at: okAt,
          last_error: { at: failedAt, detail: "HTTP 503" },
        },
        {
          source: "ecb",
          kind: "ecb",
          last_attempt: { started_at: expect.any(String), finished_at: notModifiedAt, outcome: "not_modified", detail: null },
          last_success_at: notModifiedAt,
          last_error: null,
        },
        {
          source: "zz-broken",
          kind: "fx",
          last_attempt: expect.objectContaining({ outcome: "failed" }),
          last_success_at: null,
          last_error: { at: failedAt, detail: "timeout after 10000 ms" },
        },
      ]);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("stale or missing fixings and failing sources are reported but leave the service ready (200)", async () => {
    const database = await ctx.fresh();
    const server = await serveForTest(database);
    try {
      const r = await get(`${server.url}/health`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ status: "ok", stale: true, sources: [] });
      expect(r.json.fixings.every((f: { stale: boolean }) => f.stale)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("answers 503 with the same shape and the reason when the database is closed, and keeps serving", async () => {
    const { database, server } = await servedAlone(ctx.engine);
    try {
      expect((await get(`${server.url}/health`)).status).toBe(200);
      await database.close();
      const r = await get(`${server.url}/health`);
      expect(r.status).toBe(503);
      expect(r.json).toEqual({
        status: "unavailable",
        reason: expect.stringMatching(/^database unreachable: \S/),
        checked_at: expect.any(String),
        database: { reachable: false, latency_ms: null },
        stale: null,
        fixings: null,
        sources: null,
      });
      expect((await get(`${server.url}/health`)).status).toBe(503);
      expect((await get(`${server.url}/openapi.json`)).status).toBe(200);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it(`a database that does not answer within ${STATUS_TIMEOUT_MS} ms counts as unreachable (503), and ready again once it answers`, async () => {
    const { database, server } = await servedAlone(ctx.engine);
    try {
      // Every connection busy: PGlite has one; the pg pool has four.
      const busy = ctx.engine === "pglite" ? 1 : 4;
      let started = 0;
      const holds = Array.from({ length: busy }, () =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`SELECT 1`);
          started += 1;
          await sleep(STATUS_TIMEOUT_MS + 1500);
        }),
      );
      while (started < busy) await sleep(10);
      const began = Date.now();
      const r = await get(`${server.url}/health`);
      expect(r.status).toBe(503);
      expect(r.json.reason).toBe(`database unreachable: timed out after ${STATUS_TIMEOUT_MS} ms`);
      expect(Date.now() - began).toBeLessThan(STATUS_TIMEOUT_MS + 1000);
      await Promise.all(holds);
      expect((await get(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
      await database.close();
    }
    expect(server.unexpected).toEqual([]);
  });
});

// Cutting the server's connections and refusing new ones (rather than DROP DATABASE, whose
// checkpoint takes tens of seconds on a busy server) makes the database unreachable.
describe.runIf(process.env.TEST_DATABASE_URL)("GET /health on Postgres: a database that refuses connections is unreachable (503)", () => {
  async function onServer(query: string): Promise<void> {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(query);
    } finally {
      await admin.end();
    }
  }

  it("answers 503 naming the failure while connections are refused, keeps serving, and is ready again after", async () => {
    const url = await freshPostgresUrl();
    const name = new URL(url).pathname.slice(1);
    const database = await openDatabase({ databaseUrl: url });
    await migrate(database);
    const server = await serveForTest(database);
    try {
      expect((await get(`${server.url}/health`)).status).toBe(200);
      await onServer(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await onServer(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      for (let i = 0; i < 2; i++) {
        const r = await get(`${server.url}/health`);
        expect(r.status).toBe(503);
        expect(r.json.reason).toMatch(/^database unreachable: .*(not currently accepting connections|terminat)/);
        expect(r.json.database.reachable).toBe(false);
      }
      expect((await get(`${server.url}/docs`)).status).toBe(200);
      await onServer(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      expect((await get(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
      await database.close();
    }
    // No request failed unexpectedly (the fixing events' own reconnection may report lines).
    expect(server.unexpected.filter((line) => /^[A-Z]+ \//.test(line))).toEqual([]);
  });
});
