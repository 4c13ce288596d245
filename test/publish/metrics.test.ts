// GET /metrics: Prometheus text from a registry of the app's own — HTTP requests by method,
// route pattern and status; fixing age per index and source runs, read on each scrape.
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Db } from "../../src/db/index.ts";
import { describeEachEngine, freshDatabase } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (comments skipped). */
function parseMetrics(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const requests = (samples: Sample[], labels: Record<string, string>) => value(samples, "ciyuan_http_requests_total", labels) ?? 0;

async function addRun(db: Db, source: string, finishedAt: string, outcome: string) {
  await db.execute(sql`INSERT INTO source_runs (source, kind, started_at, finished_at, outcome)
    VALUES (${source}, 'price-sheet', ${finishedAt}::timestamptz, ${finishedAt}::timestamptz, ${outcome})`);
}

describeEachEngine("GET /metrics: HTTP request counters and latency by route pattern", (ctx) => {
  it("counters and the latency histogram move with each request", async () => {
    const server = await serveForTest(ctx.database);
    try {
      const labels = { method: "GET", route: "/v1/indices", status: "200" };
      const before = await scrape(server.url);
      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/v1/indices`)).status).toBe(200);
      const after = await scrape(server.url);
      expect(requests(after, labels) - requests(before, labels)).toBe(3);
      const count = (s: Sample[]) => value(s, "ciyuan_http_request_duration_seconds_count", labels) ?? 0;
      expect(count(after) - count(before)).toBe(3);
      expect(value(after, "ciyuan_http_request_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(count(after));
      expect(value(after, "ciyuan_http_request_duration_seconds_sum", labels)).toBeGreaterThan(0);
      // The scrape itself is counted, by its own route.
      expect(requests(after, { method: "GET", route: "/metrics", status: "200" })).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("labels a request with its route pattern, never its raw path", async () => {
    const server = await serveForTest(ctx.database);
    try {
      for (const code of ["CTPI", "CTPI-IN", "NOPE"]) await fetch(`${server.url}/v1/indices/${code}/latest`);
      await fetch(`${server.url}/v1/indices/CTPI/fixings/not-a-time`);
      for (let i = 0; i < 5; i++) await fetch(`${server.url}/random-${Math.random().toString(36).slice(2)}/x`);
      await fetch(`${server.url}/v1/indices`, { method: "OPTIONS", headers: { Origin: "http://example.com", "Access-Control-Request-Method": "GET" } });
      const samples = await scrape(server.url);
      const routes = new Set(samples.filter((s) => s.name === "ciyuan_http_requests_total").map((s) => s.labels.route));
      expect(routes).toContain("/v1/indices/{code}/latest");
      expect(routes).toContain("/v1/indices/{code}/fixings/{fixing_time}");
      expect(routes).toContain("unmatched");
      for (const route of routes) expect(route).not.toMatch(/CTPI|NOPE|random|not-a-time/);
      expect(requests(samples, { route: "/v1/indices/{code}/latest", status: "404" })).toBe(3);
      expect(requests(samples, { route: "/v1/indices/{code}/fixings/{fixing_time}", status: "400" })).toBe(1);
      expect(requests(samples, { method: "GET", route: "unmatched", status: "404" })).toBe(5);
      expect(requests(samples, { method: "OPTIONS", status: "204" })).toBe(1);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("keeps a registry per app: two apps in one process count their own requests", async () => {
    const one = await serveForTest(ctx.database);
    const two = await serveForTest(ctx.database);
    try {
      for (let i = 0; i < 2; i++) await fetch(`${one.url}/v1/status`);
      const labels = { method: "GET", route: "/v1/status", status: "200" };
      expect(requests(await scrape(one.url), labels)).toBe(2);
      expect(requests(await scrape(two.url), labels)).toBe(0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("includes the default process metrics", async () => {
    const server = await serveForTest(ctx.database);
    try {
      const names = new Set((await scrape(server.url)).map((s) => s.name));
      expect(names).toContain("process_cpu_seconds_total");
      expect(names).toContain("nodejs_heap_size_used_bytes");
    } finally {
      await server.close();
    }
  });
});

describeEachEngine("GET /metrics: fixing age per index and source runs, read from the database on each scrape", (ctx) => {
  it("gives the age of each index's latest final fixing, and each source's last success and attempt", async () => {
    const database = await ctx.fresh();
    const server = await serveForTest(database);
    try {
      const empty = await scrape(server.url);
      expect(value(empty, "ciyuan_database_up", {})).toBe(1);
      expect(empty.filter((s) => s.name === "ciyuan_fixing_age_seconds")).toEqual([]);

      const fixingTime = new Date(Date.now() - 90 * 60_000).toISOString();
      await insertFixing(database.db, { index: "CTPI", fixingTime, value: "2", level: "1000", computedAt: fixingTime });
      const okAt = "2026-09-30T08:00:00Z";
      await addRun(database.db, "deepseek", okAt, "ok");
      await addRun(database.db, "deepseek", "2026-09-30T09:00:00Z", "failed");
      await addRun(database.db, "never-ok", "2026-09-30T10:00:00Z", "failed");

      const samples = await scrape(server.url);
      const age = value(samples, "ciyuan_fixing_age_seconds", { index: "CTPI" })!;
      expect(age).toBeGreaterThanOrEqual(90 * 60);
      expect(age).toBeLessThan(90 * 60 + 120);
      expect(value(samples, "ciyuan_fixing_age_seconds", { index: "CTPI-IN" })).toBeUndefined();
      expect(value(samples, "ciyuan_source_last_success_timestamp_seconds", { source: "deepseek" })).toBe(Date.parse(okAt) / 1000);
      expect(value(samples, "ciyuan_source_last_success_timestamp_seconds", { source: "never-ok" })).toBeUndefined();
      expect(value(samples, "ciyuan_source_last_attempt_timestamp_seconds", { source: "deepseek", outcome: "failed" })).toBe(
        Date.parse("2026-09-30T09:00:00Z") / 1000,
      );
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });

  it("still answers 200 when the database is down, with ciyuan_database_up 0 and no stale gauges", async () => {
    const database = await freshDatabase(ctx.engine);
    const server = await serveForTest(database);
    try {
      const fixingTime = new Date(Date.now() - 60_000).toISOString();
      await insertFixing(database.db, { index: "CTPI", fixingTime, value: "2", level: "1000", computedAt: fixingTime });
      expect(value(await scrape(server.url), "ciyuan_fixing_age_seconds", { index: "CTPI" })).toBeDefined();
      await database.close();
      const samples = await scrape(server.url);
      expect(value(samples, "ciyuan_database_up", {})).toBe(0);
      expect(value(samples, "ciyuan_fixing_age_seconds", { index: "CTPI" })).toBeUndefined();
      // The first scrape answered 200 (a scrape is counted once it has answered).
      expect(requests(samples, { route: "/metrics", status: "200" })).toBe(1);
    } finally {
      await server.close();
    }
    expect(server.unexpected).toEqual([]);
  });
});
