/**
 * The rulebook's price-sheet gates: a bad sheet is rejected whole, with a reason, and kept
 * in quarantine, while the good sheets of the same file are stored.
 */
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { importPriceFile, importPrices } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { DEEPSEEK_SHEET, counts, sheetText } from "./helpers.ts";

const LABEL = "acme@2026-09-29T00:00:00+08:00";

/** Imports one bad file: expects exactly `message`, no accepted row added, the sheet in quarantine. */
async function expectRejected(db: Db, location: string, text: string, message: string) {
  const before = await counts(db);
  const outcome = await importPrices(db, { location, text });
  expect(outcome.rejected.map((r) => r.message)).toEqual([message]);
  expect(outcome.stored).toBe(0);
  const after = await counts(db);
  expect(after.price_sheets).toBe(before.price_sheets);
  expect(after.sheet_models).toBe(before.sheet_models);
  const reason = message.split(": ").slice(message.includes(": sheet ") ? 2 : 1).join(": ");
  const [q] = await rows<{ reason: string; raw: string }>(
    db,
    sql`select reason, raw from quarantine where reason = ${reason} order by id desc limit 1`,
  );
  expect(q?.reason).toBe(reason);
  expect(q?.raw.length).toBeGreaterThan(0);
}

const CSV_HEADER = "provider,country,as_of,currency,unit,model,input,cached_input,output";

describeEachEngine("price sheet gates", (ctx) => {
  beforeAll(async () => {
    // Accepted data that every rejection below must leave as it is.
    const o = await importPriceFile(ctx.db, DEEPSEEK_SHEET);
    expect(o.stored).toBe(1);
  });

  describe("a price that is present but not a number > 0 rejects the sheet whole", () => {
    it("a price of 0 (JSON) is rejected", async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "output": 3}, {"model": "m2", "input": 0, "output": 3}]`);
      await expectRejected(ctx.db, "zero.json", text, `zero.json: sheet ${LABEL}: models[1].input: not a number > 0`);
    });
    it('a price of "abc" (a JSON string, not a JSON number) is rejected', async () => {
      const text = sheetText({}, `[{"model": "m1", "input": "abc", "output": 3}]`);
      await expectRejected(ctx.db, "abc.json", text, `abc.json: sheet ${LABEL}: models[0].input: not a number > 0`);
    });
    it('a price written as a string "2" is not a JSON number and is rejected', async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "output": "3"}]`);
      await expectRejected(ctx.db, "str.json", text, `str.json: sheet ${LABEL}: models[0].output: not a number > 0`);
    });
    it("a negative price is rejected", async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "cached_input": -0.1, "output": 3}]`);
      await expectRejected(ctx.db, "neg.json", text, `neg.json: sheet ${LABEL}: models[0].cached_input: not a number > 0`);
    });
    it("a price of 0 in CSV is rejected, naming the line", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,3\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m2,0,,3\n`;
      await expectRejected(ctx.db, "zero.csv", text, `zero.csv:3: sheet ${LABEL}: input: not a number > 0`);
    });
    it('a price of "abc" in CSV (not a plain decimal) is rejected', async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,abc,,3\n`;
      await expectRejected(ctx.db, "abc.csv", text, `abc.csv:2: sheet ${LABEL}: input: not a number > 0`);
    });
    it("a price in exponent notation in CSV is not a plain decimal and is rejected", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_token,m1,1e-7,,3\n`;
      await expectRejected(ctx.db, "exp.csv", text, `exp.csv:2: sheet ${LABEL}: input: not a number > 0`);
    });
    it("a tier price of 0 is rejected like a list price", async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "output": 3, "tiers": [{"min_input_tokens": 32000, "input": 0}]}]`);
      await expectRejected(ctx.db, "tier.json", text, `tier.json: sheet ${LABEL}: models[0].tiers[0].input: not a number > 0`);
    });
  });

  describe("an absent or null price is simply not listed", () => {
    it("stores a null and an absent price as NULL, next to the listed ones", async () => {
      const text = sheetText({ provider: "nulls" }, `[{"model": "m1", "input": 2, "cached_input": null}, {"model": "m2", "output": 3}]`);
      const o = await importPrices(ctx.db, { location: "nulls.json", text });
      expect(o).toMatchObject({ stored: 1, rejected: [] });
      const models = await rows(ctx.db, sql`select model, input, cached_input, output from sheet_models m
        join price_sheets s on s.id = m.sheet_id where s.provider = 'nulls' order by model`);
      expect(models).toEqual([
        { model: "m1", input: "2", cached_input: null, output: null },
        { model: "m2", input: null, cached_input: null, output: "3" },
      ]);
    });
  });

  describe("an unknown unit or currency rejects the sheet", () => {
    it("an unknown unit is rejected", async () => {
      await expectRejected(ctx.db, "unit.json", sheetText({ unit: "per_10k_tokens" }),
        `unit.json: sheet ${LABEL}: unit: unknown unit "per_10k_tokens" (one of per_token, per_1k_tokens, per_1m_tokens)`);
    });
    it("an unknown unit on one model (overriding the sheet's) is rejected", async () => {
      const text = sheetText({}, `[{"model": "m1", "unit": "per_call", "input": 2, "output": 3}]`);
      await expectRejected(ctx.db, "munit.json", text, `munit.json: sheet ${LABEL}: models[0].unit: unknown unit "per_call" (one of per_token, per_1k_tokens, per_1m_tokens)`);
    });
    it("an unknown currency (not ISO 4217) is rejected", async () => {
      await expectRejected(ctx.db, "cur.json", sheetText({ currency: "RMB" }), `cur.json: sheet ${LABEL}: currency: unknown currency "RMB"`);
    });
    it("an unknown currency in CSV is rejected", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,XYZ,per_1m_tokens,m1,2,,3\n`;
      await expectRejected(ctx.db, "cur.csv", text, `cur.csv:2: sheet ${LABEL}: currency: unknown currency "XYZ"`);
    });
    it("accepts a model's own currency and unit, overriding the sheet's", async () => {
      const text = sheetText({ provider: "mixed" }, `[{"model": "m1", "currency": "USD", "unit": "per_token", "input": 2.8e-7, "output": 4.2e-7}]`);
      expect(await importPrices(ctx.db, { location: "mixed.json", text })).toMatchObject({ stored: 1, rejected: [] });
      const [m] = await rows(ctx.db, sql`select m.currency, m.unit, m.input, m.output from sheet_models m
        join price_sheets s on s.id = m.sheet_id where s.provider = 'mixed'`);
      expect(m).toEqual({ currency: "USD", unit: "per_token", input: "0.00000028", output: "0.00000042" });
    });
  });

  describe("a sheet without provider, as_of with an offset, or models is rejected", () => {
    it("a sheet without provider is rejected", async () => {
      await expectRejected(ctx.db, "prov.json", sheetText({ provider: undefined }),
        "prov.json: sheet ?@2026-09-29T00:00:00+08:00 (#1): provider: missing");
    });
    it("a sheet without as_of is rejected", async () => {
      await expectRejected(ctx.db, "asof.json", sheetText({ as_of: undefined }), "asof.json: sheet acme@? (#1): as_of: missing");
    });
    it("as_of without an offset is rejected", async () => {
      await expectRejected(ctx.db, "local.json", sheetText({ as_of: "2026-09-29T00:00:00" }),
        "local.json: sheet acme@2026-09-29T00:00:00: as_of: no UTC offset (ISO 8601 with offset required)");
    });
    it("as_of without an offset in CSV is rejected", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29 00:00,CNY,per_1m_tokens,m1,2,,3\n`;
      await expectRejected(ctx.db, "local.csv", text, "local.csv:2: sheet acme@2026-09-29 00:00: as_of: not an ISO 8601 date-time");
    });
    it("a sheet without models is rejected", async () => {
      const text = sheetText().replace(/, "models": .*}$/, "}");
      await expectRejected(ctx.db, "nomodels.json", text, `nomodels.json: sheet ${LABEL}: models: missing`);
    });
    it("a sheet with an empty models list is rejected", async () => {
      await expectRejected(ctx.db, "empty.json", sheetText({}, "[]"), `empty.json: sheet ${LABEL}: models: empty: a sheet lists at least one model`);
    });
    it("a model listed twice on one sheet is rejected", async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "output": 3}, {"model": "m1", "input": 1, "output": 3}]`);
      await expectRejected(ctx.db, "dup.json", text, `dup.json: sheet ${LABEL}: models[1].model: duplicate model "m1" (also models[0])`);
    });
    it("a model listed twice in one CSV sheet is rejected, naming the second line", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,3\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,4\n`;
      await expectRejected(ctx.db, "dup.csv", text, `dup.csv:3: sheet ${LABEL}: model: duplicate model "m1" on the sheet`);
    });
    it("a JSON sheet without schema, or with another schema, is rejected", async () => {
      await expectRejected(ctx.db, "noschema.json", sheetText({ schema: undefined }), `noschema.json: sheet ${LABEL}: schema: missing`);
      await expectRejected(ctx.db, "v2.json", sheetText({ schema: "ciyuan.price-sheet/2" }),
        `v2.json: sheet ${LABEL}: schema: must be "ciyuan.price-sheet/1"`);
    });
  });

  describe("a file whose sheets cannot be read is rejected whole and kept in quarantine", () => {
    it("truncated JSON is rejected with its line", async () => {
      const text = sheetText().slice(0, 120).replace(/, /g, ",\n");
      const before = await counts(ctx.db);
      const o = await importPrices(ctx.db, { location: "cut.json", text });
      expect(o.rejected).toHaveLength(1);
      expect(o.rejected[0]!.message).toMatch(/^cut\.json:\d+: not valid JSON: .*end of input/);
      const after = await counts(ctx.db);
      expect({ ...after, quarantine: 0, payloads: 0 }).toEqual({ ...before, quarantine: 0, payloads: 0 });
      expect(after.quarantine).toBe(before.quarantine + 1);
    });
    it("a CSV with a missing column is rejected", async () => {
      const text = "provider,country,as_of,currency,unit,model,input,cached_input\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,2,\n";
      const o = await importPrices(ctx.db, { location: "cols.csv", text });
      expect(o.rejected.map((r) => r.message)).toEqual(['cols.csv:1: header: missing column "output"']);
      expect(o.stored).toBe(0);
    });
    it("a CSV row with a missing field rejects its sheet", async () => {
      const text = `${CSV_HEADER}\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,2,3\n`;
      await expectRejected(ctx.db, "short.csv", text, `short.csv:2: sheet ${LABEL}: row: expected 9 fields, got 8`);
    });
  });

  describe("in a file holding several sheets, good sheets are stored and bad ones quarantined", () => {
    it("stores the good sheets of a JSON array and quarantines the bad one", async () => {
      const good1 = sheetText({ provider: "multi", as_of: "2026-10-01T00:00:00+08:00" });
      const bad = sheetText({ provider: "multi", as_of: "2026-10-02T00:00:00+08:00" }, `[{"model": "m1", "input": 0, "output": 3}]`);
      const good2 = sheetText({ provider: "multi", as_of: "2026-10-03T00:00:00+08:00" });
      const before = await counts(ctx.db);
      const o = await importPrices(ctx.db, { location: "multi.json", text: `[${good1},\n${bad},\n${good2}]` });
      expect(o.stored).toBe(2);
      expect(o.rejected.map((r) => r.message)).toEqual([
        "multi.json: sheet multi@2026-10-02T00:00:00+08:00: models[0].input: not a number > 0",
      ]);
      const after = await counts(ctx.db);
      expect(after.price_sheets - before.price_sheets).toBe(2);
      expect(after.quarantine - before.quarantine).toBe(1);
      const [q] = await rows<{ provider: string; as_of: string; raw: string }>(
        ctx.db,
        sql`select provider, as_of, raw from quarantine where location = 'multi.json'`,
      );
      expect(q).toMatchObject({ provider: "multi", as_of: "2026-10-02T00:00:00+08:00" });
      expect(JSON.parse(q!.raw).as_of).toBe("2026-10-02T00:00:00+08:00");
    });
    it("treats each (provider, as_of) group of a CSV as one sheet", async () => {
      const text = [
        CSV_HEADER,
        "csvco,CN,2026-10-01T00:00:00+08:00,CNY,per_1m_tokens,m1,2,0.2,3",
        "csvco,CN,2026-10-02T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,abc",
        "csvco,CN,2026-10-01T00:00:00+08:00,CNY,per_1m_tokens,m2,1.50,,2",
        "other,US,2026-10-01T00:00:00Z,USD,per_token,m9,0.00000028,,0.00000042",
      ].join("\n");
      const o = await importPrices(ctx.db, { location: "groups.csv", text });
      expect(o.stored).toBe(2);
      expect(o.rejected.map((r) => r.message)).toEqual(["groups.csv:3: sheet csvco@2026-10-02T00:00:00+08:00: output: not a number > 0"]);
      const models = await rows(ctx.db, sql`select s.provider, m.model, m.input, m.output from sheet_models m
        join price_sheets s on s.id = m.sheet_id where s.provider in ('csvco', 'other') order by 1, 2`);
      expect(models).toEqual([
        { provider: "csvco", model: "m1", input: "2", output: "3" },
        { provider: "csvco", model: "m2", input: "1.5", output: "2" },
        { provider: "other", model: "m9", input: "0.00000028", output: "0.00000042" },
      ]);
      const [raw] = await rows<{ raw: string }>(ctx.db, sql`select raw from price_sheets where provider = 'csvco'`);
      expect(raw!.raw.split("\n").filter(Boolean)).toHaveLength(3); // header + its two rows
    });
  });

  describe("quarantine keeps a rejected sheet once", () => {
    it("the same bad sheet twice is one quarantine row, and is reported both times", async () => {
      const text = sheetText({ provider: "twice" }, `[{"model": "m1", "input": 0}]`);
      const first = await importPrices(ctx.db, { location: "twice.json", text });
      const before = await counts(ctx.db);
      const second = await importPrices(ctx.db, { location: "twice.json", text });
      expect(second.rejected).toEqual(first.rejected);
      expect(await counts(ctx.db)).toEqual(before);
    });
  });

  describe("a sheet without country takes the provider's known country, else it is rejected (unknown_country)", () => {
    it("takes the country of the provider's latest earlier accepted sheet", async () => {
      const text = `[${sheetText({ provider: "hist", country: "CN", as_of: "2026-01-01T00:00:00Z" })},
                      ${sheetText({ provider: "hist", country: undefined, as_of: "2026-02-01T00:00:00Z" })}]`;
      expect(await importPrices(ctx.db, { location: "hist.json", text })).toMatchObject({ stored: 2, rejected: [] });
      const sheets = await rows(ctx.db, sql`select country, country_source from price_sheets where provider = 'hist' order by as_of`);
      expect(sheets).toEqual([
        { country: "CN", country_source: "sheet" },
        { country: "CN", country_source: "provider_history" },
      ]);
    });
    it("takes the source configuration's country when no earlier sheet is known", async () => {
      const text = sheetText({ provider: "configured", country: undefined });
      const o = await importPrices(ctx.db, { location: "conf.json", text, knownCountries: { configured: "CN" } });
      expect(o).toMatchObject({ stored: 1, rejected: [] });
      const [s] = await rows(ctx.db, sql`select country, country_source from price_sheets where provider = 'configured'`);
      expect(s).toEqual({ country: "CN", country_source: "source_config" });
    });
    it("rejects a sheet without country when none is known (unknown_country)", async () => {
      await expectRejected(ctx.db, "nocountry.json", sheetText({ provider: "stranger", country: undefined }),
        'nocountry.json: sheet stranger@2026-09-29T00:00:00+08:00: country: unknown_country: the sheet has no country and none is known for provider "stranger"');
    });
    it("does not take a country from a later sheet", async () => {
      await importPrices(ctx.db, { location: "late.json", text: sheetText({ provider: "late", as_of: "2026-12-01T00:00:00Z" }) });
      const o = await importPrices(ctx.db, { location: "early.json", text: sheetText({ provider: "late", country: undefined, as_of: "2026-11-01T00:00:00Z" }) });
      expect(o.rejected[0]?.message).toMatch(/unknown_country/);
    });
  });

  describe("importing the same sheet again changes nothing", () => {
    it("the same file twice: the second time every sheet is unchanged and no row is added", async () => {
      const text = `[${sheetText({ provider: "idem", as_of: "2026-10-01T00:00:00Z" })}, ${sheetText({ provider: "idem", as_of: "2026-10-02T00:00:00Z" })}]`;
      expect(await importPrices(ctx.db, { location: "idem.json", text })).toMatchObject({ stored: 2, unchanged: 0 });
      const before = await counts(ctx.db);
      expect(await importPrices(ctx.db, { location: "idem.json", text })).toMatchObject({ stored: 0, unchanged: 2, rejected: [] });
      expect(await counts(ctx.db)).toEqual(before);
    });
    it("the same content written differently (key order, decimals, offset, CSV) is the same sheet", async () => {
      const json = `{"schema": "ciyuan.price-sheet/1", "provider": "canon", "country": "CN", "as_of": "2026-10-01T08:00:00+08:00",
        "currency": "CNY", "unit": "per_1m_tokens", "models": [{"model": "b", "input": 1.50, "output": 3}, {"output": 2e0, "input": 0.20, "model": "a"}]}`;
      const csv = `${CSV_HEADER}\ncanon,CN,2026-10-01T00:00:00Z,CNY,per_1m_tokens,a,0.2,,2.000\ncanon,CN,2026-10-01T00:00:00Z,CNY,per_1m_tokens,b,1.5,,3\n`;
      expect(await importPrices(ctx.db, { location: "canon.json", text: json })).toMatchObject({ stored: 1 });
      expect(await importPrices(ctx.db, { location: "canon.csv", text: csv })).toMatchObject({ stored: 0, unchanged: 1 });
    });
    it("records each file once per distinct sha256 in payloads", async () => {
      const text = sheetText({ provider: "payload" });
      await importPrices(ctx.db, { location: "payload.json", text });
      await importPrices(ctx.db, { location: "payload-copy.json", text });
      const p = await rows(ctx.db, sql`select kind, source, location, bytes, content from payloads where content like '%"payload"%'`);
      expect(p).toEqual([{ kind: "prices", source: "file", location: "payload.json", bytes: String(Buffer.byteLength(text)), content: text }]);
    });
  });

  describe("prices are kept as exact decimals", () => {
    it("keeps 0.0000002 and 1e-7 exactly, and stores the sheet's raw text and hashes", async () => {
      const text = sheetText({ provider: "exact", currency: "USD", unit: "per_token" },
        `[{"model": "m1", "input": 1e-7, "cached_input": 0.0000002, "output": 123456789.123456789012345}]`);
      expect(await importPrices(ctx.db, { location: "exact.json", text })).toMatchObject({ stored: 1 });
      const [m] = await rows<Record<string, string>>(ctx.db, sql`select m.input, m.cached_input, m.output, s.raw, s.raw_sha256, s.content_sha256, s.as_of
        from sheet_models m join price_sheets s on s.id = m.sheet_id where s.provider = 'exact'`);
      expect(m).toMatchObject({ input: "0.0000001", cached_input: "0.0000002", output: "123456789.123456789012345", raw: text });
      expect(m!.raw_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m!.content_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m!.as_of).toBe("2026-09-28 16:00:00+00");
    });
    it("stores tiers and off-peak windows as JSON with exact numbers", async () => {
      const text = sheetText({ provider: "tiers" }, `[{"model": "m1", "input": 2, "output": 3,
        "tiers": [{"min_input_tokens": 32000, "input": 4, "output": 6.0}],
        "off_peak": [{"from": "00:30", "to": "08:30", "tz": "Asia/Shanghai", "multiplier": 0.5}]}]`);
      expect(await importPrices(ctx.db, { location: "tiers.json", text })).toMatchObject({ stored: 1 });
      const [m] = await rows<{ tiers: string; off_peak: string }>(ctx.db, sql`select m.tiers::text as tiers, m.off_peak::text as off_peak
        from sheet_models m join price_sheets s on s.id = m.sheet_id where s.provider = 'tiers'`);
      expect(m).toEqual({
        tiers: '[{"input": 4, "output": 6, "min_input_tokens": 32000}]',
        off_peak: '[{"to": "08:30", "tz": "Asia/Shanghai", "from": "00:30", "multiplier": 0.5}]',
      });
    });
    it("rejects an off-peak window in an unknown time zone", async () => {
      const text = sheetText({}, `[{"model": "m1", "input": 2, "output": 3, "off_peak": [{"from": "00:30", "to": "08:30", "tz": "Mars/Base", "multiplier": 0.5}]}]`);
      await expectRejected(ctx.db, "tz.json", text, `tz.json: sheet ${LABEL}: models[0].off_peak[0].tz: not an IANA time zone`);
    });
  });

  describe("real format: a sheet built from DeepSeek's pricing page", () => {
    it("stores deepseek-chat and deepseek-reasoner at cache hit 0.2, miss 2, output 3 CNY per 1M tokens", async () => {
      const models = await rows(ctx.db, sql`select s.country, s.currency, s.unit, m.model, m.input, m.cached_input, m.output
        from sheet_models m join price_sheets s on s.id = m.sheet_id where s.provider = 'deepseek' order by m.model`);
      const common = { country: "CN", currency: "CNY", unit: "per_1m_tokens", input: "2", cached_input: "0.2", output: "3" };
      expect(models).toEqual([
        { ...common, model: "deepseek-chat" },
        { ...common, model: "deepseek-reasoner" },
      ]);
      // The page the sheet was built from says the same.
      const page = fs.readFileSync(DEEPSEEK_SHEET.replace("prices/deepseek.2025-12-20.json", "real/provider-pages/deepseek/pricing.zh-CN.md"), "utf8");
      expect(page).toContain("百万tokens输入（缓存命中）| 0.2元");
      expect(page).toContain("百万tokens输入（缓存未命中）| 2元");
      expect(page).toContain("百万tokens输出| 3元");
    });
  });
});
