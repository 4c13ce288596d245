/**
 * The public usage proxy (operations-and-users.md section 6): OpenRouter's weekly rankings,
 * read off real weekly files, become one usage record per mapped model and week, stored
 * under the collector's name with what was estimated marked.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { isLosslessNumber } from "lossless-json";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collectSource } from "../../src/collect/index.ts";
import { openDatabase, rows, type Db } from "../../src/db/index.ts";
import { CiyuanError, InputError } from "../../src/errors.ts";
import { storeInput } from "../../src/normalise/index.ts";
import { rankedModel, rankingsUsage, type RankingsOptions } from "../../src/normalise/rankings-usage.ts";
import { DEFAULT_SOURCES_FILE, loadSourcesConfig, parseSourcesConfig, type SourceConfig } from "../../src/sources/config.ts";
import { rankingsWeek } from "../../src/sources/openrouter-rankings.ts";
import { parseBody } from "../../src/sources/parse.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { runCli } from "../support/cli.ts";
import { describeEachEngine, engineNames, freshCliEnv } from "../support/engines.ts";
import { FIXTURES_DIR, startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";
import { addFx, addSheet, fixingRows } from "../support/seed.ts";

const T = { timeout: 120_000 };
const WEEKLY = "real/openrouter/rankings-weekly";
const file = (date: string) => `${WEEKLY}/${date}.json`;
const real = (date: string) => fs.readFileSync(path.join(FIXTURES_DIR, file(date)), "utf8");

/** The Chinese providers, keyed by OpenRouter's slug prefixes (as the bundled list maps them). */
const CN = {
  deepseek: { provider: "deepseek", country: "CN" },
  qwen: { provider: "alibaba", country: "CN" },
  moonshotai: { provider: "moonshot", country: "CN" },
  minimax: { provider: "minimax", country: "CN" },
  "z-ai": { provider: "zhipu", country: "CN" },
  stepfun: { provider: "stepfun", country: "CN" },
  xiaomi: { provider: "xiaomi", country: "CN" },
  tencent: { provider: "tencent", country: "CN" },
};

const usageOf = (date: string, opts: Partial<RankingsOptions> = {}, text = real(date)) =>
  rankingsUsage(rankingsWeek(`${date}.json`, text), { location: `${date}.json`, providers: CN, ...opts });

/** A record's key and numbers, as text: [provider, model, input, cached, output, estimated]. */
const numbers = (r: { provider: string; model: string; inputTokens: string; cachedInputTokens: string | null; outputTokens: string; estimated: boolean }) =>
  [r.provider, r.model, r.inputTokens, r.cachedInputTokens, r.outputTokens, r.estimated] as const;

/** A copy of a real file with one piece of text replaced (it must be there). */
function edited(date: string, from: string, to: string): string {
  const text = real(date);
  expect(text).toContain(from);
  return text.replace(from, to);
}

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

describe("the weekly rankings JSON is read as its date and one unit per ranked entry, numbers exact", () => {
  it("a real week: its date, ten entries in file order, token counts as exact JSON numbers", () => {
    const week = rankingsWeek("2026-03-02.json", real("2026-03-02"));
    expect(week.date).toBe("2026-03-02");
    expect(week.entries.map((e) => [e.path, e.seq, e.fields.slug])).toEqual([
      ["models[0]", 1, "anthropic/claude-4.6-opus-20260205"],
      ["models[1]", 2, "anthropic/claude-4.6-sonnet-20260217"],
      ["models[2]", 3, "anthropic/claude-4.5-sonnet-20250929"],
      ["models[3]", 4, "google/gemini-3-flash-preview-20251217"],
      ["models[4]", 5, "z-ai/glm-5-20260211"],
      ["models[5]", 6, "minimax/minimax-m2.5-20260211"],
      ["models[6]", 7, "moonshotai/kimi-k2.5-0127"],
      ["models[7]", 8, "deepseek/deepseek-v3.2-20251201"],
      ["models[8]", 9, "x-ai/grok-4.1-fast"],
      ["models[9]", 10, "arcee-ai/trinity-large-preview:free"],
    ]);
    const minimax = week.entries[5]!.fields;
    expect(isLosslessNumber(minimax.prompt_tokens)).toBe(true);
    expect(String(minimax.prompt_tokens)).toBe("1608334029842");
  });

  it("a count past 2^53 keeps every digit", () => {
    const week = rankingsWeek("x.json", edited("2026-05-11", `"total_tokens": 868000000000`, `"total_tokens": 123456789012345679`));
    expect(String(week.entries[6]!.fields.total_tokens)).toBe("123456789012345679");
  });

  it.each([
    ["{", /^x\.json:1: not valid JSON: /],
    ["[]", /^x\.json: not a JSON object$/],
    [`{"date": "2026-03-02"}`, /^x\.json: models: missing \(an array of ranked models\)$/],
    [`{"date": "2026-03-02", "models": [{"slug": "a/b"}, 7]}`, /^x\.json: models\[1\]: not a JSON object$/],
  ])("not a rankings document: %s", (text, message) => {
    expect(inputError(() => rankingsWeek("x.json", text))).toMatch(message);
  });
});

describe("each record is the week before `date`: period_start = date - 7 days, period_end = date, both 00:00 UTC", () => {
  it("2026-03-02 covers 2026-02-23T00:00Z to 2026-03-02T00:00Z", () => {
    const { records } = usageOf("2026-03-02");
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect([r.periodStart, r.periodEnd]).toEqual(["2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z"]);
  });

  it("across a month end: 2025-11-30 covers 2025-11-23 to 2025-11-30", () => {
    const { records } = usageOf("2025-11-30");
    expect(records.map((r) => [r.periodStart, r.periodEnd])).toEqual([["2025-11-23T00:00:00Z", "2025-11-30T00:00:00Z"]]);
  });

  it.each([
    [`"date": "2026-03-02"`, `"date": "2026-02-30"`, "x.json: date: not a date (YYYY-MM-DD)"],
    [`"date": "2026-03-02"`, `"date": "2026-03-02T00:00:00Z"`, "x.json: date: not a date (YYYY-MM-DD)"],
    [`"date": "2026-03-02",`, ``, "x.json: date: missing"],
  ])("a week without a usable date is refused whole: %s -> %s", (from, to, message) => {
    expect(inputError(() => usageOf("2026-03-02", { location: "x.json" }, edited("2026-03-02", from, to)))).toBe(message);
  });
});

describe("the provider comes from the slug's prefix through the source's map; unmapped prefixes are ignored", () => {
  it("2026-03-02: the four Chinese entries, as read off the file; the six others ignored", () => {
    const u = usageOf("2026-03-02");
    // input = prompt_tokens, cached = cached_tokens, output = completion_tokens (reasoning is part of it).
    expect(u.records.map(numbers)).toEqual([
      ["zhipu", "glm-5", "488930348221", "227773231488", "13340383326", false],
      ["minimax", "minimax-m2.5", "1608334029842", "1183091259451", "17971540953", false],
      ["moonshot", "kimi-k2.5-0127", "674892495326", "485276182878", "17357666391", false],
      ["deepseek", "deepseek-v3.2", "768323025797", "238758070477", "32008038456", false],
    ]);
    expect([u.ignored, u.unmapped, u.estimated]).toEqual([6, ["anthropic", "arcee-ai", "google", "x-ai"], 0]);
  });

  it("the map decides alone: mapping x-ai takes its entries, leaving out deepseek drops them", () => {
    const u = usageOf("2026-03-02", { providers: { "x-ai": { provider: "xai", country: "US" } } });
    expect(u.records.map((r) => [r.provider, r.model])).toEqual([["xai", "grok-4.1-fast"]]);
    expect(u.ignored).toBe(9);
  });

  it("a week in which no mapped provider ranks (2025-12-07) gives no record, and is no error", () => {
    const u = usageOf("2025-12-07");
    expect(u.records).toEqual([]);
    expect([u.ignored, u.unmapped]).toEqual([9, ["anthropic", "google", "x-ai"]]);
  });

  it("an ignored entry is not judged; a mapped entry with a count that is not a non-negative integer refuses the week", () => {
    const unmappedBad = edited("2026-03-02", `"prompt_tokens": 625933316876`, `"prompt_tokens": "625933316876"`);
    expect(usageOf("2026-03-02", {}, unmappedBad).records).toHaveLength(4);
    const bad = edited("2026-03-02", `"prompt_tokens": 768323025797`, `"prompt_tokens": 7683230257.5`);
    expect(inputError(() => usageOf("2026-03-02", { location: "x.json" }, bad))).toBe("x.json: models[7].prompt_tokens: not a non-negative integer");
    const noSlug = edited("2026-03-02", `"slug": "x-ai/grok-4.1-fast"`, `"slug": 7`);
    expect(inputError(() => usageOf("2026-03-02", { location: "x.json" }, noSlug))).toBe("x.json: models[8].slug: not a string");
  });
});

describe("the model is the rest of the slug without a `:free` suffix, then without a trailing date", () => {
  it.each([
    ["deepseek-v3.2-20251201", "deepseek-v3.2"],
    ["hy3-preview-20260421:free", "hy3-preview"],
    ["qwen3.6-plus-04-02:free", "qwen3.6-plus"],
    ["qwen-plus-2025-07-28", "qwen-plus"],
    ["step-3.5-flash:free", "step-3.5-flash"],
    // Not one of the three date forms (-YYYYMMDD, -YYYY-MM-DD, -MM-DD): kept.
    ["kimi-k2.5-0127", "kimi-k2.5-0127"],
    ["gemini-2.0-flash-001", "gemini-2.0-flash-001"],
    ["gpt-oss-120b", "gpt-oss-120b"],
    ["model-20251301", "model-20251301"],
    ["model-13-01", "model-13-01"],
    // `:free` only as a suffix, and only after the date is read.
    ["m-20250101:free", "m"],
    ["m:free-20250101", "m:free"],
  ])("%s -> %s", (rest, model) => {
    expect(rankedModel(rest)).toBe(model);
  });
});

describe("`:free` and dated variants of one model are summed into one record", () => {
  it("2025-11-30: x-ai/grok-4.1-fast:free and x-ai/grok-4.1-fast, per type", () => {
    // Each entry: prompt 154151493814, cached 50517009455, completion 48957420904.
    const u = usageOf("2025-11-30", { providers: { "x-ai": { provider: "xai", country: "US" } } });
    expect(u.records.map(numbers)).toEqual([
      ["xai", "grok-code-fast-1", "958394740059", "671729158400", "20307957238", false],
      ["xai", "grok-4.1-fast", "308302987628", "101034018910", "97914841808", false],
    ]);
  });

  it("2026-05-11: tencent/hy3-preview-20260421:free and tencent/hy3-preview-20260421, each split from its total", () => {
    // 2680000000000 -> 2412000000000 + 268000000000; 857000000000 -> 771300000000 + 85700000000.
    const hy3 = usageOf("2026-05-11").records.find((r) => r.model === "hy3-preview");
    expect(numbers(hy3!)).toEqual(["tencent", "hy3-preview", "3183300000000", "0", "353700000000", true]);
  });

  it("2026-04-06: an estimated variant and a reported one of qwen3.6-plus make one record, estimated", () => {
    // qwen3.6-plus-04-02:free: prompt 4540924722390, cached 0, completion 61580689945;
    // qwen3.6-plus-preview is not a date, so it stays a model of its own (all zero, total 1640000000000).
    const u = usageOf("2026-04-06");
    expect(u.records.filter((r) => r.provider === "alibaba").map(numbers)).toEqual([
      ["alibaba", "qwen3.6-plus", "4540924722390", "0", "61580689945", false],
      ["alibaba", "qwen3.6-plus-preview", "1476000000000", "0", "164000000000", true],
    ]);
    const merged = usageOf("2026-04-06", {}, edited("2026-04-06", `"qwen/qwen3.6-plus-preview:free"`, `"qwen/qwen3.6-plus-2026-03-30:free"`));
    expect(merged.records.filter((r) => r.provider === "alibaba").map(numbers)).toEqual([
      ["alibaba", "qwen3.6-plus", "6016924722390", "0", "225580689945", true],
    ]);
  });
});

describe("an entry whose per-type counts are all zero splits total_tokens by default_input_share, exactly, and is estimated", () => {
  it("2026-05-11 (no breakdown that week), default share 0.9: input = floor(total x 0.9), output the rest, cached 0", () => {
    const u = usageOf("2026-05-11");
    expect(u.records.map(numbers)).toEqual([
      ["tencent", "hy3-preview", "3183300000000", "0", "353700000000", true],
      ["moonshot", "kimi-k2.6", "1449000000000", "0", "161000000000", true],
      ["deepseek", "deepseek-v4-flash", "999000000000", "0", "111000000000", true],
      ["deepseek", "deepseek-v3.2", "781200000000", "0", "86800000000", true],
      ["deepseek", "deepseek-v4-pro", "734400000000", "0", "81600000000", true],
      ["minimax", "minimax-m2.7", "670500000000", "0", "74500000000", true],
    ]);
    expect(u.estimated).toBe(6);
  });

  it("a total past 2^53 with share 0.875: exact integers, never a float (a float would read 123456789012345680)", () => {
    // 123456789012345679 x 875 / 1000 = 108024690385802469.125 -> 108024690385802469.
    const text = edited("2026-05-11", `"total_tokens": 868000000000`, `"total_tokens": 123456789012345679`);
    const v32 = usageOf("2026-05-11", { defaultInputShare: "0.875" }, text).records.find((r) => r.model === "deepseek-v3.2");
    expect(numbers(v32!)).toEqual(["deepseek", "deepseek-v3.2", "108024690385802469", "0", "15432098626543210", true]);
  });

  it("a share of 1 takes the whole total as input; an odd total floors the input", () => {
    const one = usageOf("2026-05-11", { defaultInputShare: "1" }).records.find((r) => r.model === "deepseek-v3.2");
    expect(numbers(one!)).toEqual(["deepseek", "deepseek-v3.2", "868000000000", "0", "0", true]);
    const odd = edited("2026-05-11", `"total_tokens": 868000000000`, `"total_tokens": 868000000001`);
    const floor = usageOf("2026-05-11", { defaultInputShare: "0.5" }, odd).records.find((r) => r.model === "deepseek-v3.2");
    expect(numbers(floor!)).toEqual(["deepseek", "deepseek-v3.2", "434000000000", "0", "434000000001", true]);
  });

  it("an entry with any per-type count is taken as reported, not split", () => {
    // The first `"completion_tokens": 0` is the :free entry's.
    const text = edited("2026-05-11", `"completion_tokens": 0,`, `"completion_tokens": 5,`);
    const hy3 = usageOf("2026-05-11", {}, text).records.find((r) => r.model === "hy3-preview");
    // The :free entry now reports 0 / 0 / 5; the dated one is still split (771300000000 / 85700000000).
    expect(numbers(hy3!)).toEqual(["tencent", "hy3-preview", "771300000000", "0", "85700000005", true]);
  });
});

describe("the source's `models` map renames a proxy's model, per provider, to the name its price sheets use; a model it does not name is kept", () => {
  // What DeepSeek's price sheet calls deepseek-chat, the rankings call deepseek-v3.2;
  // LiteLLM lists Moonshot's kimi-k2.5, the rankings kimi-k2.5-0127.
  const MODELS = { deepseek: { "deepseek-v3.2": "deepseek-chat" }, moonshot: { "kimi-k2.5-0127": "kimi-k2.5" } };

  it("2026-03-02: deepseek-v3.2 is stored as deepseek-chat and kimi-k2.5-0127 as kimi-k2.5, with the same numbers; glm-5 and minimax-m2.5 keep the proxy's names", () => {
    const u = usageOf("2026-03-02", { models: MODELS });
    expect(u.records.map(numbers)).toEqual([
      ["zhipu", "glm-5", "488930348221", "227773231488", "13340383326", false],
      ["minimax", "minimax-m2.5", "1608334029842", "1183091259451", "17971540953", false],
      ["moonshot", "kimi-k2.5", "674892495326", "485276182878", "17357666391", false],
      ["deepseek", "deepseek-chat", "768323025797", "238758070477", "32008038456", false],
    ]);
    expect([u.ignored, u.estimated]).toEqual([6, 0]);
  });

  it("the map is keyed by our provider: a name under another provider renames nothing", () => {
    const u = usageOf("2026-03-02", { models: { minimax: { "deepseek-v3.2": "deepseek-chat" } } });
    expect(u.records.map((r) => `${r.provider}/${r.model}`)).toContain("deepseek/deepseek-v3.2");
    expect(u.records.map((r) => r.model)).not.toContain("deepseek-chat");
  });

  it("the proxy's name is the one after `:free` and a trailing date are taken off (tencent/hy3-preview-20260421:free -> hy3-preview)", () => {
    const hy3 = usageOf("2026-05-11", { models: { tencent: { "hy3-preview": "hunyuan-t1" } } }).records.filter((r) => r.provider === "tencent");
    expect(hy3.map(numbers)).toEqual([["tencent", "hunyuan-t1", "3183300000000", "0", "353700000000", true]]);
  });

  it("two proxy models renamed to one name are one record, summed, estimated when either was (2026-04-06, qwen3.6-plus and qwen3.6-plus-preview)", () => {
    const u = usageOf("2026-04-06", { models: { alibaba: { "qwen3.6-plus": "qwen-plus", "qwen3.6-plus-preview": "qwen-plus" } } });
    // 4540924722390 + 1476000000000 input, 61580689945 + 164000000000 output (the preview's split from its total).
    expect(u.records.filter((r) => r.provider === "alibaba").map(numbers)).toEqual([["alibaba", "qwen-plus", "6016924722390", "0", "225580689945", true]]);
  });
});

describe("config: `openrouter-rankings` needs `providers`; `default_input_share` is a decimal in (0, 1], only for this kind", () => {
  const doc = (...sources: Record<string, unknown>[]) => ({ schema: "ciyuan.sources/1", sources });
  const rankings = (extra: Record<string, unknown> = {}) => ({ name: "or", kind: "openrouter-rankings", url: "https://example.org/w.json", providers: CN, ...extra });
  const failure = (d: unknown) => {
    try {
      parseSourcesConfig("sources.json", d);
    } catch (err) {
      expect(err).toBeInstanceOf(CiyuanError);
      return (err as Error).message;
    }
    throw new Error("accepted");
  };

  it.each([
    [doc({ name: "or", kind: "openrouter-rankings", url: "https://example.org/w.json" }), "sources.json: sources[0].providers: required for kind openrouter-rankings"],
    [doc(rankings({ default_input_share: 0 })), "sources.json: sources[0].default_input_share: must be a decimal in (0, 1]"],
    [doc(rankings({ default_input_share: 1.5 })), "sources.json: sources[0].default_input_share: must be a decimal in (0, 1]"],
    [doc(rankings({ default_input_share: -0.1 })), "sources.json: sources[0].default_input_share: must be a decimal in (0, 1]"],
    [doc(rankings({ default_input_share: "nine tenths" })), "sources.json: sources[0].default_input_share: must be a decimal in (0, 1]"],
    [doc(rankings({ default_input_share: true })), "sources.json: sources[0].default_input_share: must be a decimal in (0, 1]"],
    [doc({ name: "f", kind: "fx", url: "https://example.org/f.json", default_input_share: 0.9 }), "sources.json: sources[0].default_input_share: only for kind openrouter-rankings"],
    [doc({ name: "l", kind: "litellm", url: "https://example.org/l.json", providers: CN, default_input_share: 0.9 }), "sources.json: sources[0].default_input_share: only for kind openrouter-rankings"],
    [doc(rankings({ url: undefined })), 'sources.json: sources[0].url: missing (required unless "enabled": false)'],
    [
      doc(rankings({ models: { openai: { "gpt-5": "gpt-5" } } })),
      "sources.json: sources[0].models.openai: not a provider of this source's providers (alibaba, deepseek, minimax, moonshot, stepfun, tencent, xiaomi, zhipu)",
    ],
    [doc(rankings({ models: { deepseek: { "deepseek-v3.2": " " } } })), "sources.json: sources[0].models.deepseek.deepseek-v3.2: empty"],
    [doc(rankings({ models: { deepseek: { "deepseek-v3.2": 7 } } })), "sources.json: sources[0].models.deepseek.deepseek-v3.2: Invalid input: expected string, received number"],
    [doc(rankings({ models: { deepseek: ["deepseek-chat"] } })), "sources.json: sources[0].models.deepseek: Invalid input: expected record, received array"],
    [doc({ name: "l", kind: "litellm", url: "https://example.org/l.json", providers: CN, models: { deepseek: { a: "b" } } }), "sources.json: sources[0].models: only for kind openrouter-rankings"],
    [doc(rankings({ enabled: "no" })), "sources.json: sources[0].enabled: Invalid input: expected boolean, received string"],
  ])("%#: %s", (d, message) => {
    expect(failure(d)).toBe(message);
  });

  it("a share is kept as exact decimal text: absent stays absent (0.9 applies), 1, 0.875 and \"0.875\" as written", () => {
    const shareOf = (v: unknown) => parseSourcesConfig("s", doc(rankings(v === undefined ? {} : { default_input_share: v }))).sources[0]!.default_input_share;
    expect([shareOf(undefined), shareOf(1), shareOf(0.875), shareOf("0.875"), shareOf(1e-7)]).toEqual([undefined, "1", "0.875", "0.875", "0.0000001"]);
  });

  it("`models` is kept as written, each name trimmed as the usage gates read a model name", () => {
    const config = parseSourcesConfig("s", doc(rankings({ models: { deepseek: { "deepseek-v3.2": " deepseek-chat " } } })));
    expect(config.sources[0]!.models).toEqual({ deepseek: { "deepseek-v3.2": "deepseek-chat" } });
    expect(parseSourcesConfig("s", doc(rankings())).sources[0]!.models).toBeUndefined();
  });

  it("a proxy may map a provider that a registry prices (it stores usage, not sheets)", () => {
    const registry = { name: "l", kind: "litellm", url: "https://example.org/l.json", providers: { deepseek: { provider: "deepseek", country: "CN" } } };
    expect(parseSourcesConfig("s", doc(registry, rankings())).sources.map((s) => s.name)).toEqual(["l", "or"]);
  });

  it('a source with "enabled": false is validated but never collected: left out of the sources, with or without a url', () => {
    const config = parseSourcesConfig("s", doc(rankings({ name: "off", url: undefined, enabled: false }), rankings({ name: "paused", enabled: false }), rankings({ name: "on", enabled: true })));
    expect(config.sources.map((s) => s.name)).toEqual(["on"]);
    expect(failure(doc(rankings({ url: undefined, enabled: false, default_input_share: 2 })))).toBe("sources.json: sources[0].default_input_share: must be a decimal in (0, 1]");
  });

  it("the bundled list holds the proxy switched off until a URL is configured (no stable URL of the latest week exists)", () => {
    const raw = JSON.parse(fs.readFileSync(DEFAULT_SOURCES_FILE, "utf8")) as { sources: Record<string, unknown>[] };
    const proxy = raw.sources.find((s) => s.kind === "openrouter-rankings");
    expect(proxy).toMatchObject({ name: "openrouter-rankings", enabled: false, default_input_share: 0.9 });
    expect(proxy).not.toHaveProperty("url");
    expect(Object.keys(proxy!.providers as object).sort()).toEqual(Object.keys(CN).sort());
    // Renamed to what the provider's own price sheet (and LiteLLM, which the bundled list reads) calls it.
    expect(proxy!.models).toMatchObject({ deepseek: { "deepseek-v3.2": "deepseek-chat" }, minimax: { "minimax-m2.5": "MiniMax-M2.5" }, moonshot: { "kimi-k2.5-0127": "kimi-k2.5" } });
    expect(loadSourcesConfig(undefined).sources.map((s) => s.name)).not.toContain("openrouter-rankings");
  });
});

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
  // The same week served without validators (no ETag, no Last-Modified): every collection
  // fetches and imports it again.
  server.on("plain", (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(real("2026-05-11")));
  // That week with one model's total changed, as a corrected scrape would give it.
  const corrected = real("2026-05-11").replace(`"total_tokens": 868000000000`, `"total_tokens": 869000000000`);
  server.on("corrected", (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(corrected));
  server.on("bad-count", (_req, res) =>
    res.writeHead(200, { "Content-Type": "application/json" }).end(real("2026-03-02").replace(`"prompt_tokens": 768323025797`, `"prompt_tokens": -1`)),
  );
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function source(url: string, extra: Record<string, unknown> = {}): SourceConfig {
  const doc = { schema: "ciyuan.sources/1", sources: [{ name: "or-weekly", kind: "openrouter-rankings", url, providers: CN, timeout_ms: 2000, retries: 0, backoff_ms: 20, ...extra }] };
  return parseSourcesConfig("test", doc).sources[0]!;
}

/** A week through the collector's parse and store steps, without the fetch: its outcome and notes. */
async function importRankings(db: Db, src: SourceConfig, text: string) {
  const { input } = parseBody(src, { body: Buffer.from(text, "utf8") }, { now: new Date(), previousBody: null });
  const { location, stored, unchanged, rejected, notes } = await storeInput(db, input, { source: src.name });
  return { outcome: { location, stored, unchanged, rejected }, notes };
}

type Stored = { provider: string; model: string; period: string; version: number; input: string; cached: string | null; output: string; estimated: boolean; origin: string; supersedes: string | null };

async function stored(db: Db): Promise<Stored[]> {
  return rows<Stored>(
    db,
    sql`select u.provider, u.model,
               to_char(u.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') || '/' || to_char(u.period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as period,
               u.version, u.input_tokens::text as input, u.cached_input_tokens::text as cached, u.output_tokens::text as output,
               u.estimated, b.origin, u.supersedes::text as supersedes
        from usage_records u join input_batches b on b.id = u.batch_id order by u.id`,
  );
}

async function runs(db: Db, name: string) {
  return rows<{ outcome: string; detail: string }>(db, sql`select outcome, detail from source_runs where source = ${name} order by id`);
}

const MAY_11 = "2026-05-04T00:00Z/2026-05-11T00:00Z";

describeEachEngine("stored under the collector's name: origin collector:<name>, usage_records.estimated kept", (ctx) => {
  it("2026-03-02 (reported) and 2026-05-11 (estimated), imported as the collector would", T, async () => {
    const { db } = await ctx.fresh();
    const src = source("https://example.org/weekly.json");
    const march = await importRankings(db, src, real("2026-03-02"));
    expect(march).toEqual({
      outcome: { location: "https://example.org/weekly.json", stored: 4, unchanged: 0, rejected: [] },
      notes: ["6 ignored (unmapped: anthropic, arcee-ai, google, x-ai)"],
    });
    const may = await importRankings(db, src, real("2026-05-11"));
    expect(may.outcome.stored).toBe(6);
    expect(may.notes).toEqual(["6 estimated", "3 ignored (unmapped: anthropic, google)"]);

    const all = await stored(db);
    expect(all.map((r) => [r.provider, r.model, r.period, r.input, r.cached, r.output, r.estimated, r.origin, r.version])).toEqual([
      ["zhipu", "glm-5", "2026-02-23T00:00Z/2026-03-02T00:00Z", "488930348221", "227773231488", "13340383326", false, "collector:or-weekly", 1],
      ["minimax", "minimax-m2.5", "2026-02-23T00:00Z/2026-03-02T00:00Z", "1608334029842", "1183091259451", "17971540953", false, "collector:or-weekly", 1],
      ["moonshot", "kimi-k2.5-0127", "2026-02-23T00:00Z/2026-03-02T00:00Z", "674892495326", "485276182878", "17357666391", false, "collector:or-weekly", 1],
      ["deepseek", "deepseek-v3.2", "2026-02-23T00:00Z/2026-03-02T00:00Z", "768323025797", "238758070477", "32008038456", false, "collector:or-weekly", 1],
      ["tencent", "hy3-preview", MAY_11, "3183300000000", "0", "353700000000", true, "collector:or-weekly", 1],
      ["moonshot", "kimi-k2.6", MAY_11, "1449000000000", "0", "161000000000", true, "collector:or-weekly", 1],
      ["deepseek", "deepseek-v4-flash", MAY_11, "999000000000", "0", "111000000000", true, "collector:or-weekly", 1],
      ["deepseek", "deepseek-v3.2", MAY_11, "781200000000", "0", "86800000000", true, "collector:or-weekly", 1],
      ["deepseek", "deepseek-v4-pro", MAY_11, "734400000000", "0", "81600000000", true, "collector:or-weekly", 1],
      ["minimax", "minimax-m2.7", MAY_11, "670500000000", "0", "74500000000", true, "collector:or-weekly", 1],
    ]);
    // One usage batch per stored week, a proxy's (origin kind proxy); the payload names the source.
    const batches = await rows<{ kind: string; origin: string; proxy: boolean; source: string }>(
      db,
      sql`select b.kind, b.origin, b.proxy, p.source from input_batches b join payloads p on p.id = b.payload_id where b.kind = 'usage' order by b.id`,
    );
    expect(batches).toEqual([
      { kind: "usage", origin: "collector:or-weekly", proxy: true, source: "or-weekly" },
      { kind: "usage", origin: "collector:or-weekly", proxy: true, source: "or-weekly" },
    ]);
  });

  it("a week in which no mapped provider ranks (2025-12-07): nothing stored, no batch opened, no error", T, async () => {
    const { db } = await ctx.fresh();
    const none = await importRankings(db, source("https://example.org/w.json"), real("2025-12-07"));
    expect(none).toEqual({
      outcome: { location: "https://example.org/w.json", stored: 0, unchanged: 0, rejected: [] },
      notes: ["9 ignored (unmapped: anthropic, google, x-ai)"],
    });
    expect(await stored(db)).toEqual([]);
    const [b] = await rows<{ n: string }>(db, sql`select count(*) as n from input_batches where kind = 'usage'`);
    expect(b!.n).toBe("0");
  });

  it("a total past 2^53 is stored digit for digit", T, async () => {
    const { db } = await ctx.fresh();
    const text = real("2026-05-11").replace(`"total_tokens": 868000000000`, `"total_tokens": 123456789012345679`);
    await importRankings(db, source("https://example.org/w.json", { default_input_share: "0.875" }), text);
    const v32 = (await stored(db)).find((r) => r.model === "deepseek-v3.2");
    expect([v32!.input, v32!.cached, v32!.output, v32!.estimated]).toEqual(["108024690385802469", "0", "15432098626543210", true]);
  });
});

describeEachEngine("collected from a server: ok with the records stored, and a week collected again unchanged stores nothing", (ctx) => {
  it("ok, the detail says how many records were stored; the second run is a 304, not modified", T, async () => {
    const { db } = await ctx.fresh();
    const src = source(server.url(`/files/${file("2026-05-11")}`));
    const first = await collectSource(db, src, { now: new Date("2026-05-12T06:00:00Z") });
    expect(first).toMatchObject({ outcome: "ok", detail: "6 records, 6 estimated, 3 ignored (unmapped: anthropic, google)" });
    const before = await stored(db);
    expect(before).toHaveLength(6);
    const second = await collectSource(db, src, { now: new Date("2026-05-13T06:00:00Z") });
    expect(second).toMatchObject({ outcome: "not_modified", detail: "not modified", payloadId: first.payloadId });
    expect(await stored(db)).toEqual(before);
    expect(await runs(db, "or-weekly")).toEqual([
      { outcome: "ok", detail: "6 records, 6 estimated, 3 ignored (unmapped: anthropic, google)" },
      { outcome: "not_modified", detail: "not modified" },
    ]);
  });

  it("fetched and imported again (no validators): 0 records, all unchanged, no new batch", T, async () => {
    const { db } = await ctx.fresh();
    const src = source(server.url("/plain"));
    expect(await collectSource(db, src)).toMatchObject({ outcome: "ok", detail: "6 records, 6 estimated, 3 ignored (unmapped: anthropic, google)" });
    const before = await stored(db);
    const [b1] = await rows<{ n: string }>(db, sql`select count(*) as n from input_batches`);
    const again = await collectSource(db, src);
    expect(again).toMatchObject({ outcome: "ok", detail: "0 records, 6 unchanged, 6 estimated, 3 ignored (unmapped: anthropic, google)" });
    expect(server.attempts("/plain")).toBe(2);
    expect(await stored(db)).toEqual(before);
    const [b2] = await rows<{ n: string }>(db, sql`select count(*) as n from input_batches`);
    expect(b2!.n).toBe(b1!.n);
  });

  it("the week corrected: only the changed model is stored again, as version 2 superseding version 1", T, async () => {
    const { db } = await ctx.fresh();
    await collectSource(db, source(server.url("/plain")));
    const corrected = await collectSource(db, source(server.url("/corrected")));
    expect(corrected).toMatchObject({ outcome: "ok", detail: "1 record, 5 unchanged, 6 estimated, 3 ignored (unmapped: anthropic, google)" });
    const v32 = (await stored(db)).filter((r) => r.model === "deepseek-v3.2");
    // 869000000000 x 0.9 = 782100000000.
    expect(v32.map((r) => [r.version, r.input, r.output, r.estimated, r.supersedes !== null])).toEqual([
      [1, "781200000000", "86800000000", true, false],
      [2, "782100000000", "86900000000", true, true],
    ]);
  });

  it("a week with a bad count of a mapped model: failed with the entry and field named, nothing stored", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source(server.url("/bad-count")));
    expect(result).toMatchObject({ outcome: "failed", detail: `parse: ${server.url("/bad-count")}: models[7].prompt_tokens: not a non-negative integer` });
    expect(await stored(db)).toEqual([]);
  });

  it("HTML instead of the week's JSON: a parse error, not a week", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source(server.url("/html")));
    expect(result).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/got HTML .*expected JSON$/) });
  });
});

describeEachEngine("the models map: a proxy's volumes weigh the model its price sheet names", (ctx) => {
  const AT = "2026-03-02T08:00:00Z";
  const deepseekOnly = { deepseek: CN.deepseek };
  const UNMAPPED = "9 ignored (unmapped: anthropic, arcee-ai, google, minimax, moonshotai, x-ai, z-ai)";

  async function fixingAfter(extra: Record<string, unknown>) {
    const { db } = await ctx.fresh();
    await addFx(db, "USD", "7.1", "2026-02-01T00:00:00Z");
    // DeepSeek's own sheet names the model deepseek-chat.
    await addSheet(db, { provider: "deepseek", as_of: "2026-02-01T00:00:00Z", models: [{ model: "deepseek-chat", input: "2", cached_input: "0.2", output: "3" }] });
    const collected = await collectSource(db, source(server.url(`/files/${file("2026-03-02")}`), { providers: deepseekOnly, ...extra }), { now: new Date(AT) });
    const f = await computeFixing(db, { index: "CTPI", at: AT, kind: "indicative" });
    return { db, collected, ...(await fixingRows(db, f.id)) };
  }

  it("with deepseek-v3.2 -> deepseek-chat: stored as deepseek-chat, and a constituent of CTPI with the week's tokens", T, async () => {
    const { db, collected, constituents } = await fixingAfter({ models: { deepseek: { "deepseek-v3.2": "deepseek-chat" } } });
    expect(collected).toMatchObject({ outcome: "ok", detail: `1 record, ${UNMAPPED}` });
    expect((await stored(db)).map((r) => [r.provider, r.model, r.input, r.output])).toEqual([["deepseek", "deepseek-chat", "768323025797", "32008038456"]]);
    expect(constituents.map((c) => [c.provider, c.model, c.input_tokens, c.cached_input_tokens, c.output_tokens])).toEqual([
      ["deepseek", "deepseek-chat", "768323025797", "238758070477", "32008038456"],
    ]);
  });

  it("without it the proxy's deepseek-v3.2 has no price of that name: not_listed, and deepseek-chat has no volume", T, async () => {
    const { collected, constituents, exclusions } = await fixingAfter({});
    expect(collected).toMatchObject({ outcome: "ok", detail: `1 record, ${UNMAPPED}` });
    expect(constituents).toEqual([]);
    expect(exclusions).toEqual(
      expect.arrayContaining([
        { provider: "deepseek", model: "deepseek-v3.2", reason: "not_listed" },
        { provider: "deepseek", model: "deepseek-chat", reason: "no_volume" },
      ]),
    );
  });
});

for (const engine of engineNames) {
  describe(`ciyuan collect [${engine}]: the proxy collected, a switched-off source skipped, exit 0`, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-rankings-"));
      env = await freshCliEnv(engine, path.join(dir, "data"));
      const sources = [
        { name: "or-weekly", kind: "openrouter-rankings", url: server.url(`/files/${file("2026-03-02")}`), providers: CN, timeout_ms: 5000, retries: 1, backoff_ms: 20 },
        { name: "or-off", kind: "openrouter-rankings", enabled: false, providers: CN },
      ];
      env.CIYUAN_SOURCES = path.join(dir, "sources.json");
      fs.writeFileSync(env.CIYUAN_SOURCES, JSON.stringify({ schema: "ciyuan.sources/1", sources }));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("one line for the proxy, none for the switched-off source; the records are in the database", T, async () => {
      const r = await runCli(["collect"], env);
      expect(r.code).toBe(0);
      expect(r.stderr.split("\n").filter(Boolean)).toEqual(["or-weekly: ok, 4 records, 6 ignored (unmapped: anthropic, arcee-ai, google, x-ai)"]);
      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
      try {
        const found = await rows<{ provider: string; origin: string; proxy: boolean; estimated: boolean }>(
          database.db,
          sql`select u.provider, b.origin, b.proxy, u.estimated from usage_records u join input_batches b on b.id = u.batch_id order by u.id`,
        );
        expect(found).toEqual(["zhipu", "minimax", "moonshot", "deepseek"].map((provider) => ({ provider, origin: "collector:or-weekly", proxy: true, estimated: false })));
        const runs = await rows<{ source: string }>(database.db, sql`select distinct source from source_runs`);
        expect(runs).toEqual([{ source: "or-weekly" }]);
      } finally {
        await database.close();
      }
    });
  });
}
