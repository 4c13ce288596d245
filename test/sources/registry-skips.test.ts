/**
 * operations-and-users.md section 4: "A registry entry that cannot be a price (zero or
 * missing placeholder, non-chat mode, unparsable) is skipped with a per-model reason
 * recorded on the collector run, never rejecting the provider's whole sheet."
 *
 * Small registries written here for each kind of bad entry; the real LiteLLM files for
 * volcengine's and zhipu's (`zai`) zero placeholders; collections over HTTP from the local
 * misbehaving server for the run record.
 */
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collectSource } from "../../src/collect/index.ts";
import { rows, type Db } from "../../src/db/index.ts";
import { parseSourcesConfig, type SourceConfig } from "../../src/sources/config.ts";
import { litellmSheets } from "../../src/sources/litellm.ts";
import { openrouterSheets } from "../../src/sources/openrouter.ts";
import type { RegistryProviders } from "../../src/sources/registry-sheet.ts";
import { FIXTURES } from "../normalise/helpers.ts";
import { describeEachEngine } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";
import { LITELLM_FILE, modelOf, sheetDocs } from "./registry-helpers.ts";

const T = { timeout: 120_000 };
const AT = "2026-08-01T08:00:00Z";
const LITELLM_JULY = "real/litellm/model_prices_and_context_window.2026-07-24.rocry-mirror-reserialized.json";
const LITELLM_FEBRUARY = "real/litellm/model_prices_and_context_window.2026-02-21.03ecdf92.json";
const CN = (provider: string) => ({ provider, country: "CN" });
const options = (providers: RegistryProviders) => ({ asOf: AT, providers, location: "registry.json" });

/** A LiteLLM registry: `entries` maps key -> JSON text of the entry. */
const litellm = (entries: Record<string, string>) => `{${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`;
/** A LiteLLM entry of provider `acme`; `fields` is JSON text of the fields after the provider. */
const acme = (fields: string) => `{"litellm_provider": "acme", ${fields}}`;
const chat = (input: string, output: string) => acme(`"mode": "chat", "input_cost_per_token": ${input}, "output_cost_per_token": ${output}`);
const GOOD = chat("1e-06", "2e-06");

/** The one LiteLLM entry `acme/bad` beside a good `acme/good`: its skip reason, and the sheet of the rest. */
function litellmVerdict(bad: string) {
  const sheets = litellmSheets(litellm({ "acme/good": GOOD, "acme/bad": bad }), options({ acme: CN("acme") }));
  const docs = sheetDocs(sheets.text);
  expect(sheets.providers).toEqual(["acme"]);
  expect(docs[0]!.models.map((m) => m.model)).toEqual(["good"]);
  expect(sheets.skipped.map((s) => [s.provider, s.model])).toEqual([["acme", "bad"]]);
  return sheets.skipped[0]!.reason;
}

describe("a zero placeholder is skipped with its reason, the provider's other models still make its sheet", () => {
  it.each([
    ["an input of 0", chat("0", "2e-06"), "input_cost_per_token is 0: a placeholder, not a price"],
    ["an input of 0.0", chat("0.0", "2e-06"), "input_cost_per_token is 0: a placeholder, not a price"],
    ["an output of 0", chat("1e-06", "0"), "output_cost_per_token is 0: a placeholder, not a price"],
    [
      "a cache price of 0",
      acme(`"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "cache_read_input_token_cost": 0.0`),
      "cache_read_input_token_cost is 0: a placeholder, not a price",
    ],
    [
      "a tier price of 0",
      acme(`"mode": "chat", "tiered_pricing": [{"range": [0, 32000.0], "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}, {"range": [32000.0, 128000.0], "input_cost_per_token": 0, "output_cost_per_token": 3e-06}]`),
      "tiered_pricing[1].input_cost_per_token is 0: a placeholder, not a price",
    ],
  ])("LiteLLM: %s", (_, bad, reason) => {
    expect(litellmVerdict(bad)).toBe(reason);
  });
});

describe("a missing price is skipped with its reason", () => {
  it.each([
    ["no per-token price at all", acme(`"mode": "chat", "max_tokens": 8192`), "no per-token price"],
    ["no output price", acme(`"mode": "chat", "input_cost_per_token": 1e-06`), "no output_cost_per_token"],
    ["an input price of null", chat("null", "2e-06"), "no input_cost_per_token"],
    [
      "tiers only, the lowest without an output price",
      acme(`"mode": "chat", "tiered_pricing": [{"range": [0, 32000.0], "input_cost_per_token": 1e-06}]`),
      "no tiered_pricing[0].output_cost_per_token",
    ],
  ])("LiteLLM: %s", (_, bad, reason) => {
    expect(litellmVerdict(bad)).toBe(reason);
  });
});

describe("an entry whose mode is not chat or completion is skipped with its reason", () => {
  it.each([
    ["embedding", acme(`"mode": "embedding", "input_cost_per_token": 1e-07, "output_cost_per_token": 0`), 'mode "embedding": not a chat or completion model'],
    ["image generation", acme(`"mode": "image_generation", "output_cost_per_image": 0.04`), 'mode "image_generation": not a chat or completion model'],
    ["no mode at all", acme(`"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06`), "no mode: not a chat or completion model"],
  ])("LiteLLM: %s", (_, bad, reason) => {
    expect(litellmVerdict(bad)).toBe(reason);
  });
});

describe("an unparsable price is skipped with its reason", () => {
  it.each([
    ["a string", chat(`"abc"`, "2e-06"), 'input_cost_per_token "abc": not a number'],
    ["a number written as a string", chat(`"1e-06"`, "2e-06"), 'input_cost_per_token "1e-06": not a number'],
    ["a negative number", chat("-1", "2e-06"), "input_cost_per_token -1: not a number > 0"],
    ["a price beyond any real one", chat("1e-06", "5e+03"), "output_cost_per_token 5e+03: above 10^9 per its unit: not a real price"],
    ["tiered_pricing that is not a list", acme(`"mode": "chat", "tiered_pricing": {"range": [0, 1]}`), 'tiered_pricing {"range":[0,1]}: not a list of tiers'],
    [
      "a tier threshold that is not a number",
      acme(`"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "tiered_pricing": [{"range": ["32k", 128000], "input_cost_per_token": 2e-06}]`),
      'tiered_pricing[0].range[0] "32k": not a number',
    ],
  ])("LiteLLM: %s", (_, bad, reason) => {
    expect(litellmVerdict(bad)).toBe(reason);
  });
});

describe("OpenRouter: a model that cannot be a price is skipped with its reason, the provider's other models make its sheet", () => {
  const model = (id: string, pricing: Record<string, unknown>, outputs = ["text"]) => ({ id, architecture: { modality: "text->text", output_modalities: outputs }, pricing });
  const good = model("acme/good", { prompt: "0.000001", completion: "0.000002" });

  it.each([
    ["a zero placeholder", model("acme/bad", { prompt: "0", completion: "0.000002" }), "pricing.prompt is 0: a placeholder, not a price"],
    ["a dynamic price of -1", model("acme/bad", { prompt: "-1", completion: "-1" }), 'pricing.prompt "-1": not a number > 0'],
    ["an unparsable price", model("acme/bad", { prompt: "0.000001", completion: "abc" }), 'pricing.completion "abc": not a number'],
    ["a missing price", model("acme/bad", { prompt: "0.000001" }), "no pricing.completion"],
    ["a zero cache price", model("acme/bad", { prompt: "0.000001", completion: "0.000002", input_cache_read: "0" }), "pricing.input_cache_read is 0: a placeholder, not a price"],
    ["image output (not chat)", model("acme/bad", { prompt: "0.000001", completion: "0.000002" }, ["image", "text"]), 'output_modalities ["image","text"]: not a text-output model'],
    ["a :free variant", model("acme/bad:free", { prompt: "0", completion: "0" }), "a :free variant: a promotion, not the model's price"],
    ["no pricing object", { id: "acme/bad", architecture: { modality: "text->text" } }, "pricing: not a JSON object"],
  ])("%s", (_, bad, reason) => {
    const sheets = openrouterSheets(JSON.stringify({ data: [good, bad] }), options({ acme: CN("acme") }));
    expect(sheetDocs(sheets.text)[0]!.models).toEqual([{ model: "good", input: "1", output: "2" }]);
    expect(sheets.skipped).toEqual([{ provider: "acme", model: (bad as { id: string }).id.slice("acme/".length), reason }]);
  });
});

describe("only the mapped providers' entries are reported; a provider with nothing but skips has no sheet", () => {
  it("LiteLLM", () => {
    const text = litellm({
      "acme/good": GOOD,
      "zero/a": `{"litellm_provider": "zero", "mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0}`,
      "other/x": `{"litellm_provider": "other", "mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0}`,
    });
    const sheets = litellmSheets(text, options({ acme: CN("acme"), zero: CN("zero") }));
    expect(sheets.providers).toEqual(["acme"]);
    expect(sheets.skipped).toEqual([{ provider: "zero", model: "a", reason: "input_cost_per_token is 0: a placeholder, not a price" }]);
  });
});

describe("where the registry holds one model under both forms, the prefixed entry decides, skipped or not", () => {
  it("a zero prefixed entry skips the model even beside a priced unprefixed one", () => {
    const sheets = litellmSheets(litellm({ x: GOOD, "acme/x": chat("0", "0"), "acme/good": GOOD }), options({ acme: CN("acme") }));
    expect(sheetDocs(sheets.text)[0]!.models.map((m) => m.model)).toEqual(["good"]);
    expect(sheets.skipped).toEqual([{ provider: "acme", model: "x", reason: "input_cost_per_token is 0: a placeholder, not a price" }]);
  });
  it("a zero unprefixed entry is not reported when the prefixed one is a price", () => {
    const sheets = litellmSheets(litellm({ "acme/x": GOOD, x: chat("0", "0") }), options({ acme: CN("acme") }));
    expect(sheetDocs(sheets.text)[0]!.models).toEqual([{ model: "x", input: "1", output: "2" }]);
    expect(sheets.skipped).toEqual([]);
  });
});

describe("the real LiteLLM registry: volcengine's and zhipu's zero placeholders are skipped, their good models make sheets", () => {
  const PROVIDERS = { volcengine: CN("volcengine"), zai: CN("zhipu") };
  const read = (file: string) => litellmSheets(fs.readFileSync(path.join(FIXTURES, file), "utf8"), options(PROVIDERS));
  const PLACEHOLDER = "input_cost_per_token is 0: a placeholder, not a price";
  const EMBEDDING = 'mode "embedding": not a chat or completion model';
  // volcengine's 8 entries are the same in both files: 3 chat entries at 0.0 and 5 embeddings.
  const VOLCENGINE_SKIPS = [
    { provider: "volcengine", model: "deepseek-v3-2-251201", reason: PLACEHOLDER },
    ...["doubao-embedding", "doubao-embedding-large", "doubao-embedding-large-text-240915", "doubao-embedding-large-text-250515", "doubao-embedding-text-240715"].map(
      (model) => ({ provider: "volcengine", model, reason: EMBEDDING }),
    ),
    { provider: "volcengine", model: "glm-4-7-251222", reason: PLACEHOLDER },
    { provider: "volcengine", model: "kimi-k2-thinking-251104", reason: PLACEHOLDER },
  ];

  it("2026-07-24: volcengine's four doubao-seed-2-0 models and zhipu's eleven priced GLM models are sheets", () => {
    const sheets = read(LITELLM_JULY);
    const docs = sheetDocs(sheets.text);
    expect(sheets.providers).toEqual(["volcengine", "zhipu"]);
    expect(docs[0]!.models.map((m) => m.model)).toEqual([
      "doubao-seed-2-0-code-preview-260215",
      "doubao-seed-2-0-lite-260215",
      "doubao-seed-2-0-mini-260215",
      "doubao-seed-2-0-pro-260215",
    ]);
    // "volcengine/doubao-seed-2-0-pro-260215" tiered_pricing: [0, 32000.0] 4.6e-07 / 2.3e-06;
    // [32000.0, 128000.0] 7e-07 / 3.5e-06; [128000.0, 256000.0] 1.4e-06 / 7e-06
    expect(modelOf(docs, "volcengine", "doubao-seed-2-0-pro-260215")).toEqual({
      model: "doubao-seed-2-0-pro-260215",
      input: "0.46",
      output: "2.3",
      tiers: [
        { min_input_tokens: "32000", input: "0.7", output: "3.5" },
        { min_input_tokens: "128000", input: "1.4", output: "7" },
      ],
    });
    expect(docs[1]!.models).toHaveLength(11);
    // "zai/glm-4.7": input 6e-07, cache_read 1.1e-07, output 2.2e-06 (cache_creation 0 is not read)
    expect(modelOf(docs, "zhipu", "glm-4.7")).toEqual({ model: "glm-4.7", input: "0.6", cached_input: "0.11", output: "2.2" });
    expect(sheets.skipped).toEqual([
      ...VOLCENGINE_SKIPS,
      { provider: "zhipu", model: "glm-4.5-flash", reason: PLACEHOLDER },
      { provider: "zhipu", model: "glm-4.7-flash", reason: PLACEHOLDER },
    ]);
  });

  it("2026-02-21 (the raw upstream file): zhipu's sheet without glm-4.5-flash; volcengine has no priced model, so no sheet", () => {
    expect(path.join(FIXTURES, LITELLM_FEBRUARY)).toBe(LITELLM_FILE);
    const sheets = read(LITELLM_FEBRUARY);
    expect(sheets.providers).toEqual(["zhipu"]);
    expect(sheetDocs(sheets.text)[0]!.models.map((m) => m.model)).toEqual([
      "glm-4-32b-0414-128k",
      "glm-4.5",
      "glm-4.5-air",
      "glm-4.5-airx",
      "glm-4.5-x",
      "glm-4.5v",
      "glm-4.6",
      "glm-4.7",
    ]);
    expect(sheets.skipped).toEqual([...VOLCENGINE_SKIPS, { provider: "zhipu", model: "glm-4.5-flash", reason: PLACEHOLDER }]);
  });
});

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function source(name: string, file: string, providers: RegistryProviders): SourceConfig {
  const doc = { schema: "ciyuan.sources/1", sources: [{ name, kind: "litellm", url: server.url(`/files/${file}`), timeout_ms: 5000, retries: 0, providers }] };
  return parseSourcesConfig("test", doc).sources[0]!;
}

async function runsOf(db: Db, name: string) {
  const found = await rows<{ outcome: string; detail: string; skipped: string | null }>(
    db,
    sql`select outcome, detail, skipped::text as skipped from source_runs where source = ${name} order by id`,
  );
  return found.map((r) => ({ ...r, skipped: r.skipped === null ? null : (JSON.parse(r.skipped) as unknown[]) }));
}

async function storedModels(db: Db, provider: string): Promise<string[]> {
  const found = await rows<{ model: string }>(
    db,
    sql`select m.model from sheet_models m join price_sheets s on s.id = m.sheet_id where s.provider = ${provider} order by m.model`,
  );
  return found.map((r) => r.model);
}

describeEachEngine("a collector run records the entries it skipped on source_runs.skipped; the providers' good models are stored", (ctx) => {
  const PROVIDERS = { volcengine: CN("volcengine"), zai: CN("zhipu") };

  it("volcengine and zhipu from the real LiteLLM file: two sheets stored, ten skips on the run, nothing quarantined", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source("litellm", LITELLM_JULY, PROVIDERS), { now: new Date(AT) });
    expect(result).toMatchObject({ outcome: "ok", detail: "2 sheets, 10 skipped" });
    expect(await storedModels(db, "volcengine")).toEqual([
      "doubao-seed-2-0-code-preview-260215",
      "doubao-seed-2-0-lite-260215",
      "doubao-seed-2-0-mini-260215",
      "doubao-seed-2-0-pro-260215",
    ]);
    expect(await storedModels(db, "zhipu")).toHaveLength(11);
    const [q] = await rows<{ n: string }>(db, sql`select count(*) as n from quarantine`);
    expect(q!.n).toBe("0");
    const [run] = await runsOf(db, "litellm");
    expect(run!.skipped).toHaveLength(10);
    expect(run!.skipped).toContainEqual({ provider: "volcengine", model: "glm-4-7-251222", reason: "input_cost_per_token is 0: a placeholder, not a price" });
    expect(run!.skipped).toContainEqual({ provider: "zhipu", model: "glm-4.7-flash", reason: "input_cost_per_token is 0: a placeholder, not a price" });
    expect(run!.skipped).toEqual(result.skipped);
  });

  it("a 304 Not Modified reads the body on record again, and its run lists the same skips", T, async () => {
    const { db } = await ctx.fresh();
    const litellmSource = source("litellm", LITELLM_JULY, PROVIDERS);
    await collectSource(db, litellmSource, { now: new Date(AT) });
    const second = await collectSource(db, litellmSource, { now: new Date(Date.parse(AT) + 3_600_000) });
    expect(second).toMatchObject({ outcome: "not_modified", detail: "not modified, 10 skipped" });
    const [first, again] = await runsOf(db, "litellm");
    expect(again!.skipped).toEqual(first!.skipped);
  });

  it("a run that skipped nothing stores null", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source("moonshot-only", LITELLM_FEBRUARY, { moonshot: CN("moonshot") }), { now: new Date(AT) });
    expect(result).toMatchObject({ outcome: "ok", detail: "1 sheet" });
    expect(await runsOf(db, "moonshot-only")).toEqual([{ outcome: "ok", detail: "1 sheet", skipped: null }]);
  });

  it("every entry of the mapped providers skipped: the source fails, nothing is stored, and the run still lists why", T, async () => {
    const { db } = await ctx.fresh();
    const result = await collectSource(db, source("volcengine-only", LITELLM_FEBRUARY, { volcengine: CN("volcengine") }), { now: new Date(AT) });
    expect(result.outcome).toBe("failed");
    expect(result.detail).toMatch(
      /^parse: .*: no entry of the mapped providers is a price: 8 skipped \(first volcengine\/deepseek-v3-2-251201: input_cost_per_token is 0: a placeholder, not a price\)$/,
    );
    expect(await storedModels(db, "volcengine")).toEqual([]);
    const [run] = await runsOf(db, "volcengine-only");
    expect(run!.outcome).toBe("failed");
    expect(run!.skipped).toHaveLength(8);
  });
});
