/**
 * The bundled sample (src/sample): real price sheets in our format, FX derived from the
 * ECB files beside them, and the synthetic usage generator.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { parse as parseLossless } from "lossless-json";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SAMPLE_DIR, sampleEcbXmlFiles, sampleFxFiles, sampleModels, samplePriceFiles, sampleUsageCsv } from "../../src/sample/index.ts";
import { CTPI_FAMILY, D, computeFixing, parseFx, parseSheetJson, parseUsageCsv } from "../support/reference.ts";

const decimalText = z.string().regex(/^[0-9]+(\.[0-9]+)?$/).refine((s) => new D(s).gt(0), "must be > 0");
const instantWithOffset = z.iso.datetime({ offset: true }).regex(/(Z|[+-]\d{2}:\d{2})$/);
const Sheet = z.strictObject({
  schema: z.literal("ciyuan.price-sheet/1"),
  provider: z.string().min(1),
  country: z.enum(["CN", "US"]),
  as_of: instantWithOffset,
  currency: z.enum(["CNY", "USD"]),
  unit: z.enum(["per_token", "per_1k_tokens", "per_1m_tokens"]),
  models: z
    .array(
      z.strictObject({
        model: z.string().min(1),
        input: decimalText,
        cached_input: decimalText.optional(),
        output: decimalText,
        tiers: z.array(z.strictObject({ min_input_tokens: z.string().regex(/^[0-9]+$/), input: decimalText, output: decimalText })).optional(),
      }),
    )
    .min(2)
    .max(4),
});

const readDoc = (file: string) => parseLossless(fs.readFileSync(file, "utf8"), null, (n: string) => n);
const sheets = samplePriceFiles.map((f) => Sheet.parse(readDoc(f)));
const asOfMs = (s: string) => Date.parse(s);

describe("Sample price sheets: real list prices in ciyuan.price-sheet/1", () => {
  it("every file is a valid sheet: prices are plain decimals > 0, as_of carries an offset, 2-4 models", () => {
    expect(sheets.length).toBe(samplePriceFiles.length);
  });

  it("samplePriceFiles lists every file in prices/, oldest as_of first", () => {
    const onDisk = fs.readdirSync(path.join(SAMPLE_DIR, "prices")).map((f) => path.join(SAMPLE_DIR, "prices", f));
    expect([...samplePriceFiles].sort()).toEqual(onDisk.sort());
    const times = sheets.map((s) => asOfMs(s.as_of));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("covers at least 8 Chinese providers and some non-Chinese ones for exclusions", () => {
    const cn = new Set(sheets.filter((s) => s.country === "CN").map((s) => s.provider));
    const other = new Set(sheets.filter((s) => s.country !== "CN").map((s) => s.provider));
    expect(cn.size).toBeGreaterThanOrEqual(8);
    expect(other.size).toBeGreaterThanOrEqual(2);
  });

  it("each file is named <provider>.<date>.json after its own provider", () => {
    samplePriceFiles.forEach((f, i) => expect(path.basename(f).split(".")[0]).toBe(sheets[i]!.provider));
  });

  it("holds a real price change: DeepSeek's V3.2 cut across three sheets", () => {
    const ds = sheets.filter((s) => s.provider === "deepseek");
    expect(ds.map((s) => s.as_of)).toEqual(["2025-11-01T14:07:38-07:00", "2025-12-20T00:00:00+08:00", "2026-02-20T22:24:58-08:00"]);
    const chatOut = ds.map((s) => {
      const m = s.models.find((x) => x.model === "deepseek-chat")!;
      return new D(m.output).times(s.unit === "per_token" ? 1_000_000 : 1).toString();
    });
    expect(chatOut).toEqual(["1.1", "0.42", "0.42"]);
  });

  it("sampleModels lists each (provider, model) of the sheets once", () => {
    const models = sampleModels();
    const keys = models.map((m) => `${m.provider}/${m.model}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("deepseek/deepseek-chat");
    expect(keys).toContain("openai/gpt-5");
    expect(models.length).toBe(new Set(sheets.flatMap((s) => s.models.map((m) => `${s.provider}/${m.model}`))).size);
  });
});

describe("Sample FX: ECB reference rates, cross rates to CNY", () => {
  const fx = parseFx(fs.readFileSync(sampleFxFiles[0]!, "utf8"));

  it("the ECB XML files are the recorded files, unchanged", () => {
    const sha = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex").slice(0, 16);
    expect(sampleEcbXmlFiles.map(sha)).toEqual(["6a8196524d848f90", "3f089890bc087c0b"]);
  });

  it("derives USD as CNY / USD (half-even, 18 places) and EUR as CNY, for the dates of the XML files", () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", parseAttributeValue: false, removeNSPrefix: true });
    for (const file of sampleEcbXmlFiles) {
      const doc = parser.parse(fs.readFileSync(file, "utf8"));
      const day = doc.Envelope.Cube.Cube;
      const rate = (c: string) => (day.Cube as { currency: string; rate: string }[]).find((x) => x.currency === c)!.rate;
      const usd = new D(rate("CNY")).div(rate("USD")).toFixed(18, D.ROUND_HALF_EVEN);
      const on = (c: string) => fx.filter((r) => r.currency === c && r.as_of.startsWith(`${day.time}T16:00:00`));
      expect(on("USD").map((r) => r.cny_per_unit)).toEqual([usd]);
      expect(on("EUR").map((r) => r.cny_per_unit)).toEqual([rate("CNY")]);
    }
  });

  it("the other dates follow the same rule from the ECB history figures in the README", () => {
    const ecb: [string, string, string][] = [
      ["2025-06-13", "1.1512", "8.2682"],
      ["2025-10-31", "1.1554", "8.222"],
      ["2026-02-20", "1.1767", "8.1294"],
      ["2026-04-13", "1.1684", "7.9827"],
    ];
    for (const [date, usd, cny] of ecb) {
      expect(fx.find((r) => r.currency === "USD" && r.as_of.startsWith(date))!.cny_per_unit).toBe(new D(cny).div(usd).toFixed(18, D.ROUND_HALF_EVEN));
      expect(fx.find((r) => r.currency === "EUR" && r.as_of.startsWith(date))!.cny_per_unit).toBe(cny);
    }
  });

  it("a USD rate is in force before the first sheet", () => {
    const firstUsd = Math.min(...fx.filter((r) => r.currency === "USD").map((r) => asOfMs(r.as_of)));
    expect(firstUsd).toBeLessThan(Math.min(...sheets.map((s) => asOfMs(s.as_of))));
  });
});

describe("Sample usage: synthetic, deterministic, in our usage CSV format", () => {
  const models = sampleModels();
  const end = "2026-11-24T08:00:00Z";
  const csv = sampleUsageCsv({ end, days: 10, models });
  const records = parseUsageCsv(csv);

  it("writes our header and one record per model per UTC day", () => {
    expect(csv.split("\n")[0]).toBe("provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens");
    expect(records).toHaveLength(10 * models.length);
    const days = new Set(records.map((r) => r.period_start));
    expect(days.size).toBe(10);
    for (const r of records) expect(Date.parse(r.period_end) - Date.parse(r.period_start)).toBe(86_400_000);
  });

  it("the last day ends at 00:00 UTC of end's date: nothing lies after end", () => {
    const lastEnd = records.map((r) => r.period_end).sort().at(-1);
    expect(lastEnd).toBe("2026-11-24T00:00:00Z");
  });

  it("token counts are integers, cached <= input, and some models report no cached tokens", () => {
    for (const r of records) {
      for (const v of [r.input_tokens, r.output_tokens]) expect(String(v)).toMatch(/^[0-9]+$/);
      if (r.cached_input_tokens !== null) expect(BigInt(r.cached_input_tokens as string) <= BigInt(r.input_tokens as string)).toBe(true);
    }
    expect(records.some((r) => r.cached_input_tokens === null)).toBe(true);
    expect(records.some((r) => r.cached_input_tokens !== null)).toBe(true);
  });

  it("is deterministic: the same call gives the same text, and a day's record does not depend on the window", () => {
    expect(sampleUsageCsv({ end, days: 10, models })).toBe(csv);
    const longer = parseUsageCsv(sampleUsageCsv({ end: "2026-11-26T23:59:59+00:00", days: 12, models }));
    const key = (r: (typeof records)[number]) => JSON.stringify(r);
    const longerKeys = new Set(longer.map(key));
    for (const r of records) expect(longerKeys.has(key(r))).toBe(true);
  });

  it("has realistic magnitudes: billions of tokens a day for the dominant models", () => {
    const doubao = records.filter((r) => r.model === "doubao-seed-1.6");
    for (const r of doubao) expect(BigInt(r.input_tokens as string) + BigInt(r.output_tokens as string) > 10_000_000_000n).toBe(true);
  });

  it("rejects options that are not an ISO instant, a positive whole number of days, or models", () => {
    expect(() => sampleUsageCsv({ end: "yesterday", days: 1, models })).toThrow();
    expect(() => sampleUsageCsv({ end, days: 0, models })).toThrow();
    expect(() => sampleUsageCsv({ end, days: 1, models: [] })).toThrow();
  });
});

describe("Sample end to end through the reference calculator", () => {
  it("gives an ok CTPI in which capping binds and the US providers are not_in_universe", () => {
    const refSheets = samplePriceFiles.map((f) => parseSheetJson(fs.readFileSync(f, "utf8")));
    const fx = parseFx(fs.readFileSync(sampleFxFiles[0]!, "utf8"));
    const usage = parseUsageCsv(sampleUsageCsv({ end: "2026-11-24T08:00:00Z", days: 8, models: sampleModels() }));
    const f = computeFixing({ sheets: refSheets, fx, usage, definition: CTPI_FAMILY.CTPI, at: "2026-11-24T08:00:00Z", previous: null });
    expect(f.status).toBe("ok");
    expect(f.constituents.length).toBeGreaterThanOrEqual(20);
    expect(f.constituents.some((c) => c.capped)).toBe(true);
    expect(new Set(f.exclusions.map((e) => `${e.provider}:${e.reason}`))).toEqual(new Set(["openai:not_in_universe", "anthropic:not_in_universe"]));
  });
});
