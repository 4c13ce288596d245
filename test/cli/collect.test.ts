/**
 * `ciyuan collect` as an operator runs it, against a local server: one stderr line per
 * source, exit 1 when any failed, the good sources stored all the same.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, rows } from "../../src/db/index.ts";
import { runCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";

const T = { timeout: 120_000 };

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server.close();
});

function sourcesFile(dir: string): string {
  const fast = { timeout_ms: 5000, retries: 1, backoff_ms: 20 };
  const sources = [
    { name: "deepseek", kind: "price-sheet", url: server.url("/files/prices/deepseek.2025-12-20.json") },
    { name: "ecb", kind: "ecb", url: server.url("/files/real/fx/ecb/eurofxref-daily.2026-07-06.xml"), every: "30 16 * * 1-5", tz: "Europe/Berlin" },
    {
      name: "openrouter",
      kind: "openrouter",
      url: server.url("/files/real/openrouter/api-v1-models.2026-08-01.json"),
      providers: { stepfun: { provider: "stepfun", country: "CN" }, xiaomi: { provider: "xiaomi", country: "CN" } },
    },
    {
      name: "litellm",
      kind: "litellm",
      url: server.url("/files/real/litellm/model_prices_and_context_window.2026-02-21.03ecdf92.json"),
      every: "0 * * * *",
      providers: { moonshot: { provider: "moonshot", country: "CN" } },
    },
    { name: "fx-feed", kind: "fx", url: server.url("/status/404") },
    { name: "usage-feed", kind: "usage", url: server.url("/html") },
    // Kept in the file, switched off: never collected, with or without a URL.
    { name: "paused", kind: "price-sheet", url: server.url("/files/prices/deepseek.2025-12-20.json"), enabled: false },
    { name: "proxy-off", kind: "openrouter-rankings", enabled: false, providers: { deepseek: { provider: "deepseek", country: "CN" } } },
  ].map((s) => ({ ...fast, ...s }));
  const file = path.join(dir, "sources.json");
  fs.writeFileSync(file, JSON.stringify({ schema: "ciyuan.sources/1", sources }));
  return file;
}

for (const engine of engineNames) {
  describe(`ciyuan collect [${engine}]: one line per source, exit 1 when any failed, the good ones stored`, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const ciyuan = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const r = await runCli(args, { ...env, ...extra });
      return { code: r.code, lines: r.stderr.split("\n").filter(Boolean), stdout: r.stdout };
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-collect-"));
      env = await freshCliEnv(engine, path.join(dir, "data"));
      env.CIYUAN_SOURCES = sourcesFile(dir);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("6 sources of which 2 fail: exit 1, exactly 6 lines, the 4 good ones stored", T, async () => {
      const r = await ciyuan(["collect"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.lines).toHaveLength(6);
      expect(r.lines[0]).toBe("deepseek: ok, 1 sheet");
      expect(r.lines[1]).toMatch(/^ecb: ok, \d+ rates$/);
      expect(r.lines[2]).toBe("openrouter: ok, 2 sheets");
      expect(r.lines[3]).toBe("litellm: ok, 1 sheet");
      expect(r.lines[4]).toBe("fx-feed: failed: HTTP 404");
      expect(r.lines[5]).toMatch(/^usage-feed: failed: parse: .*got HTML/);

      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
      try {
        const sheets = await rows<{ provider: string }>(database.db, sql`select provider from price_sheets order by provider`);
        expect(sheets.map((s) => s.provider)).toEqual(["deepseek", "moonshot", "stepfun", "xiaomi"]);
        const [fx] = await rows<{ n: string }>(database.db, sql`select count(*) as n from fx_rates where source = 'ecb'`);
        expect(Number(fx!.n)).toBeGreaterThan(0);
        const runs = await rows<{ source: string; outcome: string }>(database.db, sql`select source, outcome from source_runs order by source`);
        expect(runs).toHaveLength(6);
      } finally {
        await database.close();
      }
    });

    it("--source NAME collects that source only; a second run is not modified (conditional GET)", T, async () => {
      const r = await ciyuan(["collect", "--source", "deepseek"]);
      expect(r).toEqual({ code: 0, lines: ["deepseek: not modified"], stdout: "" });
    });

    it("an unknown --source is a command-line error: exit 2", T, async () => {
      const r = await ciyuan(["collect", "--source", "nope"]);
      expect(r.code).toBe(2);
      expect(r.lines).toEqual(["ciyuan: unknown source nope (configured: deepseek, ecb, openrouter, litellm, fx-feed, usage-feed)"]);
    });

    it('a --source that is switched off ("enabled": false) says so, not "unknown": exit 2, nothing collected', T, async () => {
      for (const name of ["paused", "proxy-off"]) {
        const r = await ciyuan(["collect", "--source", name]);
        expect(r).toEqual({ code: 2, lines: [`ciyuan: source ${name} is switched off ("enabled": false in CIYUAN_SOURCES)`], stdout: "" });
      }
      // The bundled list holds the usage proxy switched off until a URL is configured.
      const bundled = await ciyuan(["collect", "--source", "openrouter-rankings"], { CIYUAN_SOURCES: "" });
      expect(bundled).toEqual({ code: 2, lines: ['ciyuan: source openrouter-rankings is switched off ("enabled": false in the bundled sources)'], stdout: "" });
      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
      try {
        const runs = await rows<{ source: string }>(database.db, sql`select source from source_runs where source in ('paused', 'proxy-off', 'openrouter-rankings')`);
        expect(runs).toEqual([]);
      } finally {
        await database.close();
      }
    });

    it("a bad sources file is one line naming the field: exit 1", T, async () => {
      const bad = path.join(dir, "bad.json");
      fs.writeFileSync(bad, JSON.stringify({ schema: "ciyuan.sources/1", sources: [{ name: "a", kind: "fx", url: "http://x/a" }, { name: "b", kind: "fx", url: "http://x/b" }, { name: "c", kind: "fx", url: "ftp://x/c" }] }));
      const r = await ciyuan(["collect"], { CIYUAN_SOURCES: bad });
      expect(r).toEqual({ code: 1, lines: [`ciyuan: ${bad}: sources[2].url: must be http(s)`], stdout: "" });
    });
  });
}
