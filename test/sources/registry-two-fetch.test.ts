/**
 * METHODOLOGY "Registries: nothing leaves on one fetch", collected over HTTP from a local
 * server whose registry (OpenRouter's format) changes between fetches.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { collectSource, type CollectResult } from "../../src/collect/index.ts";
import { rows, type Db } from "../../src/db/index.ts";
import { computeFixing, heldPrices } from "../../src/engine/index.ts";
import { importPrices } from "../../src/normalise/index.ts";
import { parseSourcesConfig, type SourceConfig } from "../../src/sources/config.ts";
import { describeEachEngine } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";
import { addFx, addUsage, day, fixingRows } from "../support/seed.ts";
import { tamper } from "../support/tamper.ts";

const T = { timeout: 120_000 };
const START = Date.parse("2026-08-01T08:00:00Z");
/** The n-th collection time, one hour apart. */
const fetchTime = (n: number) => new Date(START + (n - 1) * 3_600_000);

type Entry = { id: string; prompt?: string; completion?: string };

let server: MisbehavingServer;
/** What the registry lists right now; tests change it between fetches. */
let listed: Entry[] = [];
let failNext = false;
/** Off: every fetch is a 200, as from a registry without validators. */
let withEtag = false;

beforeAll(async () => {
  server = await startMisbehavingServer();
  server.on("registry", (req, res) => {
    if (failNext) {
      failNext = false;
      return res.writeHead(503).end("unavailable");
    }
    const body = JSON.stringify({
      data: listed.map((e) => ({
        id: e.id,
        architecture: { modality: "text->text" },
        pricing: { prompt: e.prompt ?? "0.0000002", completion: e.completion ?? "0.0000008" },
      })),
    });
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    if (!withEtag) return res.writeHead(200, { "Content-Type": "application/json" }).end(body);
    if (req.headers["if-none-match"] === etag) return res.writeHead(304, { ETag: etag }).end();
    res.writeHead(200, { "Content-Type": "application/json", ETag: etag }).end(body);
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  listed = [];
  failNext = false;
  withEtag = false;
});

function registry(): SourceConfig {
  const doc = {
    schema: "ciyuan.sources/1",
    sources: [
      {
        name: "openrouter",
        kind: "openrouter",
        url: server.url("/registry"),
        timeout_ms: 2000,
        retries: 0,
        providers: { stepfun: { provider: "stepfun", country: "CN" }, xiaomi: { provider: "xiaomi", country: "CN" } },
      },
    ],
  };
  return parseSourcesConfig("test", doc).sources[0]!;
}

/** Collection n of the registry, listing `entries`. */
async function fetchNo(db: Db, n: number, entries: Entry[]): Promise<CollectResult> {
  listed = entries;
  return collectSource(db, registry(), { now: fetchTime(n) });
}

/** The models on the provider's sheet in force at `at`, or null with no sheet. */
async function modelsInForce(db: Db, provider: string, at: Date): Promise<string[] | null> {
  const [sheet] = await rows<{ id: string }>(
    db,
    sql`select id from price_sheets where provider = ${provider} and as_of <= ${at.toISOString()}::timestamptz order by as_of desc, id desc limit 1`,
  );
  if (!sheet) return null;
  const models = await rows<{ model: string }>(db, sql`select model from sheet_models where sheet_id = ${sheet.id}::bigint order by model`);
  return models.map((m) => m.model);
}

const sheetCount = async (db: Db, provider: string) =>
  Number((await rows<{ n: string }>(db, sql`select count(*) as n from price_sheets where provider = ${provider}`))[0]!.n);

const A = { id: "stepfun/a" };
const B = { id: "stepfun/b" };
const X = { id: "xiaomi/x" };

describeEachEngine("Registries: a model absent from one fetch stays listed; absent from two consecutive successful fetches it is delisted", (ctx) => {
  it("absent once: carried at its last price, nothing stored; absent twice: the provider's next sheet leaves it out", T, async () => {
    const { db } = await ctx.fresh();
    expect(await fetchNo(db, 1, [A, B, X])).toMatchObject({ outcome: "ok", detail: "2 sheets" });
    expect(await fetchNo(db, 2, [A, X])).toMatchObject({ outcome: "ok", detail: "0 sheets, 2 unchanged, carried once: stepfun/b" });
    expect(await modelsInForce(db, "stepfun", fetchTime(2))).toEqual(["a", "b"]);
    expect(await fetchNo(db, 3, [A, X])).toMatchObject({ outcome: "ok", detail: "1 sheet, 1 unchanged" });
    expect(await modelsInForce(db, "stepfun", fetchTime(3))).toEqual(["a"]);
  });

  it("a price that moves while the model is carried is taken for the models still listed", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, B, X]);
    const result = await fetchNo(db, 2, [{ ...A, prompt: "0.00000021" }, X]);
    expect(result.detail).toBe("1 sheet, 1 unchanged, carried once: stepfun/b");
    expect(await modelsInForce(db, "stepfun", fetchTime(2))).toEqual(["a", "b"]);
    const prices = await rows<{ model: string; input: string }>(
      db,
      sql`select m.model, m.input::text from sheet_models m join price_sheets s on s.id = m.sheet_id
          where s.provider = 'stepfun' and s.as_of = ${fetchTime(2).toISOString()}::timestamptz order by m.model`,
    );
    expect(prices).toEqual([{ model: "a", input: "0.21" }, { model: "b", input: "0.2" }]);
  });

  it("absent, back, absent again: never two consecutive absences, never delisted", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, B, X]);
    await fetchNo(db, 2, [A, X]);
    await fetchNo(db, 3, [A, B, X]);
    await fetchNo(db, 4, [A, X]);
    expect(await modelsInForce(db, "stepfun", fetchTime(4))).toEqual(["a", "b"]);
    expect(await sheetCount(db, "stepfun")).toBe(1);
  });
});

describeEachEngine("Registries: a mapped provider absent from two consecutive successful fetches is withdrawn", (ctx) => {
  it("absent once: its sheet stays in force; absent twice: an empty sheet withdraws it; back: a new sheet", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    expect(await fetchNo(db, 2, [A])).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(2))).toEqual(["x"]);
    expect(await fetchNo(db, 3, [A])).toMatchObject({ outcome: "ok", detail: "1 sheet, 1 unchanged, withdrawn: xiaomi" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(3))).toEqual([]);
    const [withdrawal] = await rows<{ raw: string; country: string }>(
      db,
      sql`select raw, country from price_sheets where provider = 'xiaomi' order by as_of desc limit 1`,
    );
    expect(withdrawal!.country).toBe("CN");
    expect(JSON.parse(withdrawal!.raw)).toMatchObject({
      models: [],
      withdrawn: { source: "openrouter", reason: "absent from two consecutive successful fetches", models: ["x"] },
    });
    // Withdrawn once is enough.
    expect(await fetchNo(db, 4, [A])).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(await sheetCount(db, "xiaomi")).toBe(2);
    expect(await fetchNo(db, 5, [A, X])).toMatchObject({ outcome: "ok", detail: "1 sheet, 1 unchanged" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(5))).toEqual(["x"]);
  });

  it("a fixing after the withdrawal excludes the provider's models as delisted; one before the second absence keeps them", T, async () => {
    const { db } = await ctx.fresh();
    await addFx(db, "USD", "7.1", "2026-07-01T00:00:00Z");
    for (const [provider, model] of [["stepfun", "a"], ["xiaomi", "x"]] as const) {
      await addUsage(db, day(provider, model, "2026-08-01T00:00:00Z", "1000000", "500000"));
    }
    await fetchNo(db, 1, [A, X]);
    await fetchNo(db, 2, [A]);
    await fetchNo(db, 3, [A]);
    const before = await computeFixing(db, { index: "CTPI", at: new Date(fetchTime(2).getTime() + 1_800_000).toISOString(), kind: "indicative" });
    const after = await computeFixing(db, { index: "CTPI", at: new Date(fetchTime(3).getTime() + 1_800_000).toISOString(), kind: "indicative" });
    expect((await fixingRows(db, before.id)).constituents.map((c) => c.model)).toEqual(["a", "x"]);
    const withdrawn = await fixingRows(db, after.id);
    expect(withdrawn.constituents.map((c) => c.model)).toEqual(["a"]);
    expect(withdrawn.exclusions).toContainEqual({ provider: "xiaomi", model: "x", reason: "delisted" });
  });

  it("a failed fetch in between does not count: only successful fetches are consecutive", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    await fetchNo(db, 2, [A]);
    failNext = true;
    expect(await fetchNo(db, 3, [A])).toMatchObject({ outcome: "failed", detail: "HTTP 503" });
    expect(await fetchNo(db, 4, [A])).toMatchObject({ detail: "1 sheet, 1 unchanged, withdrawn: xiaomi" });
  });

  it("a fetch with none of the mapped providers fails, withdraws nothing and does not count as an absence", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    const empty = await fetchNo(db, 2, [{ id: "someone-else/z" }]);
    expect(empty.outcome).toBe("failed");
    expect(empty.detail).toMatch(/none of the mapped providers \(stepfun, xiaomi\) is in the registry/);
    expect(await fetchNo(db, 3, [A])).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(3))).toEqual(["x"]);
  });

  it("a previous body on record that no longer reads counts as no previous fetch: nothing is withdrawn on its evidence", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    await fetchNo(db, 2, [A]);
    const [last] = await rows<{ payload_id: string }>(db, sql`select payload_id from source_runs where outcome = 'ok' order by id desc limit 1`);
    // Payloads are append-only; this stands for a body the parser no longer reads.
    await tamper(db, sql`update payloads set content = 'not a registry' where id = ${last!.payload_id}::bigint`);
    expect(await fetchNo(db, 3, [A])).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(3))).toEqual(["x"]);
  });

  it("a provider whose latest sheet came from elsewhere (a file) is never withdrawn by the registry", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    const sheet = { schema: "ciyuan.price-sheet/1", provider: "xiaomi", country: "CN", as_of: "2026-08-01T08:30:00Z", currency: "CNY", unit: "per_1m_tokens", models: [{ model: "x", input: 1, output: 4 }] };
    expect((await importPrices(db, { location: "xiaomi.json", text: JSON.stringify(sheet) })).stored).toBe(1);
    await fetchNo(db, 2, [A]);
    expect(await fetchNo(db, 3, [A])).toMatchObject({ outcome: "ok", detail: "0 sheets, 1 unchanged" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(3))).toEqual(["x"]);
  });

  it("a 304 Not Modified is a fetch that lists what it listed before: it makes the second absence", T, async () => {
    const { db } = await ctx.fresh();
    withEtag = true;
    await fetchNo(db, 1, [A, X]);
    await fetchNo(db, 2, [A]);
    const third = await fetchNo(db, 3, [A]);
    expect(server.requestsTo("/registry").at(-1)!.headers["if-none-match"]).toBeDefined();
    expect(third).toMatchObject({ outcome: "not_modified", detail: "not modified, 1 sheet, withdrawn: xiaomi" });
    expect(await modelsInForce(db, "xiaomi", fetchTime(3))).toEqual([]);
  });
});

describeEachEngine("Registries: a held price is confirmed by the next fetch that lists it again", (ctx) => {
  const jumped = { ...A, prompt: "0.000001" }; // 0.2 -> 1 USD per 1M: a move of 400 %

  it("the unchanged sheet is stored again while it has a held price, so the hold is confirmed from that fetch on", T, async () => {
    const { db } = await ctx.fresh();
    await fetchNo(db, 1, [A, X]);
    expect((await fetchNo(db, 2, [jumped, X])).detail).toBe("1 sheet, 1 unchanged");
    const held = await heldPrices(db, fetchTime(2).toISOString());
    expect(held.map((h) => [h.provider, h.model, h.component, h.heldPrice])).toEqual([["stepfun", "a", "input", "1"]]);
    expect((await fetchNo(db, 3, [jumped, X])).detail).toBe("1 sheet, 1 unchanged");
    expect(await heldPrices(db, fetchTime(3).toISOString())).toEqual([]);
    // Confirmed: the same content is not stored a third time.
    expect((await fetchNo(db, 4, [jumped, X])).detail).toBe("0 sheets, 2 unchanged");
    expect(await sheetCount(db, "stepfun")).toBe(3);
  });

  it("a 304 after the move confirms it the same way", T, async () => {
    const { db } = await ctx.fresh();
    withEtag = true;
    await fetchNo(db, 1, [A, X]);
    await fetchNo(db, 2, [jumped, X]);
    expect(await fetchNo(db, 3, [jumped, X])).toMatchObject({ outcome: "not_modified", detail: "not modified, 1 sheet" });
    expect(await heldPrices(db, fetchTime(3).toISOString())).toEqual([]);
  });
});

