/**
 * Collectors against a local server that serves recorded real files and misbehaves: each
 * failing source is reported with its reason and skipped, the other sources are still
 * collected, and nothing stored before is changed or removed.
 */
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { collectAll, collectSource, type CollectResult } from "../../src/collect/index.ts";
import { rows, type Db } from "../../src/db/index.ts";
import { importFx, importPrices } from "../../src/normalise/index.ts";
import { parseSourcesConfig, type SourceConfig } from "../../src/sources/config.ts";
import { DEEPSEEK_SHEET, ECB_DAILY } from "../normalise/helpers.ts";
import { describeEachEngine } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";

const T = { timeout: 120_000 };
const NOW = new Date("2026-08-01T08:00:00Z");
const SHEET_FILE = "prices/deepseek.2025-12-20.json";
const ECB_FILE = "real/fx/ecb/eurofxref-daily.2026-07-06.xml";
const OPENROUTER_FILE = "real/openrouter/api-v1-models.2026-08-01.json";
const OPENROUTER_PROVIDERS = { stepfun: { provider: "stepfun", country: "CN" }, xiaomi: { provider: "xiaomi", country: "CN" } };

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
  // The real ECB file with its CNY line taken out.
  const noCny = fs.readFileSync(ECB_DAILY, "utf8").replace(/<Cube currency=.CNY.[^>]*\/>/, "");
  server.on("ecb-no-cny", (_req, res) => res.writeHead(200, { "Content-Type": "application/xml" }).end(noCny));
  // An OpenRouter list whose prices are "0", "-1" and "abc" for three providers, good for a fourth.
  const model = (id: string, prompt: string) => ({ id, architecture: { modality: "text->text" }, pricing: { prompt, completion: "0.000001" } });
  const badRegistry = JSON.stringify({ data: [model("zero/m", "0"), model("minus/m", "-1"), model("letters/m", "abc"), model("good/m", "0.0000002")] });
  server.on("bad-registry", (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(badRegistry));
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/** A source as the config file would give it: fast timeouts and backoff for the tests. */
function source(name: string, kind: SourceConfig["kind"], path: string, extra: Record<string, unknown> = {}): SourceConfig {
  const providers = kind === "openrouter" || kind === "litellm" ? { providers: OPENROUTER_PROVIDERS } : {};
  const doc = { schema: "ciyuan.sources/1", sources: [{ name, kind, url: server.url(path), timeout_ms: 2000, retries: 2, backoff_ms: 20, ...providers, ...extra }] };
  return parseSourcesConfig("test", doc).sources[0]!;
}

/** The sources that work, collected alongside each misbehaving one. */
const healthy = () => [source("ecb", "ecb", `/files/${ECB_FILE}`), source("openrouter", "openrouter", `/files/${OPENROUTER_FILE}`)];

type Snapshot = Record<string, string[]>;

/** Every stored input row, as text: ids and the values that matter. */
async function snapshot(db: Db): Promise<Snapshot> {
  const queries = {
    price_sheets: sql`select concat_ws('|', id, provider, as_of, content_sha256) as r from price_sheets`,
    sheet_models: sql`select concat_ws('|', sheet_id, model, input, cached_input, output) as r from sheet_models`,
    fx_rates: sql`select concat_ws('|', id, currency, cny_per_unit, as_of) as r from fx_rates`,
    usage_records: sql`select concat_ws('|', id, provider, model, version, input_tokens, output_tokens) as r from usage_records`,
    quarantine: sql`select concat_ws('|', id, reason) as r from quarantine`,
    payloads: sql`select concat_ws('|', id, sha256) as r from payloads`,
  };
  const out: Snapshot = {};
  for (const [table, query] of Object.entries(queries)) out[table] = (await rows<{ r: string }>(db, query)).map((x) => x.r).sort();
  return out;
}

function expectNothingChangedOrRemoved(before: Snapshot, after: Snapshot): void {
  for (const [table, kept] of Object.entries(before)) expect(after[table], table).toEqual(expect.arrayContaining(kept));
}

async function seed(db: Db): Promise<void> {
  await importPrices(db, { location: DEEPSEEK_SHEET, text: fs.readFileSync(DEEPSEEK_SHEET, "utf8") });
  await importFx(db, { location: "usd.json", text: `{"schema":"ciyuan.fx/1","rates":[{"currency":"USD","cny_per_unit":7.1234,"as_of":"2026-01-01T00:00:00+08:00"}]}` });
}

async function runs(db: Db, name: string) {
  return rows<{ outcome: string; detail: string; payload_id: string | null }>(
    db,
    sql`select outcome, detail, payload_id from source_runs where source = ${name} order by id`,
  );
}

describeEachEngine("a source that fails is reported and skipped: the others still run, and nothing stored before is changed or removed", (ctx) => {
  /** Seeds a fresh database, collects the healthy sources plus `bad`, checks the common promises. */
  async function collectWith(bad: SourceConfig): Promise<{ db: Db; result: CollectResult; all: CollectResult[] }> {
    const { db } = await ctx.fresh();
    await seed(db);
    const before = await snapshot(db);
    const all = await collectAll(db, [...healthy(), bad], { now: NOW });
    expect(all.map((r) => r.source)).toEqual(["ecb", "openrouter", bad.name]);
    expect(all[0]).toMatchObject({ outcome: "ok", detail: expect.stringMatching(/^\d+ rates$/) });
    expect(all[1]).toMatchObject({ outcome: "ok", detail: "2 sheets" });
    const [stepfun] = await rows<{ n: string }>(db, sql`select count(*) as n from price_sheets where provider in ('stepfun', 'xiaomi')`);
    expect(stepfun!.n).toBe("2");
    expectNothingChangedOrRemoved(before, await snapshot(db));
    expect((await runs(db, bad.name)).map((r) => r.outcome)).toEqual([all[2]!.outcome]);
    return { db, result: all[2]!, all };
  }

  it("500 then 200: retried, and collected", T, async () => {
    const { result } = await collectWith(source("flaky", "price-sheet", `/flaky/1/${SHEET_FILE}`));
    expect(result).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(server.attempts(`/flaky/1/${SHEET_FILE}`)).toBe(2);
  });

  it("404: not retried, failed with the status", T, async () => {
    const { result } = await collectWith(source("gone", "price-sheet", "/status/404"));
    expect(result).toMatchObject({ outcome: "failed", detail: "HTTP 404" });
    expect(server.attempts("/status/404")).toBe(1);
  });

  it("a hang past the timeout: failed as a timeout", T, async () => {
    const { result } = await collectWith(source("hang", "litellm", "/hang", { timeout_ms: 200, retries: 0 }));
    expect(result).toMatchObject({ outcome: "failed", detail: "timeout after 200 ms" });
  });

  it("a truncated body: failed, nothing imported", T, async () => {
    const { result } = await collectWith(source("cut", "price-sheet", "/truncated", { retries: 0 }));
    expect(result.outcome).toBe("failed");
    expect(result.detail).toMatch(/^truncated body/);
  });

  it("a body over max_bytes: failed as too large", T, async () => {
    const { result } = await collectWith(source("huge", "fx", "/big/50000", { max_bytes: 1000 }));
    expect(result).toMatchObject({ outcome: "failed", detail: "body over 1000 bytes" });
    expect(server.attempts("/big/50000")).toBe(1);
  });

  it("HTML instead of JSON: a parse error with a clear reason, nothing quarantined", T, async () => {
    const { db, result } = await collectWith(source("portal", "price-sheet", "/html"));
    expect(result.outcome).toBe("failed");
    expect(result.detail).toBe(`parse: ${server.url("/html")}: got HTML (text/html; charset=utf-8), expected JSON or CSV`);
    const [q] = await rows<{ n: string }>(db, sql`select count(*) as n from quarantine`);
    expect(q!.n).toBe("0");
  });

  it("HTML instead of a registry's JSON: a parse error", T, async () => {
    const { result } = await collectWith(source("portal-registry", "litellm", "/html"));
    expect(result).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/got HTML .*expected JSON$/) });
  });

  it("a redirect loop: failed, not followed forever", T, async () => {
    const { result } = await collectWith(source("loop", "ecb", "/loop"));
    expect(result).toMatchObject({ outcome: "failed", detail: "too many redirects" });
    expect(server.attempts("/loop")).toBeLessThanOrEqual(6);
  });

  it("a registry with a price of \"0\", \"-1\" or \"abc\": those models skipped with their reasons, the good one stored, nothing quarantined", T, async () => {
    const providers = {
      zero: { provider: "zero", country: "CN" },
      minus: { provider: "minus", country: "CN" },
      letters: { provider: "letters", country: "CN" },
      good: { provider: "good", country: "CN" },
    };
    const { db, result } = await collectWith(source("bad-registry", "openrouter", "/bad-registry", { providers }));
    expect(result).toMatchObject({ outcome: "ok", detail: "1 sheet, 3 skipped" });
    const stored = await rows<{ provider: string }>(db, sql`select provider from price_sheets where provider in ('zero', 'minus', 'letters', 'good')`);
    expect(stored.map((r) => r.provider)).toEqual(["good"]);
    const held = await rows<{ provider: string }>(db, sql`select distinct provider from quarantine order by provider`);
    expect(held).toEqual([]);
    const [run] = await rows<{ skipped: string }>(db, sql`select skipped::text as skipped from source_runs where source = 'bad-registry'`);
    expect(JSON.parse(run!.skipped)).toEqual([
      { provider: "letters", model: "m", reason: 'pricing.prompt "abc": not a number' },
      { provider: "minus", model: "m", reason: 'pricing.prompt "-1": not a number > 0' },
      { provider: "zero", model: "m", reason: "pricing.prompt is 0: a placeholder, not a price" },
    ]);
  });

  it("an ECB file without CNY: failed, no rate stored from it", T, async () => {
    const { db, result } = await collectWith(source("ecb-no-cny", "ecb", "/ecb-no-cny"));
    expect(result.outcome).toBe("failed");
    expect(result.detail).toMatch(/^parse: .*CNY/);
    const [n] = await rows<{ n: string }>(db, sql`select count(*) as n from fx_rates where source = 'ecb-no-cny'`);
    expect(n!.n).toBe("0");
  });
});

describeEachEngine("conditional GET: the second collection sends the last ETag and a 304 is recorded as not modified", (ctx) => {
  it("200 then 304 Not Modified, pointing at the payload of the last success; nothing stored twice", T, async () => {
    const { db } = await ctx.fresh();
    const sheet = source("deepseek", "price-sheet", `/files/${SHEET_FILE}`);
    const first = await collectSource(db, sheet, { now: NOW });
    expect(first).toMatchObject({ outcome: "ok", detail: "1 sheet" });
    const before = await snapshot(db);
    const second = await collectSource(db, sheet, { now: new Date(NOW.getTime() + 1_800_000) });
    expect(second).toEqual({ source: "deepseek", outcome: "not_modified", detail: "not modified", payloadId: first.payloadId });
    const requests = server.requestsTo(`/files/${SHEET_FILE}`);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.headers["if-none-match"]).toBeUndefined();
    expect(requests[1]!.headers["if-none-match"]).toBe(server.etagOf(SHEET_FILE));
    expect(await snapshot(db)).toEqual(before);
    expect((await runs(db, "deepseek")).map((r) => r.outcome)).toEqual(["ok", "not_modified"]);
  });

  it("the raw body is kept with its source, URL, HTTP status and sha256", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source("ecb", "ecb", `/files/${ECB_FILE}`), { now: NOW });
    expect(result.outcome).toBe("ok");
    const [p] = await rows<{ source: string; location: string; http_status: number; sha256: string; kind: string }>(
      db,
      sql`select source, location, http_status, sha256, kind from payloads where id = ${result.payloadId}::bigint`,
    );
    expect(p).toMatchObject({ source: "ecb", location: server.url(`/files/${ECB_FILE}`), http_status: 200, kind: "fx" });
    expect(p!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [rates] = await rows<{ n: string }>(db, sql`select count(*) as n from fx_rates where payload_id = ${result.payloadId}::bigint`);
    expect(Number(rates!.n)).toBeGreaterThan(0);
  });

  it("a registry collected again with unchanged content stores no new sheet", T, async () => {
    const { db } = await ctx.fresh();
    // No validators sent: a server without ETag support gives a 200 each time.
    const registry = source("openrouter", "openrouter", `/redirect/1/${OPENROUTER_FILE}`);
    expect(await collectSource(db, registry, { now: NOW })).toMatchObject({ outcome: "ok", detail: "2 sheets" });
    await db.execute(sql`delete from meta where key like 'collect.validators.%'`);
    const later = await collectSource(db, registry, { now: new Date(NOW.getTime() + 3_600_000) });
    expect(later).toMatchObject({ outcome: "ok", detail: "0 sheets, 2 unchanged" });
  });
});
