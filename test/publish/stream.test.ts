// GET /v1/stream: Server-Sent Events of new fixings and revisions, resumable with
// Last-Event-ID, carried between processes by Postgres LISTEN/NOTIFY.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { parse } from "lossless-json";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrate, openDatabase, rows, type Database, type Db } from "../../src/db/index.ts";
import { LISTEN_APPLICATION_NAME, listenPostgres } from "../../src/db/listen.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { importFxFile, importPriceFile, importUsageFile } from "../../src/normalise/index.ts";
import { createApp } from "../../src/publish/app.ts";
import { fixingEvents, type FixingEvents } from "../../src/publish/events.ts";
import { toJson } from "../../src/publish/json.ts";
import { streamTiming } from "../../src/publish/routes/v1/stream.ts";
import { WORKED_EXAMPLE_TIMES, workedExampleFiles } from "../fixtures/worked-example/load.ts";
import { runCli } from "../support/cli.ts";
import { describeEachEngine, engineNames, freshCliEnv } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get } from "./http.ts";

const [DAY1, DAY2] = WORKED_EXAMPLE_TIMES;

// Computing fixings and starting CLI processes takes seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

// ---------------------------------------------------------------------------------------
// A stream client: fetch + eventsource-parser, everything it received, with arrival times.

type Received = EventSourceMessage & { at: number };

type StreamClient = {
  status: number;
  headers: Headers;
  events: Received[];
  comments: string[];
  retries: number[];
  /** Resolves when the server ended the stream (or the client closed it). */
  ended: Promise<void>;
  waitForEvents(count: number, ms?: number): Promise<Received[]>;
  waitFor(what: string, ok: () => boolean, ms?: number): Promise<void>;
  close(): void;
};

async function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status !== 200) throw new Error(`stream ${url}: ${res.status} ${await res.text()}`);
  const events: Received[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (e) => events.push({ ...e, at: Date.now() }),
    onComment: (c) => comments.push(c.trim()),
    onRetry: (ms) => retries.push(ms),
  });
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by close()
    }
  })();
  const waitFor = async (what: string, ok: () => boolean, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (${events.length} events so far)`);
      await sleep(5);
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    retries,
    ended,
    waitFor,
    async waitForEvents(count, ms) {
      await waitFor(`${count} events`, () => events.length >= count, ms);
      return events.slice(0, count);
    },
    close: () => abort.abort(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function idsAfter(db: Db, after: string, where = sql``): Promise<string[]> {
  const found = await rows<{ id: string }>(db, sql`SELECT id::text AS id FROM fixings WHERE id > ${after}::bigint ${where} ORDER BY fixings.id`);
  return found.map((r) => r.id);
}

async function maxFixingId(db: Db): Promise<string> {
  const [row] = await rows<{ id: string }>(db, sql`SELECT coalesce(max(id), 0)::text AS id FROM fixings`);
  return row!.id;
}

/** The published fixing object without constituents and exclusions, as exact JSON text. */
function withoutDetails(jsonText: string): string {
  const value = parse(jsonText) as Record<string, unknown>;
  delete value.constituents;
  delete value.exclusions;
  return toJson(value);
}

async function importWorkedExample(db: Db): Promise<void> {
  for (const sheet of workedExampleFiles.sheets) await importPriceFile(db, sheet);
  await importFxFile(db, workedExampleFiles.fx);
  await importUsageFile(db, workedExampleFiles.usage);
}

const fix = (db: Db, index: string, at: string, kind: "final" | "indicative" = "final", reason?: string) =>
  computeFixing(db, { index, at, kind, reason, signer: testSigner });

let bulkSerial = 0;
/** `count` indicative CTPI fixings in one statement (one NOTIFY each), at distinct times. */
async function insertMany(db: Db, count: number): Promise<void> {
  const base = `2030-01-${String(++bulkSerial).padStart(2, "0")}T00:00:00Z`;
  await db.execute(sql`
    INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status, value, level,
      p25, p50, p75, currency, constituent_count, provider_count, methodology_version, inputs_sha256, reason, computed_at, data_origin)
    SELECT 'CTPI', 1, ${base}::timestamptz + n * interval '1 minute', 'indicative', 1, 'ok', 2.5, 1000,
      1, 2, 3, 'CNY', 0, 0, '1', ${"cd".repeat(32)}, 'bulk', now(), 'real'
    FROM generate_series(1, ${count}) AS n`);
}

let oneSerial = 0;
const insertOne = (db: Db, index = "CTPI", kind: "final" | "indicative" = "indicative") =>
  insertFixing(db, {
    index,
    kind,
    fixingTime: new Date(Date.UTC(2031, 0, 1) + ++oneSerial * 60_000).toISOString(),
    value: "2.500000",
    level: "1000.000000",
    computedAt: "2031-01-01T00:00:00Z",
  });

/** The app over given events, on a real socket, for tests that watch the subscriptions. */
async function serveApp(database: Database, events: FixingEvents, log: string[]) {
  const app = createApp({ db: database.db, signer: testSigner, events, log: (line) => log.push(line) });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
    s.once("listening", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Events that count their open subscriptions. */
function counted(events: FixingEvents): FixingEvents & { open(): number } {
  let open = 0;
  return {
    subscribe(listener, onEnd) {
      open++;
      const unsubscribe = events.subscribe(listener, onEnd);
      let done = false;
      return () => {
        if (!done) open--;
        done = true;
        unsubscribe();
      };
    },
    close: () => events.close(),
    open: () => open,
  };
}

// ---------------------------------------------------------------------------------------

describeEachEngine("GET /v1/stream: event `fixing` with each new fixing or revision, id usable as Last-Event-ID", (ctx) => {
  let server!: TestServer;
  beforeAll(async () => {
    await importWorkedExample(ctx.db);
    server = await serveForTest(ctx.database);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("a fixing computed in this process arrives as event `fixing`: data is the /latest JSON with its signature, id is the revision's id", async () => {
    const s = await openStream(`${server.url}/v1/stream`);
    expect(s.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(s.headers.get("cache-control")).toContain("no-cache");
    expect(s.headers.get("access-control-allow-origin")).toBe("*");
    await s.waitFor("the retry hint", () => s.retries.length === 1);
    expect(s.retries).toEqual([streamTiming.retryMs]);

    const stored = await fix(ctx.db, "CTPI", DAY1);
    const [event] = await s.waitForEvents(1);
    s.close();
    expect(event!.event).toBe("fixing");
    expect(event!.id).toBe(stored.id);
    const latest = await get(`${server.url}/v1/indices/CTPI/latest`);
    expect(event!.data).toBe(latest.text);
    const data = JSON.parse(event!.data);
    expect(data).toMatchObject({ index: "CTPI", fixing_time: DAY1, kind: "final", revision: 1, signature: { kid: testSigner.kid, alg: "Ed25519" } });
    expect(data).not.toHaveProperty("constituents");
    expect(data).not.toHaveProperty("exclusions");
  });

  it("a revision (recompute of the same fixing) is an event of its own, and so is an indicative fixing", async () => {
    const s = await openStream(`${server.url}/v1/stream`);
    await s.waitFor("the retry hint", () => s.retries.length === 1);
    const revised = await fix(ctx.db, "CTPI", DAY1, "final", "operator check");
    const indicative = await fix(ctx.db, "CTPI", "2026-03-03T09:15:00Z", "indicative");
    const events = await s.waitForEvents(2);
    s.close();
    expect(events.map((e) => e.id)).toEqual([revised.id, indicative.id]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ revision: 2, reason: "operator check", kind: "final" });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ kind: "indicative", fixing_time: "2026-03-03T09:15:00Z" });
  });

  it("resume: reconnecting with Last-Event-ID replays exactly the missed revisions, oldest first, then continues live", async () => {
    const first = await openStream(`${server.url}/v1/stream`);
    await first.waitFor("the retry hint", () => first.retries.length === 1);
    await fix(ctx.db, "CTPI", DAY2);
    const [seen] = await first.waitForEvents(1);
    first.close();
    await first.ended;

    const missed = [
      (await fix(ctx.db, "CTPI-IN", DAY1)).id,
      (await fix(ctx.db, "CTPI-OUT", DAY1)).id,
      (await fix(ctx.db, "CTPI", DAY2, "final", "late usage")).id,
    ];
    const again = await openStream(`${server.url}/v1/stream`, { "Last-Event-ID": seen!.id! });
    const replayed = await again.waitForEvents(3);
    expect(replayed.map((e) => e.id)).toEqual(missed);
    expect(JSON.parse(replayed[2]!.data)).toMatchObject({ index: "CTPI", revision: 2, reason: "late usage" });

    const live = await fix(ctx.db, "CTPI-IN", DAY2);
    await again.waitForEvents(4);
    await sleep(200);
    again.close();
    expect(again.events.map((e) => e.id)).toEqual([...missed, live.id]);
  });

  it("?last_event_id= resumes the same for clients that cannot set headers; a Last-Event-ID header wins over it", async () => {
    const all = await idsAfter(ctx.db, "0");
    const fromQuery = await openStream(`${server.url}/v1/stream?last_event_id=${all[0]}`);
    await fromQuery.waitForEvents(all.length - 1);
    await sleep(200);
    fromQuery.close();
    expect(fromQuery.events.map((e) => e.id)).toEqual(all.slice(1));

    const headerWins = await openStream(`${server.url}/v1/stream?last_event_id=0`, { "Last-Event-ID": all[all.length - 2]! });
    await headerWins.waitForEvents(1);
    await sleep(200);
    headerWins.close();
    expect(headerWins.events.map((e) => e.id)).toEqual(all.slice(-1));

    // EventSource sends no id before its first event; an empty one is no id at all.
    const empty = await openStream(`${server.url}/v1/stream`, { "Last-Event-ID": "" });
    await empty.waitFor("the retry hint", () => empty.retries.length === 1);
    await sleep(200);
    empty.close();
    expect(empty.events).toEqual([]);
  });

  it("no gap and no duplicate across the replay/live boundary, over several replay pages with fixings committed meanwhile", async () => {
    const start = await maxFixingId(ctx.db);
    await insertMany(ctx.db, 1_234);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 40 && writing; i++) {
        await insertOne(ctx.db);
        await sleep(i % 4 === 0 ? 5 : 0);
      }
    })();
    const s = await openStream(`${server.url}/v1/stream`, { "Last-Event-ID": start });
    await writer;
    writing = false;
    const expected = await idsAfter(ctx.db, start);
    await s.waitForEvents(expected.length, 20_000);
    await sleep(300);
    s.close();
    const got = s.events.map((e) => e.id!);
    const missing = expected.filter((id) => !got.includes(id));
    const extra = got.filter((id, i) => !expected.includes(id) || got.indexOf(id) !== i);
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect(got).toEqual(expected);
  });

  it("a comment `: heartbeat` arrives at the (injected) interval while nothing happens; by default at least every 20 s", async () => {
    expect(streamTiming.heartbeatMs).toBeLessThanOrEqual(20_000);
    const saved = streamTiming.heartbeatMs;
    streamTiming.heartbeatMs = 40;
    try {
      const s = await openStream(`${server.url}/v1/stream`);
      await s.waitFor("three heartbeats", () => s.comments.length >= 3, 2_000);
      s.close();
      expect(new Set(s.comments)).toEqual(new Set(["heartbeat"]));
      expect(s.events).toEqual([]);
    } finally {
      streamTiming.heartbeatMs = saved;
    }
  });
});

describeEachEngine("GET /v1/stream: ?index= and ?kind= filter the events, live and replayed; unknown values are 400", (ctx) => {
  let server!: TestServer;
  beforeAll(async () => {
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("each stream gets only the fixings its filters select", async () => {
    const start = await maxFixingId(ctx.db);
    const url = `${server.url}/v1/stream`;
    const streams = {
      all: await openStream(url),
      in: await openStream(`${url}?index=CTPI-IN`),
      indicative: await openStream(`${url}?kind=indicative`),
      ctpiFinal: await openStream(`${url}?index=CTPI&kind=final`),
    };
    for (const s of Object.values(streams)) await s.waitFor("the retry hint", () => s.retries.length === 1);
    const ids = {
      ctpiFinal: await insertOne(ctx.db, "CTPI", "final"),
      inIndicative: await insertOne(ctx.db, "CTPI-IN", "indicative"),
      outFinal: await insertOne(ctx.db, "CTPI-OUT", "final"),
      inFinal: await insertOne(ctx.db, "CTPI-IN", "final"),
      ctpiIndicative: await insertOne(ctx.db, "CTPI", "indicative"),
    };
    await streams.all.waitForEvents(5);
    await sleep(300);
    for (const s of Object.values(streams)) s.close();
    const got = (s: StreamClient) => s.events.map((e) => e.id);
    expect(got(streams.all)).toEqual(Object.values(ids));
    expect(got(streams.in)).toEqual([ids.inIndicative, ids.inFinal]);
    expect(got(streams.indicative)).toEqual([ids.inIndicative, ids.ctpiIndicative]);
    expect(got(streams.ctpiFinal)).toEqual([ids.ctpiFinal]);

    const replay = await openStream(`${url}?index=CTPI-IN&kind=final`, { "Last-Event-ID": start });
    await replay.waitForEvents(1);
    await sleep(200);
    replay.close();
    expect(got(replay)).toEqual([ids.inFinal]);
    for (const e of replay.events) expect(JSON.parse(e.data)).toMatchObject({ index: "CTPI-IN", kind: "final" });
  });

  it("an unknown index, a bad kind or a bad event id is a 400 with the error shape, before any stream", async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ["?index=NOPE", {}, /^index: .*NOPE/],
      ["?index=not%20a%20code", {}, /^index: /],
      ["?kind=weekly", {}, /^kind: /],
      ["?last_event_id=abc", {}, /^last_event_id: /],
      ["?last_event_id=99999999999999999999", {}, /^last_event_id: /],
      ["?last_event_id=9223372036854775808", {}, /^last_event_id: .*too large/],
      ["", { "Last-Event-ID": "-1" }, /^last-event-id: /],
      ["", { "Last-Event-ID": "12abc" }, /^last-event-id: /],
    ];
    for (const [query, headers, message] of cases) {
      const res = await get(`${server.url}/v1/stream${query}`, headers);
      expect({ query, headers, status: res.status }).toEqual({ query, headers, status: 400 });
      expect(Object.keys(res.json)).toEqual(["error"]);
      expect(Object.keys(res.json.error).sort()).toEqual(["code", "message"]);
      expect(res.json.error.code).toBe("bad_request");
      expect(res.json.error.message).toMatch(message);
    }
  });

  it("the route is in /openapi.json with a text/event-stream answer and its parameters", async () => {
    const doc = await get(`${server.url}/openapi.json`);
    expect(doc.status).toBe(200);
    const op = doc.json.paths["/v1/stream"].get;
    expect(Object.keys(op.responses["200"].content)).toEqual(["text/event-stream"]);
    expect(op.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual([
      "query:index",
      "query:kind",
      "query:last_event_id",
      "header:last-event-id",
    ]);
  });
});

describeEachEngine("GET /v1/stream: a client that goes away is unsubscribed; closing the server ends open streams", (ctx) => {
  it("the subscription of a stream ends when its client disconnects", async () => {
    const events = counted(await fixingEvents(ctx.database));
    const log: string[] = [];
    const app = await serveApp(ctx.database, events, log);
    try {
      // Other parts of the app may hold subscriptions of their own.
      const others = events.open();
      const streams = await Promise.all([openStream(`${app.url}/v1/stream`), openStream(`${app.url}/v1/stream?last_event_id=0`)]);
      for (const s of streams) await s.waitFor("the retry hint", () => s.retries.length === 1);
      expect(events.open()).toBe(others + 2);
      streams[0]!.close();
      await streams[0]!.waitFor("one subscription left", () => events.open() === others + 1, 2_000);
      streams[1]!.close();
      await streams[1]!.waitFor("no subscription left", () => events.open() === others, 2_000);
      // A stream whose client is gone no longer holds anything: a new fixing reaches nobody and breaks nothing.
      await insertOne(ctx.db);
      await sleep(100);
      expect(log).toEqual([]);
    } finally {
      await app.close();
      await events.close();
    }
  });

  it("a HEAD request subscribes to nothing", async () => {
    const events = counted(await fixingEvents(ctx.database));
    const app = await serveApp(ctx.database, events, []);
    try {
      const others = events.open();
      const res = await fetch(`${app.url}/v1/stream`, { method: "HEAD" });
      expect(res.status).toBe(200);
      await sleep(100);
      expect(events.open()).toBe(others);
    } finally {
      await app.close();
      await events.close();
    }
  });

  it("closing the server ends its open streams at once instead of waiting out the grace period", async () => {
    const server = await serveForTest(ctx.database, { graceMs: 10_000 });
    const s = await openStream(`${server.url}/v1/stream`);
    await s.waitFor("the retry hint", () => s.retries.length === 1);
    const started = Date.now();
    await server.close();
    await s.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.unexpected).toEqual([]);
  });
});

describeEachEngine("fixing events catch up after the listening connection was lost: what was committed meanwhile is delivered once, in order", (ctx) => {
  it("ids committed while notifications were lost come from the table on reconnection, without repeating those already delivered", async () => {
    let muted = false;
    let reconnected: (() => void) | undefined;
    const events = await fixingEvents({
      db: ctx.db,
      listen: (channel, onPayload, onReconnect) => {
        reconnected = onReconnect;
        return ctx.database.listen(channel, (p) => {
          if (!muted) onPayload(p);
        });
      },
    });
    const got: string[] = [];
    events.subscribe((id) => got.push(id));
    try {
      const before = await insertOne(ctx.db);
      await waitUntil(() => got.length === 1);
      muted = true;
      // Twelve, so that the ids cross a decimal digit (1 → 13): ordered as numbers, not text.
      const lost: string[] = [];
      for (let i = 0; i < 12; i++) lost.push(await insertOne(ctx.db));
      await sleep(100);
      expect(got).toEqual([before]);
      muted = false;
      reconnected!();
      // Heard live while the catch-up runs: delivered after the ids it finds, not before.
      const after = await insertOne(ctx.db);
      await waitUntil(() => got.length === 14);
      reconnected!();
      await sleep(100);
      expect(got).toEqual([before, ...lost, after]);
    } finally {
      await events.close();
    }
  });

  it("closing the events ends every subscription once", async () => {
    const events = await fixingEvents(ctx.database);
    let ended = 0;
    events.subscribe(() => {}, () => ended++);
    events.subscribe(() => {}, () => ended++);
    await events.close();
    await events.close();
    expect(ended).toBe(2);
    events.subscribe(() => {}, () => ended++);
    expect(ended).toBe(3);
  });
});

async function waitUntil(ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------
// Between processes: only a Postgres server is shared by several processes.

describe.runIf(engineNames.includes("postgres"))("GET /v1/stream on Postgres: fixings computed by another process reach every API server", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-stream-"));
  let env: NodeJS.ProcessEnv;
  let a: { database: Database; server: TestServer };
  let b: { database: Database; server: TestServer };

  async function apiServer(url: string) {
    const database = await openDatabase({ databaseUrl: url });
    await migrate(database);
    return { database, server: await serveForTest(database) };
  }

  async function cli(...args: string[]) {
    const r = await runCli(args, env);
    expect({ args, code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ args, code: 0, stderr: "" });
    return r;
  }

  beforeAll(async () => {
    env = await freshCliEnv("postgres", tmp);
    await cli("import", "prices", ...workedExampleFiles.sheets);
    await cli("import", "fx", workedExampleFiles.fx);
    await cli("import", "usage", workedExampleFiles.usage);
    a = await apiServer(env.DATABASE_URL!);
    b = await apiServer(env.DATABASE_URL!);
  }, 120_000);

  afterAll(async () => {
    for (const s of [a, b]) {
      if (!s) continue;
      await s.server.close();
      await s.database.close();
      expect(s.server.unexpected).toEqual([]);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("a fixing computed by `ciyuan fix` in a second process arrives on two API servers within 2 s, as the published JSON", async () => {
    const streams = [await openStream(`${a.server.url}/v1/stream`), await openStream(`${b.server.url}/v1/stream`)];
    for (const s of streams) await s.waitFor("the retry hint", () => s.retries.length === 1);
    const printed = await cli("fix", "--index", "CTPI", "--at", DAY1);
    const exited = Date.now();
    const [row] = await rows<{ id: string; computed_at_ms: string }>(
      a.database.db,
      sql`SELECT id::text AS id, (extract(epoch FROM computed_at) * 1000)::bigint::text AS computed_at_ms
          FROM fixings WHERE index_code = 'CTPI' AND fixing_time = ${DAY1}::timestamptz AND kind = 'final'`,
    );
    for (const s of streams) {
      const [event] = await s.waitForEvents(1, Math.max(0, Number(row!.computed_at_ms) + 2_000 - Date.now()));
      s.close();
      expect(event!.id).toBe(row!.id);
      // Delivered at the other process's commit: well within 2 s of its transaction's start.
      expect(event!.at - Number(row!.computed_at_ms)).toBeLessThan(2_000);
      expect(event!.at).toBeLessThanOrEqual(exited + 2_000);
      expect(event!.data).toBe(withoutDetails(printed.stdout));
      expect(JSON.parse(event!.data).signature).toMatchObject({ alg: "Ed25519" });
    }
  }, 60_000);

  it("resume with Last-Event-ID misses nothing: disconnect, `ciyuan backfill` and `ciyuan fix` compute more, reconnect with the last id", async () => {
    const first = await openStream(`${a.server.url}/v1/stream`);
    await first.waitFor("the retry hint", () => first.retries.length === 1);
    await cli("fix", "--index", "CTPI", "--at", DAY2);
    const [seen] = await first.waitForEvents(1, 10_000);
    first.close();
    await first.ended;

    await cli("backfill", "--index", "CTPI-IN", "--from", "2026-03-02", "--to", "2026-03-03");
    await cli("fix", "--index", "CTPI", "--at", DAY2, "--reason", "restated");
    const missed = await idsAfter(a.database.db, seen!.id!);
    expect(missed).toHaveLength(3);

    // On the other server: the id is the database's, good on any API process.
    const again = await openStream(`${b.server.url}/v1/stream`, { "Last-Event-ID": seen!.id! });
    await again.waitForEvents(3);
    await sleep(300);
    again.close();
    expect(again.events.map((e) => e.id)).toEqual(missed);
    expect(again.events.map((e) => JSON.parse(e.data)).map((f) => [f.index, f.fixing_time, f.revision])).toEqual([
      ["CTPI-IN", DAY1, 1],
      ["CTPI-IN", DAY2, 1],
      ["CTPI", DAY2, 2],
    ]);
  }, 60_000);

  it("when the listening connection is lost, it comes back with backoff and what was committed while it was down still reaches both servers, in order", async () => {
    const streams = [await openStream(`${a.server.url}/v1/stream`), await openStream(`${b.server.url}/v1/stream`)];
    for (const s of streams) await s.waitFor("the retry hint", () => s.retries.length === 1);
    // One session opened beforehand writes while the database refuses new connections, so
    // the listeners cannot come back until it is allowed again: nothing can arrive live.
    const writer = new pg.Client({ connectionString: env.DATABASE_URL });
    await writer.connect();
    const writerDb = drizzle({ client: writer }) as unknown as Db;
    // A database's connections are switched off from another one.
    const server = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await server.connect();
    const name = pg.escapeIdentifier(new URL(env.DATABASE_URL!).pathname.slice(1));
    let meanwhile: string[];
    try {
      await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      expect(await killListeners(writerDb)).toBe(2);
      meanwhile = [await insertOne(writerDb, "CTPI", "final"), await insertOne(writerDb, "CTPI-IN", "final")];
      await sleep(500);
      for (const s of streams) expect(s.events).toEqual([]);
    } finally {
      await server.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await server.end();
      await writer.end();
    }
    for (const s of streams) await s.waitForEvents(2, 10_000);
    const later = await insertOne(a.database.db, "CTPI", "final");
    for (const s of streams) {
      await s.waitForEvents(3);
      await sleep(200);
      s.close();
      expect(s.events.map((e) => e.id)).toEqual([...meanwhile, later]);
    }
    const [listening] = await rows<{ n: number }>(
      a.database.db,
      sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${LISTEN_APPLICATION_NAME}`,
    );
    expect(listening!.n).toBe(2);
  }, 30_000);

  it("listenPostgres reconnects after its connection is terminated, LISTENs again and reports it", async () => {
    const payloads: string[] = [];
    let reconnects = 0;
    const unlisten = await listenPostgres(env.DATABASE_URL!, "ciyuan_test", (p) => payloads.push(p), {
      firstRetryMs: 20,
      onReconnect: () => reconnects++,
    });
    try {
      await a.database.db.execute(sql`SELECT pg_notify('ciyuan_test', 'before')`);
      await waitUntil(() => payloads.length === 1);
      expect(await killListeners(a.database.db)).toBe(3);
      await waitUntil(() => reconnects === 1);
      await a.database.db.execute(sql`SELECT pg_notify('ciyuan_test', 'after')`);
      await waitUntil(() => payloads.length === 2);
      expect(payloads).toEqual(["before", "after"]);
    } finally {
      await unlisten();
    }
    // Once unlistened it stays closed: only the two servers' sessions are left, and it reconnects no more.
    await sleep(300);
    const [left] = await rows<{ n: number }>(
      a.database.db,
      sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${LISTEN_APPLICATION_NAME}`,
    );
    expect(left!.n).toBe(2);
    expect(reconnects).toBe(1);
  }, 30_000);
});

/** Terminates every listening session on the database and waits until they are gone; how many there were. */
async function killListeners(db: Db): Promise<number> {
  // Chosen first, terminated next: in one WHERE the planner may call pg_terminate_backend before the other tests.
  const listening = await rows<{ pid: number }>(
    db,
    sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${LISTEN_APPLICATION_NAME}`,
  );
  const pids = listening.map((k) => k.pid);
  await db.execute(sql`SELECT pg_terminate_backend(pid) FROM unnest(${`{${pids.join(",")}}`}::int[]) AS pid`);
  for (;;) {
    const [alive] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY(${`{${pids.join(",")}}`}::int[])`);
    if (alive!.n === 0) return pids.length;
    await sleep(5);
  }
}
