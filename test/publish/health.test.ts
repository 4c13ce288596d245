// GET /health and GET /v1/status (operations spec, "Health"): 200 ok or degraded, 503 down.
// down: the database does not answer, or a due final fixing is more than 15 minutes late;
// degraded: a source failed on its last run, or a price source has not succeeded within 3
// of its intervals, each failing source named. Every age is >= 0. The clock is injected.
import pg from "pg";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { migrate, openDatabase, rows, type Database, type Db } from "../../src/db/index.ts";
import type { ConfiguredSource } from "../../src/publish/deps.ts";
import { FINAL_LATE_AFTER_SECONDS, Health, Status } from "../../src/publish/health-schemas.ts";
import { STATUS_TIMEOUT_MS } from "../../src/publish/read/status.ts";
import { describeEachEngine, freshDatabase, freshPostgresUrl } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get } from "./http.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const at = (iso: string) => new Date(iso);
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString().replace(".000Z", "Z");

// 16:00 Asia/Shanghai: the final fixing time of every index of the family.
const DUE = "2026-10-01T08:00:00Z";
const YESTERDAY = "2026-09-30T08:00:00Z";

/** A source run as the collectors record it (src/collect/record.ts), with its end time set. */
async function addRun(db: Db, source: string, kind: string, finishedAt: string, outcome: string, detail: string | null) {
  await db.execute(sql`INSERT INTO source_runs (source, kind, started_at, finished_at, outcome, detail)
    VALUES (${source}, ${kind}, ${finishedAt}::timestamptz - interval '2 seconds', ${finishedAt}::timestamptz, ${outcome}, ${detail})`);
}

const fixing = (index: string, fixingTime: string, extra: Partial<Parameters<typeof insertFixing>[1]> = {}) => ({
  index,
  fixingTime,
  value: "2.000000",
  level: "1000.000000",
  computedAt: plus(fixingTime, 2),
  ...extra,
});

async function indexCodes(db: Db): Promise<string[]> {
  return (await rows<{ code: string }>(db, sql`SELECT code FROM index_definitions GROUP BY code ORDER BY code COLLATE "C"`)).map((r) => r.code);
}

/** The final fixing at `time` of every index but `except`. */
async function finalsForAll(db: Db, time: string, except: string[] = []): Promise<void> {
  for (const code of await indexCodes(db)) if (!except.includes(code)) await insertFixing(db, fixing(code, time));
}

/** A clock the test moves. */
function clock(iso: string) {
  let now = at(iso);
  return { now: () => now, set: (to: string) => void (now = at(to)) };
}

/** Every field whose name holds "age", anywhere in the body, with its path. */
function ages(value: unknown, path = ""): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => ages(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/age/.test(k) ? [[`${path}.${k}`, v] as [string, unknown]] : []), ...ages(v, `${path}.${k}`)]);
}

async function health(server: TestServer) {
  const r = await get(`${server.url}/health`);
  return { ...r, body: Health.parse(JSON.parse(r.text)) };
}

async function status(server: TestServer) {
  const r = await get(`${server.url}/v1/status`);
  return { ...r, body: Status.parse(JSON.parse(r.text)) };
}

/** Serves a database of its own, so the test may close it under the server. */
async function servedAlone(engine: "pglite" | "postgres"): Promise<{ database: Database; server: TestServer }> {
  const database = await freshDatabase(engine);
  return { database, server: await serveForTest(database) };
}

describeEachEngine("GET /health: ok while the database answers, each due final is stored and every source is well", (ctx) => {
  it("answers 200 ok with the database's latency, each index's due final fixing and its age, and each source", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, YESTERDAY);
    await finalsForAll(db, DUE);
    await insertFixing(db, fixing("CTPI", DUE, { revision: 2, reason: "late usage" }));
    await insertFixing(db, fixing("CTPI", "2026-10-01T08:15:00Z", { kind: "indicative" }));
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T08:10:00Z", "ok", "1 sheet");
    await addRun(db, "ecb", "ecb", "2026-10-01T08:20:00Z", "not_modified", null);
    const server = await serveForTest(database, { now: clock("2026-10-01T08:30:00Z").now });
    try {
      const r = await health(server);
      expect(r.status).toBe(200);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.body).toMatchObject({ status: "ok", checked_at: "2026-10-01T08:30:00.000Z", reasons: [] });
      expect(r.body.checks.database).toMatchObject({ ok: true, error: null });
      expect(r.body.checks.database.latency_ms).toBeLessThan(STATUS_TIMEOUT_MS);

      const codes = await indexCodes(db);
      expect(r.body.checks.fixings!.map((f) => f.index)).toEqual(codes);
      for (const f of r.body.checks.fixings!) {
        // The indicative at 08:15 is not a final: the latest final is the one due.
        expect(f).toEqual({ index: f.index, ok: true, due: DUE, due_present: true, late_seconds: 0, fixing_time: DUE, age_seconds: 1800 });
      }
      expect(r.body.checks.sources).toEqual([
        {
          source: "deepseek",
          kind: "price-sheet",
          price: true,
          ok: true,
          reason: null,
          last_outcome: "ok",
          last_attempt_at: "2026-10-01T08:10:00Z",
          last_success_at: "2026-10-01T08:10:00Z",
          age_seconds: 1200,
        },
        {
          source: "ecb",
          kind: "ecb",
          price: false,
          ok: true,
          reason: null,
          last_outcome: "not_modified",
          last_attempt_at: "2026-10-01T08:20:00Z",
          last_success_at: "2026-10-01T08:20:00Z",
          age_seconds: 600,
        },
      ]);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("before the day's final time, the final due is yesterday's", async () => {
    const database = await ctx.fresh();
    await finalsForAll(database.db, YESTERDAY);
    const server = await serveForTest(database, { now: clock("2026-10-01T07:59:59Z").now });
    try {
      const r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("ok");
      for (const f of r.body.checks.fixings!) expect(f).toMatchObject({ due: YESTERDAY, due_present: true, late_seconds: 0 });
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /health: degraded (200) when a source failed on its last run, each failing source named", (ctx) => {
  it("names every source in `reasons` and in its check when all of them fail", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, DUE);
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T07:00:00Z", "ok", "1 sheet");
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T08:00:00Z", "failed", "HTTP 503");
    await addRun(db, "ecb", "ecb", "2026-10-01T08:05:00Z", "failed", "timeout after 10000 ms");
    await addRun(db, "litellm", "litellm", "2026-10-01T08:10:00Z", "failed", "not JSON:\nunexpected token <");
    const server = await serveForTest(database, { now: clock("2026-10-01T08:30:00Z").now });
    try {
      const r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("degraded");
      expect(r.body.reasons).toEqual([
        "source deepseek failed on its last run: HTTP 503",
        "source ecb failed on its last run: timeout after 10000 ms",
        "source litellm failed on its last run: not JSON: unexpected token <",
      ]);
      expect(r.body.checks.fixings!.every((f) => f.ok)).toBe(true);
      expect(r.body.checks.sources!.map((s) => [s.source, s.ok, s.reason, s.last_outcome])).toEqual([
        ["deepseek", false, "failed on its last run: HTTP 503", "failed"],
        ["ecb", false, "failed on its last run: timeout after 10000 ms", "failed"],
        ["litellm", false, "failed on its last run: not JSON: unexpected token <", "failed"],
      ]);
      // The last success stays reported, aged from now.
      expect(r.body.checks.sources![0]).toMatchObject({ last_success_at: "2026-10-01T07:00:00Z", age_seconds: 5400 });
      expect(r.body.checks.sources![1]).toMatchObject({ last_success_at: null, age_seconds: null });
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("is ok again once the failing source's next run succeeds", async () => {
    const database = await ctx.fresh();
    await finalsForAll(database.db, DUE);
    await addRun(database.db, "deepseek", "price-sheet", "2026-10-01T08:00:00Z", "failed", "HTTP 503");
    const server = await serveForTest(database, { now: clock("2026-10-01T08:30:00Z").now });
    try {
      expect((await health(server)).body.status).toBe("degraded");
      await addRun(database.db, "deepseek", "price-sheet", "2026-10-01T08:29:00Z", "not_modified", null);
      const r = await health(server);
      expect(r.body).toMatchObject({ status: "ok", reasons: [] });
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /health: degraded when a configured price source has not succeeded within 3 of its intervals", (ctx) => {
  const SOURCES: ConfiguredSource[] = [
    { name: "litellm", kind: "litellm", every: "0 * * * *" },
    { name: "openrouter", kind: "openrouter", every: "15 * * * *" },
    { name: "deepseek", kind: "price-sheet", every: "*/30 * * * *", tz: "Asia/Shanghai" },
    { name: "ecb", kind: "ecb", every: "30 16 * * 1-5", tz: "Europe/Berlin" },
  ];

  it("judges each price source against 3 x its `every`, one that never succeeded from the service's start; other kinds by their last run only", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, DUE);
    await addRun(db, "litellm", "litellm", "2026-10-01T05:00:00Z", "ok", "40 sheets");
    await addRun(db, "openrouter", "openrouter", "2026-10-01T07:15:00Z", "ok", "12 sheets");
    await addRun(db, "ecb", "ecb", "2026-09-25T14:30:00Z", "ok", "30 rates");
    // Ran once, no longer configured: listed, not judged.
    await addRun(db, "retired", "price-sheet", "2026-09-01T00:00:00Z", "failed", "HTTP 404");
    const time = clock("2026-10-01T08:00:00Z");
    const server = await serveForTest(database, { now: time.now, sources: SOURCES });
    try {
      // litellm: 3 h since its success, exactly 3 x 3600 s: still within.
      let r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ok", reasons: [] });

      time.set("2026-10-01T08:00:01Z");
      r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("degraded");
      expect(r.body.reasons).toEqual([
        "source litellm has not succeeded within 3 of its intervals (3 x 3600 s): last success 2026-10-01T05:00:00Z",
      ]);
      const byName = Object.fromEntries(r.body.checks.sources!.map((s) => [s.source, s]));
      expect(Object.keys(byName)).toEqual(["deepseek", "ecb", "litellm", "openrouter", "retired"]);
      expect(byName.litellm).toMatchObject({ ok: false, price: true, age_seconds: 10801 });
      expect(byName.litellm!.reason).toMatch(/^has not succeeded within 3 of its intervals/);
      expect(byName.openrouter).toMatchObject({ ok: true, reason: null });
      // Six days without an FX success: not a price source, and its last run was ok.
      expect(byName.ecb).toMatchObject({ ok: true, price: false });
      expect(byName.deepseek).toMatchObject({ ok: true, last_outcome: null, last_success_at: null, age_seconds: null });
      expect(byName.retired).toMatchObject({ ok: true, last_outcome: "failed" });

      const detail = (await status(server)).body.checks.sources!;
      expect(detail.find((s) => s.source === "litellm")).toMatchObject({
        configured: true,
        every: "0 * * * *",
        tz: "UTC",
        interval_seconds: 3600,
        success_within_seconds: 10800,
      });
      // A weekday schedule is allowed its weekend.
      expect(detail.find((s) => s.source === "ecb")).toMatchObject({ interval_seconds: 3 * 86400, success_within_seconds: null });
      expect(detail.find((s) => s.source === "deepseek")).toMatchObject({ interval_seconds: 1800, success_within_seconds: 5400 });
      expect(detail.find((s) => s.source === "retired")).toMatchObject({ configured: false, every: null, interval_seconds: null });

      // deepseek never ran: judged from the service's start (08:00:00), 3 x 1800 s.
      time.set("2026-10-01T09:30:01Z");
      r = await health(server);
      expect(r.body.reasons).toEqual([
        "source deepseek has not succeeded within 3 of its intervals (3 x 1800 s): never succeeded",
        "source litellm has not succeeded within 3 of its intervals (3 x 3600 s): last success 2026-10-01T05:00:00Z",
      ]);
      expect(r.body.checks.sources!.find((s) => s.source === "openrouter")).toMatchObject({ ok: true, age_seconds: 8101 });
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });
});

describeEachEngine(`GET /health: down (503) when a due final fixing is more than ${FINAL_LATE_AFTER_SECONDS} s late`, (ctx) => {
  it("is ok up to 15 minutes after the final time with the fixing missing, down one second later, naming the index", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, YESTERDAY);
    await finalsForAll(db, DUE, ["CTPI-OUT"]);
    // A fixing at a later time does not stand in for the missing one.
    await insertFixing(db, fixing("CTPI-OUT", "2026-10-02T08:00:00Z"));
    const time = clock(plus(DUE, FINAL_LATE_AFTER_SECONDS));
    const server = await serveForTest(database, { now: time.now });
    try {
      let r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ok", reasons: [] });
      const out = () => r.body.checks.fixings!.find((f) => f.index === "CTPI-OUT")!;
      expect(out()).toEqual({
        index: "CTPI-OUT",
        ok: true,
        due: DUE,
        due_present: false,
        late_seconds: FINAL_LATE_AFTER_SECONDS,
        fixing_time: "2026-10-02T08:00:00Z",
        age_seconds: 0,
      });

      time.set(plus(DUE, FINAL_LATE_AFTER_SECONDS + 1));
      r = await health(server);
      expect(r.status).toBe(503);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.body.status).toBe("down");
      expect(r.body.reasons).toEqual([`index CTPI-OUT: the final fixing due at ${DUE} is missing, 901 s after its time (limit 900 s)`]);
      expect(out()).toMatchObject({ ok: false, due_present: false, late_seconds: 901 });
      expect(r.body.checks.fixings!.filter((f) => !f.ok).map((f) => f.index)).toEqual(["CTPI-OUT"]);
      expect(r.body.checks.database.ok).toBe(true);

      // /v1/status: the same verdict, answered 200 since the database answers.
      const s = await status(server);
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ status: "down", reasons: r.body.reasons });

      await insertFixing(db, fixing("CTPI-OUT", DUE, { status: "insufficient" }));
      r = await health(server);
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("ok");
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("a database with no final fixing at all is down once the first final time is 15 minutes past", async () => {
    const database = await ctx.fresh();
    const server = await serveForTest(database, { now: clock("2026-10-01T09:00:00Z").now });
    try {
      const r = await health(server);
      expect(r.status).toBe(503);
      expect(r.body.reasons).toHaveLength((await indexCodes(database.db)).length);
      for (const f of r.body.checks.fixings!) {
        expect(f).toEqual({ index: f.index, ok: false, due: DUE, due_present: false, late_seconds: 3600, fixing_time: null, age_seconds: null });
      }
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /health and /v1/status: every age is >= 0 seconds", (ctx) => {
  it("a final fixing time and a source run stored in the future count as age 0", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, DUE);
    await insertFixing(db, fixing("CTPI", "2026-10-03T08:00:00Z"));
    await addRun(db, "deepseek", "price-sheet", "2026-10-02T00:00:00Z", "ok", "1 sheet");
    await addRun(db, "ecb", "ecb", "2026-10-01T08:00:00Z", "ok", "30 rates");
    const server = await serveForTest(database, { now: clock("2026-10-01T08:30:00Z").now });
    try {
      const h = await health(server);
      const s = await status(server);
      expect(h.body.status).toBe("ok");
      expect(h.body.checks.fixings!.find((f) => f.index === "CTPI")).toMatchObject({
        fixing_time: "2026-10-03T08:00:00Z",
        age_seconds: 0,
        due_present: true,
      });
      expect(h.body.checks.sources![0]).toMatchObject({ source: "deepseek", age_seconds: 0 });
      expect(s.body.checks.sources![0]).toMatchObject({ source: "deepseek", age_seconds: 0, attempt_age_seconds: 0 });
      for (const body of [h.body, s.body]) {
        const found = ages(body);
        expect(found.length).toBeGreaterThanOrEqual(8);
        for (const [path, value] of found) {
          if (value !== null) expect(value, path).toBeGreaterThanOrEqual(0);
        }
      }
      expect(ages(s.body).find(([p]) => p === ".checks.sources[1].age_seconds")?.[1]).toBe(1800);
    } finally {
      await server.close();
    }
  });

  it("on the real clock too (no injected now)", async () => {
    const database = await ctx.fresh();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    await insertFixing(database.db, fixing("CTPI", future));
    await addRun(database.db, "deepseek", "price-sheet", future, "ok", null);
    const server = await serveForTest(database);
    try {
      for (const body of [(await health(server)).body, (await status(server)).body]) {
        for (const [path, value] of ages(body)) if (value !== null) expect(value, path).toBeGreaterThanOrEqual(0);
      }
      const r = await health(server);
      expect(r.body.checks.fixings!.find((f) => f.index === "CTPI")!.age_seconds).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /v1/status: the checks of /health in detail", (ctx) => {
  it("gives per index the latest final (latest revision, status) and the stored due fixing; per source its last attempt, success and error", async () => {
    const database = await ctx.fresh();
    const db = database.db;
    await finalsForAll(db, DUE, ["CTPI-IN"]);
    await insertFixing(db, fixing("CTPI", DUE, { revision: 2, reason: "late usage", computedAt: "2026-10-01T09:00:00Z" }));
    await insertFixing(db, fixing("CTPI", "2026-10-01T09:15:00Z", { kind: "indicative" }));
    await insertFixing(db, fixing("CTPI-IN", "2026-09-28T08:00:00Z", { status: "insufficient" }));
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T05:00:00Z", "ok", "1 sheet");
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T07:00:00Z", "ok", "1 sheet");
    await addRun(db, "deepseek", "price-sheet", "2026-10-01T09:00:00Z", "failed", "HTTP 503");
    await addRun(db, "ecb", "ecb", "2026-10-01T09:30:00Z", "not_modified", null);
    await addRun(db, "zz-broken", "fx", "2026-10-01T09:00:00Z", "failed", "timeout after 10000 ms");
    const server = await serveForTest(database, { now: clock("2026-10-01T10:00:00Z").now });
    try {
      const r = await status(server);
      // Down (CTPI-IN's final is late), yet 200: the report is the answer while the database answers.
      expect(r.status).toBe(200);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.body.status).toBe("down");
      expect(r.body.rules).toEqual({ database_timeout_ms: STATUS_TIMEOUT_MS, final_late_after_seconds: 900, price_source_intervals: 3 });
      expect(r.body.reasons).toEqual([
        `index CTPI-IN: the final fixing due at ${DUE} is missing, 7200 s after its time (limit 900 s)`,
        "source deepseek failed on its last run: HTTP 503",
        "source zz-broken failed on its last run: timeout after 10000 ms",
      ]);
      const [ctpi, ctpiIn] = r.body.checks.fixings!;
      expect(ctpi).toEqual({
        index: "CTPI",
        ok: true,
        due: DUE,
        due_present: true,
        late_seconds: 0,
        fixing_time: DUE,
        age_seconds: 7200,
        revision: 2,
        status: "ok",
        fixing_local_time: "16:00",
        fixing_tz: "Asia/Shanghai",
        due_fixing: { revision: 2, status: "ok", computed_at: "2026-10-01T09:00:00Z" },
      });
      expect(ctpiIn).toMatchObject({
        index: "CTPI-IN",
        ok: false,
        due_present: false,
        late_seconds: 7200,
        fixing_time: "2026-09-28T08:00:00Z",
        age_seconds: 3 * 86400 + 7200,
        revision: 1,
        status: "insufficient",
        due_fixing: null,
      });

      expect(r.body.checks.sources).toEqual([
        {
          source: "deepseek",
          kind: "price-sheet",
          price: true,
          ok: false,
          reason: "failed on its last run: HTTP 503",
          last_outcome: "failed",
          last_attempt_at: "2026-10-01T09:00:00Z",
          last_success_at: "2026-10-01T07:00:00Z",
          age_seconds: 3 * 3600,
          configured: null,
          every: null,
          tz: null,
          interval_seconds: null,
          success_within_seconds: null,
          last_attempt: { started_at: "2026-10-01T08:59:58Z", finished_at: "2026-10-01T09:00:00Z", outcome: "failed", detail: "HTTP 503" },
          attempt_age_seconds: 3600,
          last_error: { at: "2026-10-01T09:00:00Z", detail: "HTTP 503" },
        },
        expect.objectContaining({
          source: "ecb",
          ok: true,
          last_attempt: expect.objectContaining({ outcome: "not_modified", detail: null }),
          last_success_at: "2026-10-01T09:30:00Z",
          last_error: null,
        }),
        expect.objectContaining({
          source: "zz-broken",
          kind: "fx",
          ok: false,
          last_success_at: null,
          age_seconds: null,
          last_error: { at: "2026-10-01T09:00:00Z", detail: "timeout after 10000 ms" },
        }),
      ]);

      // /health is the same report, each check with its summary fields only.
      const h = await health(server);
      expect(h.status).toBe(503);
      expect(h.body.reasons).toEqual(r.body.reasons);
      expect(h.body.checks.fixings![0]).toEqual({
        index: "CTPI",
        ok: true,
        due: DUE,
        due_present: true,
        late_seconds: 0,
        fixing_time: DUE,
        age_seconds: 7200,
      });
      expect(Object.keys(h.body.checks.sources![0]!)).toEqual([
        "source",
        "kind",
        "price",
        "ok",
        "reason",
        "last_outcome",
        "last_attempt_at",
        "last_success_at",
        "age_seconds",
      ]);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("is in the OpenAPI document, with an example that fits its schema, as is /health", async () => {
    const server = await serveForTest(ctx.database);
    try {
      const doc = JSON.parse((await get(`${server.url}/openapi.json`)).text);
      const op = doc.paths["/v1/status"].get;
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "503"]));
      const example = JSON.parse(JSON.stringify(op.responses["200"].content["application/json"].example));
      expect(Status.parse(example)).toEqual(example);
      expect(op.description).toMatch(/same `status`, `reasons` and checks as `GET \/health`/);
      const h = doc.paths["/health"].get;
      for (const code of ["200", "503"]) {
        const ex = JSON.parse(JSON.stringify(h.responses[code].content["application/json"].example));
        expect(Health.parse(ex)).toEqual(ex);
      }
      expect(h.description).toMatch(/degraded/);
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /health and /v1/status: down (503) when the database does not answer", (ctx) => {
  it("answers 503 with the same shape, naming the failure, when the database is closed, and keeps serving", async () => {
    const { database, server } = await servedAlone(ctx.engine);
    try {
      expect((await get(`${server.url}/v1/status`)).status).toBe(200);
      await database.close();
      const r = await health(server);
      expect(r.status).toBe(503);
      expect(r.body).toEqual({
        status: "down",
        checked_at: expect.any(String),
        reasons: [expect.stringMatching(/^database unreachable: \S/)],
        checks: {
          database: { ok: false, latency_ms: null, error: r.body.reasons[0] },
          fixings: null,
          sources: null,
        },
      });
      const s = await status(server);
      expect(s.status).toBe(503);
      expect(s.body).toMatchObject({ status: "down", checks: { database: { ok: false }, fixings: null, sources: null } });
      expect((await get(`${server.url}/health`)).status).toBe(503);
      expect((await get(`${server.url}/openapi.json`)).status).toBe(200);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it(`a database that does not answer within ${STATUS_TIMEOUT_MS} ms counts as down (503), and answers again once it answers`, async () => {
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
      expect(r.json.reasons).toEqual([`database unreachable: timed out after ${STATUS_TIMEOUT_MS} ms`]);
      expect(Date.now() - began).toBeLessThan(STATUS_TIMEOUT_MS + 1000);
      await Promise.all(holds);
      expect((await get(`${server.url}/v1/status`)).status).toBe(200);
    } finally {
      await server.close();
      await database.close();
    }
    expect(server.unexpected).toEqual([]);
  });
});

// Cutting the server's connections and refusing new ones (rather than DROP DATABASE, whose
// checkpoint takes tens of seconds on a busy server) makes the database unreachable.
describe.runIf(process.env.TEST_DATABASE_URL)("GET /health on Postgres: a database that refuses connections is down (503)", () => {
  async function onServer(query: string): Promise<void> {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(query);
    } finally {
      await admin.end();
    }
  }

  it("answers 503 naming the failure while connections are refused, keeps serving, and answers again after", async () => {
    const url = await freshPostgresUrl();
    const name = new URL(url).pathname.slice(1);
    const database = await openDatabase({ databaseUrl: url });
    await migrate(database);
    await finalsForAll(database.db, DUE);
    const server = await serveForTest(database, { now: clock("2026-10-01T08:30:00Z").now });
    try {
      expect((await get(`${server.url}/health`)).status).toBe(200);
      await onServer(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await onServer(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      for (let i = 0; i < 2; i++) {
        const r = await get(`${server.url}/health`);
        expect(r.status).toBe(503);
        expect(r.json.status).toBe("down");
        expect(r.json.reasons[0]).toMatch(/^database unreachable: .*(not currently accepting connections|terminat)/);
        expect(r.json.checks.database.ok).toBe(false);
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
