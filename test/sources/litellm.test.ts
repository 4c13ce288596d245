/**
 * LiteLLM's registry into our price sheets: USD per token read as exact text and moved to
 * USD per 1M, one sheet per mapped provider, stored through the same gates as the CLI.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { importPrices } from "../../src/normalise/index.ts";
import { withoutUnchangedSheets } from "../../src/normalise/unchanged-sheets.ts";
import { litellmSheets } from "../../src/sources/litellm.ts";
import { price, timesMillion } from "../../src/sources/registry-sheet.ts";
import { LosslessNumber } from "lossless-json";
import { describeEachEngine } from "../support/engines.ts";
import { LITELLM_FILE, importUsdRate, modelOf, normalisedCny, quarantinedReasons, sheetCount, sheetDocs } from "./registry-helpers.ts";

const REGISTRY = fs.readFileSync(LITELLM_FILE, "utf8");
const PROVIDERS = {
  deepseek: { provider: "deepseek", country: "CN" },
  dashscope: { provider: "alibaba", country: "CN" },
  moonshot: { provider: "moonshot", country: "CN" },
};
const AT = "2026-02-21T08:00:00Z";
const options = (asOf = AT, providers: Record<string, { provider: string; country: string }> = PROVIDERS) => ({ asOf, providers, location: "litellm.json" });

/** A small registry: `entries` maps key -> JSON text of the entry. */
const registry = (entries: Record<string, string>) => `{${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`;
const chat = (provider: string, input: string, output: string) => `{"litellm_provider": "${provider}", "mode": "chat", "input_cost_per_token": ${input}, "output_cost_per_token": ${output}}`;

describe("USD per token becomes USD per 1M tokens exactly, by moving the decimal point", () => {
  it.each([
    ["2.8e-07", "0.28"],
    ["1.5E-6", "1.5"],
    ["3.625e-09", "0.003625"],
    ["1e-12", "0.000001"],
    ["0.00000014", "0.14"],
    ["4.2e-07", "0.42"],
    ["2", "2000000"],
  ])("%s USD per token is %s USD per 1M", (perToken, expected) => {
    expect(price(new LosslessNumber(perToken), "json-number", "input_cost_per_token").value).toBe(expected);
  });
  it("the shift is exact text arithmetic, whatever the value (zero and negatives are refused before, see registry-skips)", () => {
    expect(timesMillion("0")).toBe("0");
    expect(timesMillion("-1")).toBe("-1000000");
    expect(timesMillion("0.0000000000001")).toBe("0.0000001");
  });
});

describe("registry kinds yield one sheet per mapped provider, read off the real LiteLLM file", () => {
  const sheets = litellmSheets(REGISTRY, options());
  const docs = sheetDocs(sheets.text);

  it("one sheet per mapped provider, USD per 1M tokens, as_of the collection time; unmapped entries are ignored", () => {
    expect(sheets.providers).toEqual(["alibaba", "deepseek", "moonshot"]);
    expect(docs.map((d) => [d.provider, d.country, d.as_of, d.currency, d.unit])).toEqual([
      ["alibaba", "CN", AT, "USD", "per_1m_tokens"],
      ["deepseek", "CN", AT, "USD", "per_1m_tokens"],
      ["moonshot", "CN", AT, "USD", "per_1m_tokens"],
    ]);
    // 8 deepseek entries, two of them also unprefixed (deepseek-chat, deepseek-reasoner): 6 models.
    expect(docs.find((d) => d.provider === "deepseek")!.models.map((m) => m.model)).toEqual([
      "deepseek-chat",
      "deepseek-coder",
      "deepseek-r1",
      "deepseek-reasoner",
      "deepseek-v3",
      "deepseek-v3.2",
    ]);
    expect(modelOf(docs, "openai", "gpt-4o")).toBeUndefined();
  });

  it("a model's name is the registry key without its provider prefix; prices match the file read by hand", () => {
    // "deepseek/deepseek-chat": input_cost_per_token 2.8e-07, cache_read_input_token_cost 2.8e-08, output_cost_per_token 4.2e-07
    expect(modelOf(docs, "deepseek", "deepseek-chat")).toEqual({ model: "deepseek-chat", input: "0.28", cached_input: "0.028", output: "0.42" });
    // "deepseek/deepseek-coder": input 1.4e-07, legacy input_cost_per_token_cache_hit 1.4e-08, output 2.8e-07
    expect(modelOf(docs, "deepseek", "deepseek-coder")).toEqual({ model: "deepseek-coder", input: "0.14", cached_input: "0.014", output: "0.28" });
    // "dashscope/qwen-max": input 1.6e-06, output 6.4e-06, no cache price
    expect(modelOf(docs, "alibaba", "qwen-max")).toEqual({ model: "qwen-max", input: "1.6", output: "6.4" });
    // "moonshot/kimi-k2.5": input 6e-07, cache_read 1e-07, output 3e-06
    expect(modelOf(docs, "moonshot", "kimi-k2.5")).toEqual({ model: "kimi-k2.5", input: "0.6", cached_input: "0.1", output: "3" });
  });

  it("tiered_pricing: the lowest tier is the standard price, the others are tiers by prompt tokens", () => {
    // "dashscope/qwen-plus-latest" tiered_pricing: [0, 256000.0] input 4e-07 output 1.2e-06;
    // [256000.0, 1000000.0] input 1.2e-06 output 3.6e-06
    expect(modelOf(docs, "alibaba", "qwen-plus-latest")).toEqual({
      model: "qwen-plus-latest",
      input: "0.4",
      output: "1.2",
      tiers: [{ min_input_tokens: "256000", input: "1.2", output: "3.6" }],
    });
  });

  it("*_above_<N>k_tokens prices become a tier from N thousand prompt tokens", () => {
    // "gemini/gemini-2.5-pro": input 1.25e-06, cache_read 1.25e-07, output 1e-05;
    // *_above_200k_tokens: input 2.5e-06, cache_read 2.5e-07, output 1.5e-05
    const google = sheetDocs(litellmSheets(REGISTRY, options(AT, { gemini: { provider: "google", country: "US" } })).text);
    expect(modelOf(google, "google", "gemini-2.5-pro")).toEqual({
      model: "gemini-2.5-pro",
      input: "1.25",
      cached_input: "0.125",
      output: "10",
      tiers: [{ min_input_tokens: "200000", input: "2.5", cached_input: "0.25", output: "15" }],
    });
  });

  it("an entry with no per-token price at all is not taken", () => {
    // "dashscope/qwen3-30b-a3b" has mode chat and no cost field.
    expect(modelOf(docs, "alibaba", "qwen3-30b-a3b")).toBeUndefined();
  });
});

describe("only chat/completion models are taken", () => {
  it("chat and completion are taken; embedding and an entry without mode are not", () => {
    const text = registry({
      "acme/a": chat("acme", "1e-06", "2e-06"),
      "acme/b": `{"litellm_provider": "acme", "mode": "completion", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}`,
      "acme/c": `{"litellm_provider": "acme", "mode": "embedding", "input_cost_per_token": 1e-06}`,
      "acme/d": `{"litellm_provider": "acme", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}`,
      sample_spec: `{"litellm_provider": "one of https://docs.litellm.ai/docs/providers", "mode": "one of: chat, embedding"}`,
      last_updated: `"2026-07-24T18:23:43.215560+00:00"`,
    });
    const docs = sheetDocs(litellmSheets(text, options(AT, { acme: { provider: "acme", country: "US" } })).text);
    expect(docs[0]!.models.map((m) => m.model)).toEqual(["a", "b"]);
  });
});

describe("where the registry holds one model under both forms, the prefixed entry wins", () => {
  it.each([
    ["prefixed first", ["moonshot/kimi-x", "kimi-x"]],
    ["unprefixed first", ["kimi-x", "moonshot/kimi-x"]],
  ])("%s", (_, order) => {
    const entries: Record<string, string> = {};
    for (const key of order!) entries[key] = key.includes("/") ? chat("moonshot", "6e-07", "2.5e-06") : chat("moonshot", "1e-06", "3e-06");
    const docs = sheetDocs(litellmSheets(registry(entries), options()).text);
    expect(docs[0]!.models).toEqual([{ model: "kimi-x", input: "0.6", output: "2.5" }]);
  });
});

describe("a registry that is not a JSON object fails the source whole", () => {
  it.each([["[]"], ["{"], ["42"]])("%s", (text) => {
    expect(() => litellmSheets(text, options())).toThrow(InputError);
  });
});

describeEachEngine("registry sheets go through the same gates as the CLI", (ctx) => {
  it("normalised CNY per 1M equals USD per 1M x CNY per USD, exactly", async () => {
    const db = ctx.db;
    await importUsdRate(db);
    const sheets = litellmSheets(REGISTRY, options());
    const outcome = await importPrices(db, { location: "litellm.json", text: sheets.text, source: "litellm" });
    expect(outcome).toMatchObject({ stored: 3, unchanged: 0, rejected: [] });
    // 0.28 x 7.1234 = 1.994552; 0.028 x 7.1234 = 0.1994552; 0.42 x 7.1234 = 2.991828
    expect(await normalisedCny(db, "deepseek", "deepseek-chat")).toEqual({ input: "1.994552", cached_input: "0.1994552", output: "2.991828" });
    // 1.6 x 7.1234 = 11.39744; 6.4 x 7.1234 = 45.58976
    expect(await normalisedCny(db, "alibaba", "qwen-max")).toEqual({ input: "11.39744", cached_input: null, output: "45.58976" });
    // 0.4 x 7.1234 = 2.84936; 1.2 x 7.1234 = 8.54808
    expect(await normalisedCny(db, "alibaba", "qwen-plus-latest")).toEqual({ input: "2.84936", cached_input: null, output: "8.54808" });
    // 0.6 x 7.1234 = 4.27404; 0.1 x 7.1234 = 0.71234; 3 x 7.1234 = 21.3702
    expect(await normalisedCny(db, "moonshot", "kimi-k2.5")).toEqual({ input: "4.27404", cached_input: "0.71234", output: "21.3702" });
  });

  describe("a price that is present but not a number > 0 skips that model only: the provider's other models are stored", () => {
    it.each([["0"], ["-1"], ['"abc"'], ['"0"']])("moonshot input_cost_per_token %s", async (bad) => {
      const db = (await ctx.fresh()).db;
      const text = registry({
        "deepseek/deepseek-chat": chat("deepseek", "2.8e-07", "4.2e-07"),
        "moonshot/kimi-k2.5": chat("moonshot", "6e-07", "3e-06"),
        "moonshot/kimi-bad": chat("moonshot", bad, "3e-06"),
      });
      const sheets = litellmSheets(text, options());
      expect(sheets.skipped).toEqual([{ provider: "moonshot", model: "kimi-bad", reason: expect.stringMatching(/^input_cost_per_token /) }]);
      const outcome = await importPrices(db, { location: "litellm.json", text: sheets.text, source: "litellm" });
      expect(outcome).toMatchObject({ stored: 2, rejected: [] });
      expect(await sheetCount(db, "deepseek")).toBe(1);
      expect(await sheetCount(db, "moonshot")).toBe(1);
      expect(modelOf(sheetDocs(sheets.text), "moonshot", "kimi-bad")).toBeUndefined();
      expect(await quarantinedReasons(db, "moonshot")).toEqual([]);
    });
  });

  it("a sheet whose content equals the provider's latest sheet is not stored again", async () => {
    const db = (await ctx.fresh()).db;
    const first = litellmSheets(REGISTRY, options("2026-02-21T08:00:00Z"));
    expect(await importPrices(db, { location: "litellm.json", text: first.text })).toMatchObject({ stored: 3, rejected: [] });

    // The same registry an hour later: nothing new for anyone.
    const again = await withoutUnchangedSheets(db, litellmSheets(REGISTRY, options("2026-02-21T09:00:00Z")));
    expect(again).toEqual({ text: "[]", providers: [], unchanged: ["alibaba", "deepseek", "moonshot"] });

    // One price moves: only that provider's sheet is new.
    const changed = REGISTRY.replace(/("moonshot\/kimi-k2\.5": \{[^}]*?"input_cost_per_token": )6e-07/, "$15e-07");
    expect(changed).not.toBe(REGISTRY);
    const next = await withoutUnchangedSheets(db, litellmSheets(changed, options("2026-02-21T10:00:00Z")));
    expect(next.providers).toEqual(["moonshot"]);
    expect(next.unchanged).toEqual(["alibaba", "deepseek"]);
    expect(await importPrices(db, { location: "litellm.json", text: next.text })).toMatchObject({ stored: 1, rejected: [] });
    expect(await sheetCount(db, "moonshot")).toBe(2);
    expect(await sheetCount(db, "deepseek")).toBe(1);
    expect(modelOf(sheetDocs(next.text), "moonshot", "kimi-k2.5")).toMatchObject({ input: "0.5" });
  });
});
