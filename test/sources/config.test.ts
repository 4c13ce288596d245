/** The `ciyuan.sources/1` file: validated whole at load, a bad one is one line naming the field. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CiyuanError } from "../../src/errors.ts";
import { DEFAULT_EVERY, loadSourcesConfig, parseSourcesConfig } from "../../src/sources/config.ts";

const doc = (...sources: Record<string, unknown>[]) => ({ schema: "ciyuan.sources/1", sources });
const fx = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "fx", url: `https://example.org/${name}.json`, ...extra });

function failure(d: unknown): string {
  try {
    parseSourcesConfig("sources.json", d);
  } catch (err) {
    expect(err).toBeInstanceOf(CiyuanError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

describe("optional per source: every (cron, default every 30 minutes), tz, timeout_ms (10000), max_bytes (20 MB), headers", () => {
  it("fills the defaults", () => {
    const [s] = parseSourcesConfig("sources.json", doc(fx("a"))).sources;
    expect(s).toEqual({ name: "a", kind: "fx", url: "https://example.org/a.json", every: DEFAULT_EVERY, timeout_ms: 10_000, max_bytes: 20 * 1024 * 1024, retries: 3, backoff_ms: 1000 });
  });
  it("keeps what is given", () => {
    const [s] = parseSourcesConfig("x", doc(fx("a", { every: "30 16 * * 1-5", tz: "Europe/Berlin", timeout_ms: 500, max_bytes: 1000, headers: { Accept: "application/json" } }))).sources;
    expect(s).toMatchObject({ every: "30 16 * * 1-5", tz: "Europe/Berlin", timeout_ms: 500, max_bytes: 1000, headers: { Accept: "application/json" } });
  });
});

describe("a bad sources file is one line naming the field", () => {
  it.each([
    [doc(fx("a"), fx("b"), fx("c", { url: "ftp://example.org/c" })), "sources.json: sources[2].url: must be http(s)"],
    [doc(fx("a", { url: "not a url" })), "sources.json: sources[0].url: must be http(s)"],
    [doc(fx("a"), fx("a")), "sources.json: sources[1].name: duplicate name a"],
    [doc(fx("a", { kind: "rss" })), "sources.json: sources[0].kind: Invalid option: expected one of \"price-sheet\"|\"litellm\"|\"openrouter\"|\"ecb\"|\"fx\"|\"usage\"|\"openrouter-rankings\""],
    [doc(fx("a", { every: "every hour" })), "sources.json: sources[0].every: not a valid cron expression"],
    [doc(fx("a", { tz: "Mars/Olympus" })), "sources.json: sources[0].tz: unknown time zone"],
    [doc(fx("a", { timeout_ms: 0 })), "sources.json: sources[0].timeout_ms: Too small: expected number to be >0"],
    [doc({ name: "r", kind: "litellm", url: "https://example.org/r.json" }), "sources.json: sources[0].providers: required for kind litellm"],
    [doc(fx("a", { providers: {} })), "sources.json: sources[0].providers: only for kinds litellm, openrouter, openrouter-rankings"],
    [{ schema: "ciyuan.sources/2", sources: [] }, "sources.json: schema: Invalid input: expected \"ciyuan.sources/1\""],
    [
      doc(
        { name: "r1", kind: "litellm", url: "https://example.org/r1.json", providers: { deepseek: { provider: "deepseek", country: "CN" } } },
        { name: "r2", kind: "openrouter", url: "https://example.org/r2.json", providers: { "deepseek-ai": { provider: "deepseek", country: "CN" } } },
      ),
      "sources.json: sources[1].providers.deepseek-ai: provider deepseek is already fed by source r1",
    ],
  ])("%#: %s", (d, message) => {
    expect(failure(d)).toBe(message);
  });
  it("an unreadable or non-JSON file is one line too", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-sources-"));
    try {
      expect(() => loadSourcesConfig(path.join(dir, "missing.json"))).toThrow(`${path.join(dir, "missing.json")}: cannot read: no such file`);
      fs.writeFileSync(path.join(dir, "s.json"), "{");
      expect(() => loadSourcesConfig(path.join(dir, "s.json"))).toThrow(/s\.json: not valid JSON: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("unset, the bundled default list is used: public URLs that fail fast offline", () => {
  const config = loadSourcesConfig(undefined);
  it("holds LiteLLM, OpenRouter and the ECB, over https", () => {
    expect(config.sources.map((s) => [s.name, s.kind])).toEqual([["litellm", "litellm"], ["openrouter", "openrouter"], ["ecb", "ecb"]]);
    for (const s of config.sources) expect(s.url).toMatch(/^https:\/\//);
  });
  it("gives up within seconds on a machine without internet: short timeout, one retry", () => {
    for (const s of config.sources) {
      expect(s.timeout_ms).toBeLessThanOrEqual(5000);
      expect(s.retries).toBeLessThanOrEqual(1);
    }
  });
  it("maps Chinese providers only, each to one registry, and leaves out volcengine and zai (their registry entries carry 0 placeholders)", () => {
    const targets = config.sources.flatMap((s) => Object.entries(s.providers ?? {}).map(([key, t]) => ({ key, ...t })));
    for (const t of targets) expect(t.country).toBe("CN");
    const ours = targets.map((t) => t.provider);
    expect(new Set(ours).size).toBe(ours.length);
    const keys = targets.map((t) => t.key);
    expect(keys).not.toContain("volcengine");
    expect(keys).not.toContain("zai");
  });
});
