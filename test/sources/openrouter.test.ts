/**
 * OpenRouter's models API into our price sheets: decimal strings in USD per token moved to
 * USD per 1M, one sheet per mapped id prefix, stored through the same gates as the CLI.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { importPrices } from "../../src/normalise/index.ts";
import { withoutUnchangedSheets } from "../../src/normalise/unchanged-sheets.ts";
import { openrouterSheets } from "../../src/sources/openrouter.ts";
import { describeEachEngine } from "../support/engines.ts";
import { OPENROUTER_FILE, importUsdRate, modelOf, normalisedCny, quarantinedReasons, sheetCount, sheetDocs } from "./registry-helpers.ts";

const RESPONSE = fs.readFileSync(OPENROUTER_FILE, "utf8");
const PROVIDERS = {
  deepseek: { provider: "deepseek", country: "CN" },
  qwen: { provider: "alibaba", country: "CN" },
  moonshotai: { provider: "moonshot", country: "CN" },
  google: { provider: "google", country: "US" },
};
const AT = "2026-08-01T08:00:00Z";
const options = (asOf = AT) => ({ asOf, providers: PROVIDERS, location: "openrouter.json" });

type Pricing = Record<string, string>;
const model = (id: string, pricing: Pricing, outputs = ["text"]) => ({ id, architecture: { modality: "text->text", output_modalities: outputs }, pricing });
const response = (...models: unknown[]) => JSON.stringify({ data: models });

describe("registry kinds yield one sheet per mapped provider, read off the real OpenRouter response", () => {
  const sheets = openrouterSheets(RESPONSE, options());
  const docs = sheetDocs(sheets.text);

  it("one sheet per mapped id prefix, USD per 1M tokens, as_of the collection time; unmapped entries are ignored", () => {
    expect(sheets.providers).toEqual(["alibaba", "deepseek", "google", "moonshot"]);
    expect(docs.map((d) => [d.provider, d.country, d.as_of, d.currency, d.unit])).toEqual([
      ["alibaba", "CN", AT, "USD", "per_1m_tokens"],
      ["deepseek", "CN", AT, "USD", "per_1m_tokens"],
      ["google", "US", AT, "USD", "per_1m_tokens"],
      ["moonshot", "CN", AT, "USD", "per_1m_tokens"],
    ]);
    // 12 deepseek/*, 48 qwen/*, 7 moonshotai/* ids in the file, all text output.
    const count = (p: string) => docs.find((d) => d.provider === p)!.models.length;
    expect([count("alibaba"), count("deepseek"), count("moonshot")]).toEqual([48, 12, 7]);
    expect(docs.some((d) => d.models.some((m) => String(m.model).includes("/")))).toBe(false);
  });

  it("a model's name is the id without its provider prefix; prices match the file read by hand", () => {
    // deepseek/deepseek-v3.2: "prompt":"0.000000269","completion":"0.0000004","input_cache_read":"0.0000001345"
    expect(modelOf(docs, "deepseek", "deepseek-v3.2")).toEqual({ model: "deepseek-v3.2", input: "0.269", cached_input: "0.1345", output: "0.4" });
    // deepseek/deepseek-v4-pro: "prompt":"0.000000435","completion":"0.00000087","input_cache_read":"0.000000003625"
    expect(modelOf(docs, "deepseek", "deepseek-v4-pro")).toEqual({ model: "deepseek-v4-pro", input: "0.435", cached_input: "0.003625", output: "0.87" });
    // moonshotai/kimi-k2.5: "prompt":"0.00000057","completion":"0.00000285","input_cache_read":"0.000000095"
    expect(modelOf(docs, "moonshot", "kimi-k2.5")).toEqual({ model: "kimi-k2.5", input: "0.57", cached_input: "0.095", output: "2.85" });
    // qwen/qwen-plus-2025-07-28:thinking: "prompt":"0.0000004","completion":"0.0000012", overrides
    // [{min_prompt_tokens 256000, prompt "0.0000012", completion "0.0000036"}]
    expect(modelOf(docs, "alibaba", "qwen-plus-2025-07-28:thinking")).toEqual({
      model: "qwen-plus-2025-07-28:thinking",
      input: "0.4",
      output: "1.2",
      tiers: [{ min_input_tokens: "256000", input: "1.2", output: "3.6" }],
    });
  });

  it("pricing.overrides become tiers by prompt tokens", () => {
    // qwen/qwen3-max: prompt "0.00000078", completion "0.0000039", input_cache_read "0.000000156";
    // overrides 32000: "0.00000156" / "0.0000078" / "0.000000312"; 128000: "0.00000195" / "0.00000975" / "0.00000039"
    expect(modelOf(docs, "alibaba", "qwen3-max")).toEqual({
      model: "qwen3-max",
      input: "0.78",
      cached_input: "0.156",
      output: "3.9",
      tiers: [
        { min_input_tokens: "32000", input: "1.56", cached_input: "0.312", output: "7.8" },
        { min_input_tokens: "128000", input: "1.95", cached_input: "0.39", output: "9.75" },
      ],
    });
  });

  it("only text-output models are taken: image and audio output models are not", () => {
    // google/gemini-3-pro-image outputs ["image","text"]; google/lyria-3-pro-preview ["text","audio"] (price "0").
    expect(modelOf(docs, "google", "gemini-3-pro-image")).toBeUndefined();
    expect(modelOf(docs, "google", "lyria-3-pro-preview")).toBeUndefined();
    expect(modelOf(docs, "google", "gemma-4-31b-it")).toBeDefined();
  });

  it(":free variants are not taken", () => {
    // google/gemma-4-31b-it:free has "prompt":"0","completion":"0".
    expect(modelOf(docs, "google", "gemma-4-31b-it:free")).toBeUndefined();
  });
});

describe("a response that is not a models list fails the source whole", () => {
  it.each([["[]"], ["{}"], ['{"data": 1}'], ["<html>"]])("%s", (text) => {
    expect(() => openrouterSheets(text, options())).toThrow(InputError);
  });
});

describeEachEngine("OpenRouter sheets go through the same gates as the CLI", (ctx) => {
  it("normalised CNY per 1M equals USD per 1M x CNY per USD, exactly", async () => {
    const db = ctx.db;
    await importUsdRate(db);
    const outcome = await importPrices(db, { location: "openrouter.json", text: openrouterSheets(RESPONSE, options()).text, source: "openrouter" });
    expect(outcome).toMatchObject({ stored: 4, unchanged: 0, rejected: [] });
    // 0.269 x 7.1234 = 1.9161946; 0.1345 x 7.1234 = 0.9580973; 0.4 x 7.1234 = 2.84936
    expect(await normalisedCny(db, "deepseek", "deepseek-v3.2")).toEqual({ input: "1.9161946", cached_input: "0.9580973", output: "2.84936" });
    // 0.78 x 7.1234 = 5.556252; 0.156 x 7.1234 = 1.1112504; 3.9 x 7.1234 = 27.78126
    expect(await normalisedCny(db, "alibaba", "qwen3-max")).toEqual({ input: "5.556252", cached_input: "1.1112504", output: "27.78126" });
    // 0.57 x 7.1234 = 4.060338; 0.095 x 7.1234 = 0.676723; 2.85 x 7.1234 = 20.30169
    expect(await normalisedCny(db, "moonshot", "kimi-k2.5")).toEqual({ input: "4.060338", cached_input: "0.676723", output: "20.30169" });
  });

  describe("a price that is present but not a number > 0 skips that model only: the provider's other models are stored", () => {
    it.each([["0"], ["-1"], ["abc"]])('moonshotai prompt "%s"', async (bad) => {
      const db = (await ctx.fresh()).db;
      const text = response(
        model("deepseek/deepseek-v3.2", { prompt: "0.000000269", completion: "0.0000004" }),
        model("moonshotai/kimi-k2.5", { prompt: "0.00000057", completion: "0.00000285" }),
        model("moonshotai/kimi-bad", { prompt: bad, completion: "0.00000285" }),
      );
      const sheets = openrouterSheets(text, options());
      expect(sheets.skipped).toEqual([{ provider: "moonshot", model: "kimi-bad", reason: expect.stringMatching(/^pricing\.prompt /) }]);
      const outcome = await importPrices(db, { location: "openrouter.json", text: sheets.text });
      expect(outcome).toMatchObject({ stored: 2, rejected: [] });
      expect(await sheetCount(db, "deepseek")).toBe(1);
      expect(await sheetCount(db, "moonshot")).toBe(1);
      expect(modelOf(sheetDocs(sheets.text), "moonshot", "kimi-bad")).toBeUndefined();
      expect(await quarantinedReasons(db, "moonshot")).toEqual([]);
    });
  });

  it("a sheet whose content equals the provider's latest sheet is not stored again", async () => {
    const db = (await ctx.fresh()).db;
    const first = openrouterSheets(RESPONSE, options("2026-08-01T08:00:00Z"));
    expect(await importPrices(db, { location: "openrouter.json", text: first.text })).toMatchObject({ stored: 4, rejected: [] });
    const again = await withoutUnchangedSheets(db, openrouterSheets(RESPONSE, options("2026-08-01T09:00:00Z")));
    expect(again).toEqual({ text: "[]", providers: [], unchanged: ["alibaba", "deepseek", "google", "moonshot"] });
    const changed = RESPONSE.replace('"prompt":"0.000000269"', '"prompt":"0.00000027"');
    expect(changed).not.toBe(RESPONSE);
    const next = await withoutUnchangedSheets(db, openrouterSheets(changed, options("2026-08-01T10:00:00Z")));
    expect(next.providers).toEqual(["deepseek"]);
    expect(await importPrices(db, { location: "openrouter.json", text: next.text })).toMatchObject({ stored: 1, rejected: [] });
    expect(await sheetCount(db, "deepseek")).toBe(2);
    expect(modelOf(sheetDocs(next.text), "deepseek", "deepseek-v3.2")).toMatchObject({ input: "0.27" });
  });
});
