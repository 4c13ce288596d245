/**
 * FX files are accepted or rejected whole. ECB reference rates are crossed to CNY through
 * EUR, exactly; a different value for the same (currency, as_of) is a correction.
 */
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { rows, type Db } from "../../src/db/index.ts";
import { importFx, importFxFile } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { ECB_DAILY, ECB_HIST_90D, counts } from "./helpers.ts";

async function rate(db: Db, currency: string, asOf: string): Promise<string | undefined> {
  const [r] = await rows<{ v: string }>(
    db,
    sql`select cny_per_unit as v from fx_rates where currency = ${currency} and as_of = ${asOf}::timestamptz order by id desc limit 1`,
  );
  return r?.v;
}

async function expectFileRejected(db: Db, location: string, text: string, message: string, format?: "csv" | "json" | "ecb-xml") {
  const before = await counts(db);
  const err = await importFx(db, { location, text, ...(format ? { format } : {}) }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toBe(message);
  expect(await counts(db)).toEqual(before);
}

describeEachEngine("FX from the ECB reference rates", (ctx) => {
  describe("cross rates to CNY through EUR: cny_per_unit(X) = rate(CNY) / rate(X), EUR = rate(CNY)", () => {
    it("imports the daily file of 2026-07-06 (single-quoted attributes): 28 cross rates and EUR", async () => {
      expect(await importFxFile(ctx.db, ECB_DAILY)).toMatchObject({ stored: 29, unchanged: 0, rejected: [] });
    });
    it("USD = 7.7573 / 1.1415 to 20 decimals, exactly", async () => {
      // 7.7573 / 1.1415 = 6.795707402540516863775733683749...
      expect(await rate(ctx.db, "USD", "2026-07-06T14:00:00Z")).toBe("6.79570740254051686378");
      const [check] = await rows<{ ok: boolean }>(ctx.db, sql`select abs(cny_per_unit * 1.1415 - 7.7573) < 1e-19 as ok
        from fx_rates where currency = 'USD' and as_of = '2026-07-06T14:00:00Z'`);
      expect(check?.ok).toBe(true);
    });
    it("EUR = the CNY rate itself, and there is no CNY row", async () => {
      expect(await rate(ctx.db, "EUR", "2026-07-06T14:00:00Z")).toBe("7.7573");
      expect(await rate(ctx.db, "CNY", "2026-07-06T14:00:00Z")).toBeUndefined();
    });
    it("as_of is 16:00 Europe/Berlin on the file's date (14:00 UTC in summer)", async () => {
      const asOfs = await rows(ctx.db, sql`select distinct as_of from fx_rates`);
      expect(asOfs).toEqual([{ as_of: "2026-07-06 14:00:00+00" }]);
    });
    it("keeps the ECB file in payloads", async () => {
      const [p] = await rows<{ sha256: string; content: string }>(ctx.db, sql`select sha256, content from payloads where kind = 'fx'`);
      expect(p?.sha256).toBe("3f089890bc087c0bb66c0c27d4b6af2b50d2b67397757dde4a5ee763d6f8edc5");
      expect(p?.content).toBe(fs.readFileSync(ECB_DAILY, "utf8"));
    });
    it("imports hist-90d of 2021-03-30 (double-quoted, one line per day): 63 days x 32 currencies", async () => {
      expect(await importFxFile(ctx.db, ECB_HIST_90D)).toMatchObject({ stored: 63 * 32, unchanged: 0 });
      // 2021-03-30 is summer time (CEST): 14:00 UTC; 2020-12-31 is winter time (CET): 15:00 UTC.
      expect(await rate(ctx.db, "USD", "2021-03-30T14:00:00Z")).toBe("6.57133123243335320671"); // 7.7154 / 1.1741
      expect(await rate(ctx.db, "EUR", "2020-12-31T15:00:00Z")).toBe("8.0225");
      expect(await rate(ctx.db, "HRK", "2021-03-30T14:00:00Z")).toBeDefined(); // withdrawn since, still a fact of its date
    });
  });

  describe("importing the same rates again changes nothing", () => {
    it("the same ECB file twice: every rate unchanged, no row added", async () => {
      const before = await counts(ctx.db);
      expect(await importFxFile(ctx.db, ECB_DAILY)).toMatchObject({ stored: 0, unchanged: 29 });
      expect(await counts(ctx.db)).toEqual(before);
    });
  });

  describe("an ECB file without CNY is rejected", () => {
    it("rejects the whole file, naming the day", async () => {
      const text = fs.readFileSync(ECB_DAILY, "utf8").replace(/\t+<Cube currency='CNY' rate='7.7573'\/>\n/, "");
      await expectFileRejected(ctx.db, "nocny.xml", text, "nocny.xml:8: CNY: no CNY rate on 2026-07-06: no cross rate to CNY");
    });
    it("rejects a bad rate with its line", async () => {
      const text = fs.readFileSync(ECB_DAILY, "utf8").replace("rate='185.31'", "rate='-185.31'");
      await expectFileRejected(ctx.db, "badrate.xml", text, "badrate.xml:10: rate: not a number > 0");
    });
    it("rejects XML that is not well formed", async () => {
      const text = fs.readFileSync(ECB_DAILY, "utf8").slice(0, 600);
      const err = await importFx(ctx.db, { location: "cut.xml", text }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/^cut\.xml:\d+: not valid XML: /);
    });
  });
});

describeEachEngine("FX in our own formats", (ctx) => {
  const CSV = "currency,cny_per_unit,as_of\n";

  describe("CSV currency,cny_per_unit,as_of and ciyuan.fx/1 JSON are read exactly", () => {
    it("imports CSV rates", async () => {
      const text = `${CSV}USD,7.10,2026-10-01T00:00:00+08:00\nJPY,0.0478,2026-10-01T00:00:00+08:00\n`;
      expect(await importFx(ctx.db, { location: "fx.csv", text })).toEqual({ location: "fx.csv", stored: 2, unchanged: 0, rejected: [] });
      expect(await rate(ctx.db, "USD", "2026-09-30T16:00:00Z")).toBe("7.1"); // 7.10, normalised
    });
    it("imports JSON rates, numbers kept exactly", async () => {
      const text = `{"schema": "ciyuan.fx/1", "rates": [{"currency": "GBP", "cny_per_unit": 9.123456789012345678, "as_of": "2026-10-01T00:00:00Z"}]}`;
      expect(await importFx(ctx.db, { location: "fx.json", text })).toMatchObject({ stored: 1 });
      expect(await rate(ctx.db, "GBP", "2026-10-01T00:00:00Z")).toBe("9.123456789012345678");
    });
  });

  describe("a different value for the same (currency, as_of) is a correction: a new row, the latest id wins", () => {
    it("the same value and moment written differently (7.100 for 7.10, UTC for +08:00) is unchanged", async () => {
      expect(await importFx(ctx.db, { location: "same.csv", text: `${CSV}USD,7.100,2026-09-30T16:00:00Z\n` })).toMatchObject({ stored: 0, unchanged: 1 });
    });
    it("a different value adds a row and keeps the old one", async () => {
      expect(await importFx(ctx.db, { location: "fix.csv", text: `${CSV}USD,7.2,2026-10-01T00:00:00+08:00\n` })).toMatchObject({ stored: 1 });
      const all = await rows(ctx.db, sql`select cny_per_unit from fx_rates where currency = 'USD' order by id`);
      expect(all).toEqual([{ cny_per_unit: "7.1" }, { cny_per_unit: "7.2" }]);
      expect(await rate(ctx.db, "USD", "2026-09-30T16:00:00Z")).toBe("7.2");
    });
    it("the same (currency, as_of) twice in one file with different values rejects the file, naming both lines", async () => {
      await expectFileRejected(ctx.db, "clash.csv", `${CSV}EUR,7.7,2026-10-02T00:00:00Z\nUSD,7.3,2026-10-02T00:00:00Z\nEUR,7.8,2026-10-02T00:00:00Z\n`,
        "clash.csv:4: cny_per_unit: EUR at 2026-10-02T00:00:00Z already has another rate on line 2");
    });
  });

  describe("a bad record fails the whole FX file with FILE:LINE: field: reason", () => {
    it("a rate of 0 on line 3", async () => {
      await expectFileRejected(ctx.db, "zero.csv", `${CSV}USD,7.1,2026-10-03T00:00:00Z\nJPY,0,2026-10-03T00:00:00Z\n`, "zero.csv:3: cny_per_unit: not a number > 0");
    });
    it('a rate of "abc"', async () => {
      await expectFileRejected(ctx.db, "abc.csv", `${CSV}USD,abc,2026-10-03T00:00:00Z\n`, "abc.csv:2: cny_per_unit: not a number > 0");
    });
    it("an unknown currency", async () => {
      await expectFileRejected(ctx.db, "cur.csv", `${CSV}RMB,1,2026-10-03T00:00:00Z\n`, 'cur.csv:2: currency: unknown currency "RMB"');
    });
    it("a CNY rate (CNY is the index currency)", async () => {
      await expectFileRejected(ctx.db, "cny.csv", `${CSV}CNY,1,2026-10-03T00:00:00Z\n`, "cny.csv:2: currency: CNY is the index currency (always 1), not a rate");
    });
    it("as_of without an offset", async () => {
      await expectFileRejected(ctx.db, "local.csv", `${CSV}USD,7.1,2026-10-03T00:00:00\n`, "local.csv:2: as_of: no UTC offset (ISO 8601 with offset required)");
    });
    it("a CSV with a missing column", async () => {
      await expectFileRejected(ctx.db, "cols.csv", "currency,cny_per_unit\nUSD,7.1\n", 'cols.csv:1: header: missing column "as_of"');
    });
    it("a JSON rate written as a string", async () => {
      const text = `{"schema": "ciyuan.fx/1", "rates": [{"currency": "USD", "cny_per_unit": "7.1", "as_of": "2026-10-03T00:00:00Z"}]}`;
      await expectFileRejected(ctx.db, "str.json", text, "str.json: rates[0].cny_per_unit: not a number > 0");
    });
    it("truncated JSON", async () => {
      const err = await importFx(ctx.db, { location: "cut.json", text: `{"schema": "ciyuan.fx/1",\n"rates": [` }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/^cut\.json:2: not valid JSON: /);
    });
  });
});
