import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import type { Db } from "../../src/db/index.ts";
import { approvePrice } from "../../src/engine/index.ts";
import { importFx, importPrices } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get, n } from "./http.ts";

// OpenRouter-style model ids with "/" and ":", and their USD per-token prices, as the real
// OpenRouter models API listed them (test/fixtures/README.md, "Researcher routes").
const QWEN = "qwen/qwen-plus-2025-07-28:thinking";
const V4_PRO = "deepseek/deepseek-v4-pro";

// Prices are written as JSON number text (0.0000004, not JSON.stringify's 4e-7), as sheets carry them.
const sheet = (head: object, models: string) =>
  JSON.stringify({ schema: "ciyuan.price-sheet/1", ...head, models: [] }).replace(`"models":[]`, `"models":${models}`);

/** DeepSeek in CNY (output tripled, then confirmed, then an input 10x move approved); OpenRouter in USD per token. */
async function seedPrices(db: Db): Promise<void> {
  const deepseek = (asOf: string, models: string) =>
    sheet({ provider: "deepseek", country: "CN", as_of: asOf, currency: "CNY", unit: "per_1m_tokens" }, models);
  const openrouter = (asOf: string, models: string) =>
    sheet({ provider: "openrouter", country: "US", as_of: asOf, currency: "USD", unit: "per_token" }, models);
  const chat = (input: string, output: string) => `{"model":"deepseek-chat","input":${input},"cached_input":0.2,"output":${output}}`;
  const qwen = `{"model":"${QWEN}","input":0.0000004,"output":0.0000012}`;
  const files: [string, string][] = [
    ["deepseek-0901.json", deepseek("2026-09-01T00:00:00+08:00", `[${chat("2", "3")},{"model":"deepseek-reasoner","input":4,"output":16}]`)],
    ["deepseek-0910.json", deepseek("2026-09-10T00:00:00+08:00", `[${chat("2", "8")}]`)],
    ["deepseek-0920.json", deepseek("2026-09-20T00:00:00+08:00", `[${chat("2", "8")}]`)],
    ["deepseek-0925.json", deepseek("2026-09-25T00:00:00+08:00", `[${chat("20", "8")}]`)],
    ["openrouter-0801.json", openrouter("2026-08-01T00:00:00Z", `[${qwen},{"model":"${V4_PRO}","input":0.000000435,"cached_input":0.000000003625,"output":0.00000087}]`)],
    ["openrouter-0820.json", openrouter("2026-08-20T00:00:00Z", `[${qwen}]`)],
    ["euro-0801.json", sheet({ provider: "euro-ai", country: "FR", as_of: "2026-08-01T00:00:00Z", currency: "EUR", unit: "per_1k_tokens" }, `[{"model":"=cmd|calc","input":0.5,"output":1.5}]`)],
    ["moonshot-2099.json", sheet({ provider: "moonshot", country: "CN", as_of: "2099-01-01T00:00:00+08:00", currency: "CNY", unit: "per_1m_tokens" }, `[{"model":"kimi-k9","input":4,"output":16}]`)],
  ];
  for (const [location, text] of files) {
    const outcome = await importPrices(db, { location, text });
    expect(outcome.rejected, location).toEqual([]);
  }
  await importFx(db, { location: "fx.csv", text: "currency,cny_per_unit,as_of\nUSD,7.1,2026-07-31T00:00:00Z\nUSD,7.2,2026-08-15T00:00:00Z\n" });
  await approvePrice(db, { provider: "deepseek", model: "deepseek-chat", asOf: "2026-09-25T00:00:00+08:00" });
}

function served(ctx: { readonly db: Db; readonly database: import("../../src/db/index.ts").Database }) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    await seedPrices(ctx.db);
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return () => server!.url;
}

const prices = (provider: string, model: string, query = "") =>
  `/v1/models/${encodeURIComponent(provider)}/${encodeURIComponent(model)}/prices${query}`;

describeEachEngine("publish: GET /v1/models", (ctx) => {
  const base = served(ctx);

  describe("the models ever listed, from the price sheets", () => {
    it("lists every (provider, model) ever on an accepted sheet, by provider then model", async () => {
      const r = await get(`${base()}/v1/models`);
      expect(r.status).toBe(200);
      expect(r.json.data.map((m: { provider: string; model: string }) => `${m.provider} ${m.model}`)).toEqual([
        "deepseek deepseek-chat",
        "deepseek deepseek-reasoner",
        "euro-ai =cmd|calc",
        "moonshot kimi-k9",
        `openrouter ${V4_PRO}`,
        `openrouter ${QWEN}`,
      ]);
    });

    it("gives country, first and last listed as_of, how many sheets list it, and whether it is listed now", async () => {
      const r = await get(`${base()}/v1/models`);
      const by = (model: string) => r.json.data.find((m: { model: string }) => m.model === model);
      expect(Object.keys(by("deepseek-chat"))).toEqual([
        "provider", "model", "country", "first_listed_as_of", "last_listed_as_of", "sheet_count", "listed", "prices",
      ]);
      expect(by("deepseek-chat")).toMatchObject({
        country: "CN", first_listed_as_of: "2026-08-31T16:00:00Z", last_listed_as_of: "2026-09-24T16:00:00Z", sheet_count: 4, listed: true,
      });
      // Absent from the provider's later sheets: delisted, no longer listed.
      expect(by("deepseek-reasoner")).toMatchObject({ first_listed_as_of: "2026-08-31T16:00:00Z", last_listed_as_of: "2026-08-31T16:00:00Z", sheet_count: 1, listed: false });
      expect(by(V4_PRO)).toMatchObject({ country: "US", sheet_count: 1, listed: false });
      expect(by(QWEN)).toMatchObject({ sheet_count: 2, listed: true });
      // A sheet in force only from a future as_of is not in force now.
      expect(by("kimi-k9")).toMatchObject({ first_listed_as_of: "2098-12-31T16:00:00Z", listed: false });
    });

    it("links each model's price history, the model name percent-encoded as one path segment", async () => {
      const r = await get(`${base()}/v1/models`);
      const qwen = r.json.data.find((m: { model: string }) => m.model === QWEN);
      expect(qwen.prices).toBe("/v1/models/openrouter/qwen%2Fqwen-plus-2025-07-28%3Athinking/prices");
      const followed = await get(`${base()}${qwen.prices}`);
      expect(followed.status).toBe(200);
      expect(followed.json.data).toHaveLength(2);
    });

    it("?format=csv or Accept: text/csv gives the same list as RFC 4180 CSV with a header row, formulas defused", async () => {
      const r = await get(`${base()}/v1/models?format=csv`);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(r.text.split("\r\n")[0]).toBe("provider,model,country,first_listed_as_of,last_listed_as_of,sheet_count,listed");
      const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      expect(records).toHaveLength(6);
      expect(records[0]).toEqual({
        provider: "deepseek", model: "deepseek-chat", country: "CN", first_listed_as_of: "2026-08-31T16:00:00Z",
        last_listed_as_of: "2026-09-24T16:00:00Z", sheet_count: "4", listed: "true",
      });
      expect(records[2]!.model).toBe("'=cmd|calc");
      const negotiated = await get(`${base()}/v1/models`, { Accept: "text/csv" });
      expect(negotiated.text).toBe(r.text);
      expect(negotiated.headers.get("vary")).toMatch(/Accept/);
    });
  });
});

describeEachEngine("publish: GET /v1/models/{provider}/{model}/prices", (ctx) => {
  const base = served(ctx);
  const history = async (provider: string, model: string, query = "") => (await get(`${base()}${prices(provider, model, query)}`)).json.data;

  describe("one row per price sheet listing the model, oldest first, with the sheet's as_of and status", () => {
    it("has the spec's fields, in CNY per 1M tokens per component, with the listed currency and prices", async () => {
      const r = await get(`${base()}${prices("deepseek", "deepseek-chat")}`);
      expect(r.status).toBe(200);
      expect(r.json.data.map((p: { as_of: string }) => p.as_of)).toEqual([
        "2026-08-31T16:00:00Z", "2026-09-09T16:00:00Z", "2026-09-19T16:00:00Z", "2026-09-24T16:00:00Z",
      ]);
      expect(Object.keys(r.json.data[0])).toEqual([
        "provider", "model", "sheet_id", "as_of", "status", "held", "approved_at", "currency", "unit",
        "input", "cached_input", "output", "listed_currency", "listed_unit", "listed_input", "listed_cached_input",
        "listed_output", "fx_rate", "fx_as_of",
      ]);
      expect(r.text).toContain(
        `"currency":"CNY","unit":"1M tokens","input":2.000000,"cached_input":0.200000,"output":3.000000,` +
          `"listed_currency":"CNY","listed_unit":"per_1m_tokens","listed_input":2,"listed_cached_input":0.2,"listed_output":3,"fx_rate":1,"fx_as_of":null`,
      );
    });

    it("status follows the held-price rule: a move of more than 80 % is held, the next sheet with the same price is accepted", async () => {
      const rows = await history("deepseek", "deepseek-chat");
      expect(rows.map((p: { status: string; held: string[] }) => [p.status, p.held])).toEqual([
        ["accepted", []],
        ["held", ["output"]], // 3 -> 8: +167 %
        ["accepted", []], // the same 8 again confirms it, from this sheet on (not retroactively)
        ["accepted", []], // 2 -> 20 would be held, but an operator approved this listing
      ]);
      expect(rows[3].approved_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(rows.slice(0, 3).map((p: { approved_at: string | null }) => p.approved_at)).toEqual([null, null, null]);
      expect(n(rows[1].output)).toBe("8.000000");
    });

    it("normalises with the unit factor and the FX rate in force at the sheet's as_of, exactly, 6 dp half-even", async () => {
      const [first, second] = await history("openrouter", QWEN);
      expect(first).toMatchObject({ listed_currency: "USD", listed_unit: "per_token", fx_as_of: "2026-07-31T00:00:00Z" });
      expect([n(first.fx_rate), n(first.input), n(first.output), n(first.listed_input)]).toEqual(["7.1", "2.840000", "8.520000", "0.0000004"]);
      // A later rate applies to the later sheet only.
      expect([n(second.fx_rate), n(second.input), n(second.output)]).toEqual(["7.2", "2.880000", "8.640000"]);
      expect(second.cached_input).toBeNull();
      const [pro] = await history("openrouter", V4_PRO);
      // 0.000000003625 x 1,000,000 x 7.1 = 0.0257375: a tie, rounded to even -> 0.025738
      expect([n(pro.input), n(pro.cached_input), n(pro.output)]).toEqual(["3.088500", "0.025738", "6.177000"]);
    });

    it("without an FX rate in force the CNY prices are null; the listed ones stay", async () => {
      const [row] = await history("euro-ai", "=cmd|calc");
      expect(row).toMatchObject({ input: null, cached_input: null, output: null, fx_rate: null, listed_currency: "EUR", listed_unit: "per_1k_tokens" });
      expect(n(row.listed_input)).toBe("0.5");
    });

    it("?from=&to= bound the sheets' as_of, inclusive; a date to runs through the end of that day UTC", async () => {
      const asOf = (rows: { as_of: string }[]) => rows.map((p) => p.as_of);
      expect(asOf(await history("deepseek", "deepseek-chat", "?from=2026-09-09T16:00:00Z&to=2026-09-19T16:00:00Z"))).toEqual([
        "2026-09-09T16:00:00Z", "2026-09-19T16:00:00Z",
      ]);
      expect(asOf(await history("deepseek", "deepseek-chat", "?from=2026-09-10&to=2026-09-24"))).toEqual(["2026-09-19T16:00:00Z", "2026-09-24T16:00:00Z"]);
      expect(asOf(await history("deepseek", "deepseek-chat", "?to=2026-09-10T00:00:00%2B08:00"))).toEqual(["2026-08-31T16:00:00Z", "2026-09-09T16:00:00Z"]);
      // Status is the rule's over the whole history, whatever the range shows.
      expect((await history("deepseek", "deepseek-chat", "?from=2026-09-09"))[0].status).toBe("held");
      expect((await get(`${base()}${prices("deepseek", "deepseek-chat", "?from=2030-01-01")}`)).text).toBe(`{"data":[]}`);
    });
  });

  describe("a model name holding / and : is one percent-encoded path segment", () => {
    it("reads %2F and %3A, and a raw : too", async () => {
      const encoded = await get(`${base()}/v1/models/openrouter/qwen%2Fqwen-plus-2025-07-28%3Athinking/prices`);
      expect(encoded.status).toBe(200);
      expect(encoded.json.data[0].model).toBe(QWEN);
      const rawColon = await get(`${base()}/v1/models/openrouter/qwen%2Fqwen-plus-2025-07-28:thinking/prices`);
      expect(rawColon.text).toBe(encoded.text);
    });

    it("a raw / splits the name into segments: no such route (404)", async () => {
      const r = await get(`${base()}/v1/models/openrouter/qwen/qwen-plus-2025-07-28:thinking/prices`);
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("not_found");
    });
  });

  describe("Accept: text/csv or ?format=csv for CSV (RFC 4180 with a header row)", () => {
    it("gives the same rows as CSV, a defused formula-like model name included", async () => {
      const r = await get(`${base()}${prices("deepseek", "deepseek-chat", "?format=csv")}`);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = r.text.split("\r\n");
      expect(lines[0]).toBe(
        "provider,model,sheet_id,as_of,status,held,approved_at,currency,unit,input,cached_input,output," +
          "listed_currency,listed_unit,listed_input,listed_cached_input,listed_output,fx_rate,fx_as_of",
      );
      expect(lines.at(-1)).toBe("");
      const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      expect(records.map((x) => [x.status, x.held, x.output])).toEqual([
        ["accepted", "", "3.000000"], ["held", "output", "8.000000"], ["accepted", "", "8.000000"], ["accepted", "", "8.000000"],
      ]);
      expect(records[0]).toMatchObject({ currency: "CNY", unit: "1M tokens", listed_input: "2", listed_cached_input: "0.2", fx_rate: "1", fx_as_of: "" });
      const euro = parseCsv((await get(`${base()}${prices("euro-ai", "=cmd|calc")}`, { Accept: "text/csv" })).text, { columns: true }) as Record<string, string>[];
      expect(euro[0]!.model).toBe("'=cmd|calc");
      expect(euro[0]!.input).toBe("");
    });

    it("Accept: text/csv is the same CSV and says Vary: Accept", async () => {
      const csv = await get(`${base()}${prices("openrouter", QWEN)}`, { Accept: "text/csv" });
      expect(csv.text).toBe((await get(`${base()}${prices("openrouter", QWEN, "?format=csv")}`)).text);
      expect(csv.headers.get("vary")).toMatch(/Accept/);
    });
  });

  describe("404 for a model no sheet of that provider lists, 400 for bad parameters", () => {
    it("is 404 not_found for an unknown provider or model, or a model of another provider", async () => {
      for (const [p, m] of [["nobody", "deepseek-chat"], ["deepseek", "nope"], ["openrouter", "deepseek-chat"]] as const) {
        const r = await get(`${base()}${prices(p, m)}`);
        expect(r.status, `${p}/${m}`).toBe(404);
        expect(r.json.error.code).toBe("not_found");
      }
    });

    it("is 400 for a malformed from or to, from after to, or an unknown format", async () => {
      for (const q of ["?from=2026-02-30", "?to=soon", "?from=2026-09-20&to=2026-09-10", "?format=xml"]) {
        const r = await get(`${base()}${prices("deepseek", "deepseek-chat", q)}`);
        expect(r.status, q).toBe(400);
        expect(r.json.error.code, q).toBe("bad_request");
      }
    });
  });

  describe("a long history streams page by page, complete and in order", () => {
    it("returns all 1201 daily sheets of one model in JSON and CSV", async () => {
      const database = await ctx.fresh();
      await database.db.execute(sql`
        INSERT INTO price_sheets (provider, country, country_source, as_of, currency, unit, raw, raw_sha256, content_sha256, batch_id)
        SELECT 'deepseek', 'CN', 'sheet', t, 'CNY', 'per_1m_tokens', 'generated', md5(t::text), md5(t::text), 1
        FROM generate_series('2021-01-01T00:00:00Z'::timestamptz, '2024-04-15T00:00:00Z'::timestamptz, interval '1 day') AS t`);
      await database.db.execute(sql`
        INSERT INTO sheet_models (sheet_id, model, currency, unit, input, cached_input, output)
        SELECT id, 'deepseek-chat', 'CNY', 'per_1m_tokens', 2 + (id % 3) * 0.5, NULL, 3 FROM price_sheets`);
      const running = await serveForTest(database);
      try {
        const r = await get(`${running.url}${prices("deepseek", "deepseek-chat")}`);
        expect(r.json.data).toHaveLength(1201);
        const all = r.json.data.map((p: { as_of: string }) => p.as_of) as string[];
        expect(all[0]).toBe("2021-01-01T00:00:00Z");
        expect(all.at(-1)).toBe("2024-04-15T00:00:00Z");
        expect([...all].sort()).toEqual(all);
        expect(new Set(all).size).toBe(1201);
        expect(r.json.data.every((p: { status: string }) => p.status === "accepted")).toBe(true);
        const csv = await get(`${running.url}${prices("deepseek", "deepseek-chat", "?format=csv")}`);
        expect(parseCsv(csv.text, { columns: true })).toHaveLength(1201);
        expect(running.unexpected).toEqual([]);
      } finally {
        await running.close();
      }
    });
  });
});
