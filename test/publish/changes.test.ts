// The price-change feed (operations-and-users.md section 7): GET /v1/changes and the
// stream's `price_change` events, computed from the stored sheets: events between two
// consecutive accepted sheets of a provider, its first sheet the baseline.
import { parse as parseCsv } from "csv-parse/sync";
import { sql } from "drizzle-orm";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import fc from "fast-check";
import { parse } from "lossless-json";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { approvePrice } from "../../src/engine/index.ts";
import { importPrices, storeWithdrawal } from "../../src/normalise/index.ts";
import { fixingEvents } from "../../src/publish/events.ts";
import { toJson } from "../../src/publish/json.ts";
import { changeSnapshot, priceChanges, type PriceChange } from "../../src/publish/read/changes.ts";
import { PriceChangeList } from "../../src/publish/routes/v1/changes.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, type SeedModel } from "../support/seed.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get } from "./http.ts";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

// ---------------------------------------------------------------------------------------
// Helpers

/** The whole feed (or a filtered one) from the read model. */
async function feed(db: Db, q: Parameters<typeof priceChanges>[1] = {}): Promise<PriceChange[]> {
  const out: PriceChange[] = [];
  for await (const c of priceChanges(db, q, await changeSnapshot(db))) out.push(c);
  return out;
}

const cell = (v: PriceChange["old"]) =>
  v === null || typeof v === "string" ? v : { input: v.input, cached_input: v.cachedInput, output: v.output };

/** [event, provider, model, component, old, new, change_pct]: what most rules are about. */
const short = (c: PriceChange) => [c.event, c.provider, c.model, c.component, cell(c.old), cell(c.new), c.changePct];

const sheet = (db: Db, provider: string, asOf: string, models: SeedModel[], extra: { currency?: string; unit?: string } = {}) =>
  addSheet(db, { provider, as_of: asOf, models, ...extra });

/** Published JSON with every number as its exact text. */
const exactJson = (text: string): any => parse(text, null, (digits) => digits);

/** A price sheet document as the importers read it. */
const sheetDoc = (head: { provider: string; as_of: string; currency: string; unit: string; country?: string }, models: object[]) =>
  JSON.stringify({ schema: "ciyuan.price-sheet/1", country: "CN", ...head, models });

async function importSheet(db: Db, location: string, text: string): Promise<void> {
  const outcome = await importPrices(db, { location, text });
  expect(outcome.rejected, location).toEqual([]);
}

async function sheetIds(db: Db, provider: string): Promise<string[]> {
  const found = await rows<{ id: string }>(db, sql`SELECT id::text AS id FROM price_sheets WHERE provider = ${provider} ORDER BY as_of, id`);
  return found.map((r) => r.id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------
// The rules, on the read model

describeEachEngine("changes: a provider's first accepted sheet is the baseline and gives no events", (ctx) => {
  it("first sheets of two providers give nothing; the next sheet compares with its own provider's previous one", async () => {
    await sheet(ctx.db, "p", "2026-01-01T00:00:00Z", [{ model: "a", input: "1", output: "2" }]);
    await sheet(ctx.db, "q", "2026-01-01T12:00:00Z", [{ model: "a", input: "5", output: "9" }]);
    expect(await feed(ctx.db)).toEqual([]);
    await sheet(ctx.db, "p", "2026-01-02T00:00:00Z", [{ model: "a", input: "1", output: "3" }]);
    expect((await feed(ctx.db)).map(short)).toEqual([["change", "p", "a", "output", "2", "3", "0.500000"]]);
  });

  it("a sheet with the same prices per 1M tokens (in another unit) gives none: prices compare per 1M tokens", async () => {
    await sheet(ctx.db, "r", "2026-01-01T00:00:00Z", [{ model: "a", input: "2", output: "4" }]);
    await sheet(ctx.db, "r", "2026-01-02T00:00:00Z", [{ model: "a", input: "0.000002", output: "0.000004" }], { unit: "per_token" });
    await sheet(ctx.db, "r", "2026-01-03T00:00:00Z", [{ model: "a", input: "0.002", output: "0.004" }], { unit: "per_1k_tokens" });
    expect(await feed(ctx.db, { provider: "r" })).toEqual([]);
  });
});

describeEachEngine("changes: one `change` per component whose price differs, change_pct = new / old - 1 half-even to 6 places", (ctx) => {
  let changes: PriceChange[];
  let second: string;
  beforeAll(async () => {
    await sheet(ctx.db, "p", "2026-02-01T00:00:00+08:00", [
      { model: "a", input: "1", cached_input: "0.1", output: "2" },
      { model: "b", input: "2", output: "2" },
      { model: "c", input: "0.000002", output: "0.000004", unit: "per_token" },
      { model: "d", input: "3", cached_input: "0.3", output: "3" },
      { model: "e", input: "1", output: "1" },
    ]);
    second = await sheet(ctx.db, "p", "2026-02-02T00:00:00+08:00", [
      { model: "a", input: "1.0000005", cached_input: "0.1", output: "2.000005" },
      { model: "b", input: "2.000003", output: "1.999999" },
      { model: "c", input: "2", output: "3" },
      { model: "d", input: "3", output: "4" },
      { model: "e", input: "1", cached_input: "0.5", output: "1" },
    ]);
    changes = await feed(ctx.db);
  });

  it("gives one event per changed component (input, cached_input, output), oldest first, model by model", () => {
    expect(changes.map(short)).toEqual([
      ["change", "p", "a", "input", "1", "1.0000005", "0.000000"],
      ["change", "p", "a", "output", "2", "2.000005", "0.000002"],
      ["change", "p", "b", "input", "2", "2.000003", "0.000002"],
      ["change", "p", "b", "output", "2", "1.999999", "0.000000"],
      ["change", "p", "c", "output", "4", "3", "-0.250000"],
      ["change", "p", "d", "cached_input", "0.3", null, null],
      ["change", "p", "d", "output", "3", "4", "0.333333"],
      ["change", "p", "e", "cached_input", null, "0.5", null],
    ]);
  });

  it("rounds an exact tie half to even: 0.0000005 -> 0.000000, 0.0000015 -> 0.000002, 0.0000025 -> 0.000002, -0.0000005 -> 0.000000", () => {
    const pct = (model: string, component: string) => changes.find((c) => c.model === model && c.component === component)!.changePct;
    expect(pct("a", "input")).toBe("0.000000"); // half-up would give 0.000001
    expect(pct("b", "input")).toBe("0.000002");
    expect(pct("a", "output")).toBe("0.000002"); // half-up would give 0.000003
    expect(pct("b", "output")).toBe("0.000000"); // away from zero would give -0.000001
  });

  it("names the new sheet, its as_of in ISO UTC, the listed currency, and a component absent on one side as null with change_pct null", () => {
    for (const c of changes) {
      expect(c).toMatchObject({ sheet: second, asOf: "2026-02-01T16:00:00Z", currency: "CNY", held: false, releasedAt: null });
    }
    expect(changes.find((c) => c.model === "d" && c.component === "cached_input")).toMatchObject({ old: "0.3", new: null, changePct: null });
  });
});

describeEachEngine("changes: a change of currency is a change with change_pct null", (ctx) => {
  it("gives each component listed on either side, in the new currency, change_pct null; same-currency moves keep theirs", async () => {
    await sheet(ctx.db, "p", "2026-03-01T00:00:00Z", [
      { model: "m", input: "2", output: "8" },
      { model: "n", input: "1", output: "1", currency: "USD" },
    ]);
    await sheet(ctx.db, "p", "2026-03-02T00:00:00Z", [
      { model: "m", input: "2", output: "1.1", currency: "USD" },
      { model: "n", input: "1.5", output: "1", currency: "USD" },
    ]);
    const changes = await feed(ctx.db);
    expect(changes.map((c) => [...short(c), c.currency])).toEqual([
      ["change", "p", "m", "input", "2", "2", null, "USD"],
      ["change", "p", "m", "output", "8", "1.1", null, "USD"],
      ["change", "p", "n", "input", "1", "1.5", "0.500000", "USD"],
    ]);
  });
});

describeEachEngine("changes: `listed` and `delisted` (component null, the model's prices as new or old); a model that comes back is `listed`", (ctx) => {
  const prices = (input: string | null, cached_input: string | null, output: string | null) => ({ input, cached_input, output });
  it("a model missing from a sheet is delisted there; back on a later sheet it is listed again, never a change", async () => {
    const ids = [
      await sheet(ctx.db, "p", "2026-03-01T00:00:00Z", [{ model: "a", input: "1", output: "2" }, { model: "b", input: "3", cached_input: "0.3", output: "4" }]),
      await sheet(ctx.db, "p", "2026-03-02T00:00:00Z", [{ model: "a", input: "1", output: "2" }]),
      await sheet(ctx.db, "p", "2026-03-03T00:00:00Z", [
        { model: "a", input: "1", output: "2" },
        { model: "b", input: "3", cached_input: "0.3", output: "5" },
        { model: "c", input: "7", output: "9", currency: "USD" },
      ]),
    ];
    const changes = await feed(ctx.db);
    expect(changes.map((c) => [...short(c), c.currency, c.sheet])).toEqual([
      ["delisted", "p", "b", null, prices("3", "0.3", "4"), null, null, "CNY", ids[1]],
      ["listed", "p", "b", null, null, prices("3", "0.3", "5"), null, "CNY", ids[2]],
      ["listed", "p", "c", null, null, prices("7", null, "9"), null, "USD", ids[2]],
    ]);
  });

  it("a withdrawal (a sheet listing nothing) delists every model; the next sheet lists them again", async () => {
    await storeWithdrawal(ctx.db, {
      provider: "p", country: "CN", currency: "CNY", unit: "per_1m_tokens", models: ["a", "b", "c"],
      asOf: "2026-03-04T00:00:00Z", source: "litellm", location: "http://registry.example/", reason: "absent from two fetches",
    });
    await sheet(ctx.db, "p", "2026-03-05T00:00:00Z", [{ model: "a", input: "1", output: "2" }]);
    const later = (await feed(ctx.db, { from: "2026-03-04" })).map(short);
    expect(later).toEqual([
      ["delisted", "p", "a", null, prices("1", null, "2"), null, null],
      ["delisted", "p", "b", null, prices("3", "0.3", "5"), null, null],
      ["delisted", "p", "c", null, prices("7", null, "9"), null, null],
      ["listed", "p", "a", null, null, prices("1", null, "2"), null],
    ]);
  });
});

describeEachEngine("changes: `held` (the 80 % gate held the move when the sheet arrived) and `released_at` (confirmed or approved)", (ctx) => {
  const byKey = (changes: PriceChange[]) => new Map(changes.map((c) => [`${c.asOf.slice(5, 10)} ${c.model} ${c.component ?? c.event}`, c]));
  let approvedAt: string;
  let before: Map<string, PriceChange>;
  let after: Map<string, PriceChange>;
  beforeAll(async () => {
    await sheet(ctx.db, "h", "2026-04-01T00:00:00Z", [
      { model: "w", input: "1", output: "1" },
      { model: "x", input: "2", output: "3" },
      { model: "y", input: "1", output: "1" },
      { model: "z", input: "1", output: "1" },
    ]);
    await sheet(ctx.db, "h", "2026-04-02T00:00:00Z", [
      { model: "w", input: "1", output: "9" },
      { model: "x", input: "2", output: "8" },
      { model: "y", input: "10", output: "1" },
    ]);
    await sheet(ctx.db, "h", "2026-04-03T00:00:00Z", [
      { model: "w", input: "1", output: "1.5" },
      { model: "x", input: "2", output: "8" },
      { model: "y", input: "11", output: "1" },
      { model: "z", input: "10", output: "1" },
    ]);
    await sheet(ctx.db, "h", "2026-04-04T00:00:00Z", [
      { model: "w", input: "1", output: "1.5" },
      { model: "x", input: "2", output: "8" },
      { model: "y", input: "11", output: "1" },
      { model: "z", input: "10", output: "1" },
    ]);
    before = byKey(await feed(ctx.db));
    approvedAt = (await approvePrice(ctx.db, { provider: "h", model: "y", asOf: "2026-04-02T00:00:00Z" })).approvedAt;
    after = byKey(await feed(ctx.db));
  });

  it("a move of more than 80 % confirmed by the next sheet listing the same price: held, released at that sheet's as_of", () => {
    expect(after.get("04-02 x output")).toMatchObject({ old: "3", new: "8", held: true, releasedAt: "2026-04-03T00:00:00Z" });
    // The confirming sheet repeats the price: no event of its own.
    expect([...after.keys()].filter((k) => k.startsWith("04-03 x") || k.startsWith("04-04"))).toEqual([]);
  });

  it("a held move released by an operator approval: released_at is the approval's time; before it, null", () => {
    expect(before.get("04-02 y input")).toMatchObject({ old: "1", new: "10", held: true, releasedAt: null });
    expect(after.get("04-02 y input")).toMatchObject({ held: true, releasedAt: approvedAt });
    // The next move, held against the price still in force when its sheet arrived, is confirmed by the sheet after.
    expect(after.get("04-03 y input")).toMatchObject({ old: "10", new: "11", held: true, releasedAt: "2026-04-04T00:00:00Z" });
  });

  it("a held move superseded by a price within 80 % of the accepted one is never released; that move itself was not held", () => {
    expect(after.get("04-02 w output")).toMatchObject({ old: "1", new: "9", held: true, releasedAt: null });
    expect(after.get("04-03 w output")).toMatchObject({ old: "9", new: "1.5", held: false, releasedAt: null });
  });

  it("a model that comes back more than 80 % off its last accepted price is listed held, released when confirmed", () => {
    expect(after.get("04-02 z delisted")).toMatchObject({ held: false, releasedAt: null });
    expect(after.get("04-03 z listed")).toMatchObject({ held: true, releasedAt: "2026-04-04T00:00:00Z" });
  });

  it("a move within 80 % is not held", () => {
    expect(after.get("04-03 w output")!.held).toBe(false);
  });
});

describeEachEngine("changes: change_pct equals an exact BigInt new / old - 1 rounded half-even to 6 places (fast-check)", (ctx) => {
  type Dec = { units: bigint; scale: number };
  const text = ({ units, scale }: Dec): string => {
    const digits = units.toString().padStart(scale + 1, "0");
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
    return fraction ? `${whole}.${fraction}` : whole;
  };
  const common = (a: Dec, b: Dec): [bigint, bigint] => {
    const s = Math.max(a.scale, b.scale);
    return [a.units * 10n ** BigInt(s - a.scale), b.units * 10n ** BigInt(s - b.scale)];
  };
  /** (new - old) / old, half-even to 6 places, as Postgres numeric text: independent of src/. */
  function pctReference(old: Dec, now: Dec): string {
    const [o, n] = common(old, now);
    const num = (n - o) * 1_000_000n;
    let q = num / o; // truncated toward zero
    const r = num - q * o;
    const twice = 2n * (r < 0n ? -r : r);
    if (twice > o || (twice === o && q % 2n !== 0n)) q += r < 0n ? -1n : 1n;
    const neg = q < 0n;
    const digits = (neg ? -q : q).toString().padStart(7, "0");
    return `${neg ? "-" : ""}${digits.slice(0, -6)}.${digits.slice(-6)}`;
  }
  const dec = fc.record({ units: fc.bigInt({ min: 1n, max: 10n ** 12n }), scale: fc.integer({ min: 0, max: 9 }) });
  // An exact tie: new = old x (1 + (2j + 1) / 2e6) = old x (2e6 + 2j + 1) x 5 / 1e7, so new / old - 1
  // ends in a 5 at the 7th place.
  const tie = fc
    .tuple(dec, fc.bigInt({ min: -999_999n, max: 3_000_000n }))
    .map(([old, j]) => ({ old, now: { units: old.units * (2_000_000n + 2n * j + 1n) * 5n, scale: old.scale + 7 }, tie: true }));
  const anyPair = fc.tuple(dec, dec).map(([old, now]) => ({ old, now, tie: false }));
  const unit = fc.constantFrom(["per_1m_tokens", 0], ["per_1k_tokens", 3], ["per_token", 6]);

  it("for random prices in every unit, and for constructed exact ties", async () => {
    const cases = fc.sample(fc.tuple(fc.oneof(anyPair, tie), unit, unit), { numRuns: 400, seed: 20261208 });
    // As listed: per 1M tokens shifted by the unit's places.
    const listed = (d: Dec, places: number) => text({ units: d.units, scale: d.scale + places });
    const model = (i: number) => `m${String(i).padStart(3, "0")}`;
    // The output is 1 per 1M tokens on both sheets, whatever the units: no event of its own.
    const one: Dec = { units: 1n, scale: 0 };
    const models = (side: "old" | "now", at: 1 | 2) =>
      cases.map((k, i) => {
        const [unitName, places] = k[at] as [string, number];
        return { model: model(i), input: listed(k[0][side], places), output: listed(one, places), unit: unitName };
      });
    await sheet(ctx.db, "prop", "2026-06-01T00:00:00Z", models("old", 1));
    await sheet(ctx.db, "prop", "2026-06-02T00:00:00Z", models("now", 2));
    const events = await feed(ctx.db, { provider: "prop" });
    expect(events.filter((c) => c.component !== "input")).toEqual([]);
    const got = new Map(events.map((c) => [c.model, c]));
    let ties = 0;
    for (const [i, [c]] of cases.entries()) {
      const [o, n] = common(c.old, c.now);
      const event = got.get(model(i));
      if (o === n) {
        expect(event, model(i)).toBeUndefined();
        continue;
      }
      if (c.tie) ties++;
      expect({ model: model(i), old: event?.old, new: event?.new, pct: event?.changePct }).toEqual({
        model: model(i), old: text(c.old), new: text(c.now), pct: pctReference(c.old, c.now),
      });
    }
    expect(ties).toBeGreaterThan(50);
  });
});

// ---------------------------------------------------------------------------------------
// GET /v1/changes

const HYPERLINK = '=HYPERLINK("http://evil.example")';

/** Imported as files are: DeepSeek in CNY (output held, then confirmed; a model delisted, a formula-named one listed), OpenRouter in USD per token. */
async function seedFeed(db: Db): Promise<void> {
  const deepseek = (asOf: string, models: object[]) => sheetDoc({ provider: "deepseek", as_of: asOf, currency: "CNY", unit: "per_1m_tokens" }, models);
  const chat = (input: number, output: number) => ({ model: "deepseek-chat", input, cached_input: 0.2, output });
  const qwen = (input: string) => `{"model":"qwen/qwen-plus","input":${input},"output":0.0000012}`;
  const openrouter = (asOf: string, input: string) =>
    sheetDoc({ provider: "openrouter", country: "US", as_of: asOf, currency: "USD", unit: "per_token" }, []).replace(`"models":[]`, `"models":[${qwen(input)}]`);
  await importSheet(db, "openrouter-0801.json", openrouter("2026-08-01T00:00:00Z", "0.0000004"));
  await importSheet(db, "openrouter-0820.json", openrouter("2026-08-20T00:00:00Z", "0.0000003"));
  await importSheet(db, "deepseek-0901.json", deepseek("2026-09-01T00:00:00+08:00", [chat(2, 3), { model: "deepseek-reasoner", input: 4, output: 16 }]));
  await importSheet(db, "deepseek-0910.json", deepseek("2026-09-10T00:00:00+08:00", [chat(2, 8)]));
  await importSheet(db, "deepseek-0920.json", deepseek("2026-09-20T00:00:00+08:00", [chat(2, 8)]));
  await importSheet(db, "deepseek-0925.json", deepseek("2026-09-25T00:00:00+08:00", [chat(2.5, 8), { model: HYPERLINK, input: 1, output: 1 }]));
  await importSheet(db, "moonshot-0901.json", sheetDoc({ provider: "moonshot", as_of: "2026-09-01T00:00:00Z", currency: "CNY", unit: "per_1m_tokens" }, [{ model: "kimi", input: 4, output: 16 }]));
}

describeEachEngine("GET /v1/changes", (ctx) => {
  let server: TestServer;
  let ds: string[];
  let or: string[];
  const url = (query = "") => `${server.url}/v1/changes${query}`;
  beforeAll(async () => {
    await seedFeed(ctx.db);
    ds = await sheetIds(ctx.db, "deepseek");
    or = await sheetIds(ctx.db, "openrouter");
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  describe("JSON: {\"data\":[...]}, oldest first, each event with exactly the spec's fields and exact numbers", () => {
    it("gives the events of every provider, oldest first, validated by the route's own schema", async () => {
      const r = await get(url());
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(() => PriceChangeList.strict().parse(JSON.parse(r.text))).not.toThrow();
      const data = exactJson(r.text).data;
      for (const item of data) {
        expect(Object.keys(item)).toEqual(["event", "provider", "model", "component", "old", "new", "currency", "change_pct", "as_of", "sheet", "held", "released_at"]);
      }
      expect(data).toEqual([
        { event: "change", provider: "openrouter", model: "qwen/qwen-plus", component: "input", old: "0.4", new: "0.3", currency: "USD",
          change_pct: "-0.250000", as_of: "2026-08-20T00:00:00Z", sheet: or[1], held: false, released_at: null },
        { event: "change", provider: "deepseek", model: "deepseek-chat", component: "output", old: "3", new: "8", currency: "CNY",
          change_pct: "1.666667", as_of: "2026-09-09T16:00:00Z", sheet: ds[1], held: true, released_at: "2026-09-19T16:00:00Z" },
        { event: "delisted", provider: "deepseek", model: "deepseek-reasoner", component: null, old: { input: "4", cached_input: null, output: "16" },
          new: null, currency: "CNY", change_pct: null, as_of: "2026-09-09T16:00:00Z", sheet: ds[1], held: false, released_at: null },
        { event: "listed", provider: "deepseek", model: HYPERLINK, component: null, old: null, new: { input: "1", cached_input: null, output: "1" },
          currency: "CNY", change_pct: null, as_of: "2026-09-24T16:00:00Z", sheet: ds[3], held: false, released_at: null },
        { event: "change", provider: "deepseek", model: "deepseek-chat", component: "input", old: "2", new: "2.5", currency: "CNY",
          change_pct: "0.250000", as_of: "2026-09-24T16:00:00Z", sheet: ds[3], held: false, released_at: null },
      ]);
      // Exact decimals are JSON numbers written digit for digit.
      expect(r.text).toContain(`"change_pct":-0.250000`);
      expect(r.text).toContain(`"old":0.4,"new":0.3`);
    });

    it("is cached like the other lists: an ETag, a 304 on revalidation, a new ETag once a sheet or an approval is stored", async () => {
      const first = await get(url("?provider=moonshot"));
      const etag = first.headers.get("etag")!;
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(exactJson(first.text)).toEqual({ data: [] });
      const again = await fetch(url("?provider=moonshot"), { headers: { "If-None-Match": etag } });
      expect(again.status).toBe(304);
      await importSheet(ctx.db, "moonshot-0910.json", sheetDoc({ provider: "moonshot", as_of: "2026-09-10T00:00:00Z", currency: "CNY", unit: "per_1m_tokens" }, [{ model: "kimi", input: 4, output: 12 }]));
      const changed = await get(url("?provider=moonshot"), { "If-None-Match": etag });
      expect(changed.status).toBe(200);
      expect(changed.headers.get("etag")).not.toBe(etag);
      expect(exactJson(changed.text).data.map((d: { model: string; component: string }) => [d.model, d.component])).toEqual([["kimi", "output"]]);
    });
  });

  describe("filters: from and to on the new sheet's as_of (dates or instants, inclusive), provider, model", () => {
    const got = async (query: string) =>
      exactJson((await get(url(query))).text).data.map((d: any) => `${d.provider} ${d.model} ${d.component ?? d.event} ${d.as_of}`);

    it("from/to as dates (UTC days, `to` through the end of its day) and as instants with Z or an offset, both ends inclusive", async () => {
      expect(await got("?from=2026-09-09&to=2026-09-09&provider=deepseek")).toEqual([
        "deepseek deepseek-chat output 2026-09-09T16:00:00Z",
        "deepseek deepseek-reasoner delisted 2026-09-09T16:00:00Z",
      ]);
      expect(await got("?from=2026-08-20T00:00:00Z&to=2026-09-10T00:00:00%2B08:00")).toEqual([
        "openrouter qwen/qwen-plus input 2026-08-20T00:00:00Z",
        "deepseek deepseek-chat output 2026-09-09T16:00:00Z",
        "deepseek deepseek-reasoner delisted 2026-09-09T16:00:00Z",
      ]);
      expect(await got("?to=2026-08-19")).toEqual([]);
    });

    it("the sheet before `from` is still the previous one: the first event in range compares with it", async () => {
      const [first] = exactJson((await get(url("?from=2026-09-24T16:00:00Z&provider=deepseek"))).text).data;
      expect(first).toMatchObject({ event: "listed", model: HYPERLINK, as_of: "2026-09-24T16:00:00Z" });
      const chat = exactJson((await get(url("?from=2026-09-24&model=deepseek-chat"))).text).data;
      expect(chat).toEqual([expect.objectContaining({ component: "input", old: "2", new: "2.5" })]);
    });

    it("provider and model select exactly; a name nothing lists gives an empty list", async () => {
      expect(await got("?provider=openrouter")).toEqual(["openrouter qwen/qwen-plus input 2026-08-20T00:00:00Z"]);
      expect(await got("?model=deepseek-chat&provider=deepseek")).toEqual([
        "deepseek deepseek-chat output 2026-09-09T16:00:00Z",
        "deepseek deepseek-chat input 2026-09-24T16:00:00Z",
      ]);
      expect(await got(`?model=${encodeURIComponent("qwen/qwen-plus")}`)).toEqual(["openrouter qwen/qwen-plus input 2026-08-20T00:00:00Z"]);
      expect(await got("?provider=nobody")).toEqual([]);
    });
  });

  describe("CSV: ?format=csv or Accept: text/csv, the same columns as the JSON fields, RFC 4180, formulas defused", () => {
    it("has the header row and one row per event, the same values as the JSON", async () => {
      const r = await get(url("?format=csv&provider=deepseek"));
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = r.text.split("\r\n");
      expect(lines[0]).toBe("event,provider,model,component,old,new,currency,change_pct,as_of,sheet,held,released_at");
      expect(lines.at(-1)).toBe("");
      const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      expect(records).toEqual([
        { event: "change", provider: "deepseek", model: "deepseek-chat", component: "output", old: "3", new: "8", currency: "CNY",
          change_pct: "1.666667", as_of: "2026-09-09T16:00:00Z", sheet: ds[1], held: "true", released_at: "2026-09-19T16:00:00Z" },
        { event: "delisted", provider: "deepseek", model: "deepseek-reasoner", component: "", old: "input=4;output=16", new: "", currency: "CNY",
          change_pct: "", as_of: "2026-09-09T16:00:00Z", sheet: ds[1], held: "false", released_at: "" },
        { event: "listed", provider: "deepseek", model: `'${HYPERLINK}`, component: "", old: "", new: "input=1;output=1", currency: "CNY",
          change_pct: "", as_of: "2026-09-24T16:00:00Z", sheet: ds[3], held: "false", released_at: "" },
        { event: "change", provider: "deepseek", model: "deepseek-chat", component: "input", old: "2", new: "2.5", currency: "CNY",
          change_pct: "0.250000", as_of: "2026-09-24T16:00:00Z", sheet: ds[3], held: "false", released_at: "" },
      ]);
    });

    it("a negative change_pct stays a number (not defused); Accept: text/csv gives the same body, with Vary: Accept", async () => {
      const r = await get(url("?format=csv&provider=openrouter"));
      expect(r.text.split("\r\n")[1]).toBe(`change,openrouter,qwen/qwen-plus,input,0.4,0.3,USD,-0.250000,2026-08-20T00:00:00Z,${or[1]},false,`);
      const negotiated = await get(url("?provider=openrouter"), { Accept: "text/csv" });
      expect(negotiated.text).toBe(r.text);
      expect(negotiated.headers.get("vary")).toMatch(/Accept/);
      const empty = await get(url("?format=csv&provider=nobody"));
      expect(empty.text).toBe("event,provider,model,component,old,new,currency,change_pct,as_of,sheet,held,released_at\r\n");
    });
  });

  describe("bad parameters: 400 with the one error shape, naming the parameter", () => {
    it.each([
      ["?from=yesterday", /^from: /],
      ["?to=2026-13-01", /^to: /],
      ["?from=2026-10-01T16:00", /^from: /],
      ["?from=2026-10-02&to=2026-10-01", /^from \(2026-10-02\) is after to \(2026-10-01\)/],
      ["?format=xml", /^format: /],
      ["?provider=", /^provider: /],
      ["?model=a%00b", /^model: .*NUL/],
    ])("%s", async (query, message) => {
      const r = await get(url(query));
      expect(r.status).toBe(400);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(Object.keys(r.json)).toEqual(["error"]);
      expect(r.json.error.code).toBe("bad_request");
      expect(r.json.error.message).toMatch(message);
    });
  });

  describe("the OpenAPI document", () => {
    it("describes the route, its parameters, the PriceChange schema and a JSON and a CSV example", async () => {
      const raw = await get(`${server.url}/openapi.json`);
      const doc = raw.json;
      const op = doc.paths["/v1/changes"].get;
      expect(op.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual([
        "query:from", "query:to", "query:provider", "query:model", "query:format",
      ]);
      expect(Object.keys(op.responses["200"].content)).toEqual(["application/json", "text/csv"]);
      const example = JSON.parse(raw.text).paths["/v1/changes"].get.responses["200"].content["application/json"].example;
      expect(() => PriceChangeList.strict().parse(example)).not.toThrow();
      expect(doc.components.schemas.PriceChange).toBeDefined();
    });
  });
});

// ---------------------------------------------------------------------------------------
// The stream

type Received = EventSourceMessage;

async function openStream(streamUrl: string) {
  const abort = new AbortController();
  const res = await fetch(streamUrl, { signal: abort.signal });
  expect(res.status).toBe(200);
  const events: Received[] = [];
  let retries = 0;
  const parser = createParser({ onEvent: (e) => events.push(e), onRetry: () => retries++ });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // closed
    }
  })();
  await waitUntil("the retry hint", () => retries === 1);
  return { events, close: () => abort.abort() };
}

describeEachEngine("GET /v1/stream: event `price_change` with the same object as /v1/changes, whenever a new accepted sheet gives events", (ctx) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  const doc = (asOf: string, models: object[]) => sheetDoc({ provider: "live", as_of: asOf, currency: "CNY", unit: "per_1m_tokens" }, models);

  it("a baseline sheet sends nothing; the next sheet's events arrive as `price_change`, without an id, as /v1/changes gives them", async () => {
    const s = await openStream(`${server.url}/v1/stream`);
    try {
      await importSheet(ctx.db, "live-1.json", doc("2026-07-01T00:00:00Z", [{ model: "a", input: 1, output: 2 }, { model: "b", input: 1, output: 1 }]));
      await sleep(300);
      expect(s.events).toEqual([]);
      await importSheet(ctx.db, "live-2.json", doc("2026-07-02T00:00:00Z", [{ model: "a", input: 1, output: 5 }, { model: "c", input: 3, output: 3 }]));
      await waitUntil("three price changes", () => s.events.length >= 3);
      await sleep(200);
      const published = exactJson((await get(`${server.url}/v1/changes?provider=live`)).text).data;
      expect(published.map((d: any) => [d.event, d.model, d.component])).toEqual([
        ["change", "a", "output"],
        ["delisted", "b", null],
        ["listed", "c", null],
      ]);
      expect(s.events.map((e) => e.event)).toEqual(["price_change", "price_change", "price_change"]);
      expect(s.events.map((e) => e.id)).toEqual([undefined, undefined, undefined]);
      // The same object, digit for digit.
      const listed = parse((await get(`${server.url}/v1/changes?provider=live`)).text) as { data: unknown[] };
      expect(s.events.map((e) => e.data)).toEqual(listed.data.map((d) => toJson(d)));
      expect(() => PriceChangeList.strict().parse({ data: s.events.map((e) => JSON.parse(e.data)) })).not.toThrow();
    } finally {
      s.close();
    }
  });

  it("a collector's withdrawal of a provider arrives as its models' `delisted` events, on every open stream", async () => {
    const streams = [await openStream(`${server.url}/v1/stream`), await openStream(`${server.url}/v1/stream?index=CTPI&kind=final`)];
    try {
      await storeWithdrawal(ctx.db, {
        provider: "live", country: "CN", currency: "CNY", unit: "per_1m_tokens", models: ["a", "c"],
        asOf: "2026-07-03T00:00:00Z", source: "litellm", location: "http://registry.example/", reason: "absent from two fetches",
      });
      for (const s of streams) {
        await waitUntil("two delistings", () => s.events.length >= 2);
        await sleep(100);
        expect(s.events.map((e) => [e.event, JSON.parse(e.data).event, JSON.parse(e.data).model])).toEqual([
          ["price_change", "delisted", "a"],
          ["price_change", "delisted", "c"],
        ]);
      }
    } finally {
      for (const s of streams) s.close();
    }
  });

  it("sheets accepted while the listening connection was lost are caught up from the table, once each, in order", async () => {
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
    const fixings: string[] = [];
    events.subscribeSheets!((id) => got.push(id));
    events.subscribe((id) => fixings.push(id));
    try {
      await importSheet(ctx.db, "live-4.json", doc("2026-07-04T00:00:00Z", [{ model: "a", input: 1, output: 5 }]));
      await waitUntil("the first sheet", () => got.length === 1);
      muted = true;
      for (const day of ["05", "06", "07"]) await importSheet(ctx.db, `live-${day}.json`, doc(`2026-07-${day}T00:00:00Z`, [{ model: "a", input: 1, output: Number(day) }]));
      await sleep(100);
      expect(got).toHaveLength(1);
      muted = false;
      reconnected!();
      await waitUntil("the missed sheets", () => got.length === 4);
      reconnected!();
      await sleep(100);
      expect(got).toEqual((await sheetIds(ctx.db, "live")).slice(-4));
      expect(fixings).toEqual([]);
    } finally {
      await events.close();
    }
  });
});
