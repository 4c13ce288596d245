/**
 * `ciyuan start` (what `npm start` runs) on a machine without internet: the bundled
 * sources, pointed where nothing answers, fail quickly and cleanly, one log line each, and
 * the service still serves the sample data.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SOURCES_FILE } from "../../src/sources/config.ts";
import { spawnServing } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { closedPort, startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";

const dirs: string[] = [];
let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The bundled default sources, unchanged but for where they point: LiteLLM and OpenRouter at
 * a refused port, the ECB at a server that never answers (so its timeout and retry run out).
 */
async function offlineSources(dir: string): Promise<string> {
  const doc = JSON.parse(fs.readFileSync(DEFAULT_SOURCES_FILE, "utf8")) as { sources: { name: string; url: string }[] };
  const refused = `http://127.0.0.1:${await closedPort()}`;
  for (const s of doc.sources) s.url = s.name === "ecb" ? server.url("/hang") : `${refused}/${s.name}`;
  const file = path.join(dir, "sources.json");
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

type LogLine = { level: number; msg: string; source?: string; outcome?: string; time: number };

for (const engine of engineNames) {
  describe(`npm start offline: the bundled sources fail quickly, one log line each, and the sample is served [${engine}]`, () => {
    it("serves the sample's latest fixing, logs one failure line per source within seconds, exits 0 on SIGTERM", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-start-"));
      dirs.push(dir);
      // A week of sample and finals: what is asserted here does not depend on the 60 days.
      const env = { ...(await freshCliEnv(engine, dir)), LOG_LEVEL: "info", PORT: "0", CIYUAN_START_DAYS: "7", CIYUAN_SOURCES: await offlineSources(dir) };
      // On a Postgres server the sample is loaded only when asked for (--sample).
      const server = spawnServing(engine === "postgres" ? ["start", "--sample"] : ["start"], env);
      const base = await server.url;
      const servingAt = Date.now();

      const latest = await fetch(`${base}/v1/indices/CTPI/latest`);
      expect(latest.status).toBe(200);
      expect((await latest.json()) as { status: string; data_origin: string }).toMatchObject({ status: "ok", data_origin: "sample" });

      const logs = () =>
        server
          .stderr()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as LogLine)
          .filter((l) => l.msg.startsWith("collect: "));
      while (logs().length < 3 && Date.now() - servingAt < 30_000) await new Promise((r) => setTimeout(r, 100));
      const lines = logs();
      expect(lines.map((l) => [l.source, l.outcome]).sort()).toEqual([
        ["ecb", "failed"],
        ["litellm", "failed"],
        ["openrouter", "failed"],
      ]);
      for (const l of lines) expect(l.msg).not.toContain("\n");
      // Quickly: refused at once; the hanging one after its 5 s timeout, 0.5 s backoff and one retry.
      for (const l of lines) expect(l.time - servingAt).toBeLessThan(l.source === "ecb" ? 15_000 : 3_000);
      expect(lines.find((l) => l.source === "litellm")!.msg).toMatch(/^collect: litellm: failed: .*ECONNREFUSED/);
      expect(lines.find((l) => l.source === "ecb")!.msg).toBe("collect: ecb: failed: timeout after 5000 ms");
      // Nothing else was logged at warning or above: no stack traces, no crash.
      const loud = server.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LogLine).filter((l) => l.level >= 40);
      expect(loud).toHaveLength(3);

      // Still serving after the failures.
      expect((await fetch(`${base}/v1/indices`)).status).toBe(200);
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }, 180_000);

    it("--no-sample on an empty database loads nothing and publishes no sample-based fixing", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-start-"));
      dirs.push(dir);
      const env = { ...(await freshCliEnv(engine, dir)), PORT: "0", CIYUAN_START_DAYS: "7", CIYUAN_SOURCES: await offlineSources(dir) };
      const server = spawnServing(["start", "--no-sample"], env);
      try {
        const base = await server.url;
        // The finals of the last 7 days are computed from nothing: insufficient, real, no value.
        const latest = await fetch(`${base}/v1/indices/CTPI/latest`);
        expect(latest.status).toBe(200);
        expect(await latest.json()).toMatchObject({ status: "insufficient", value: null, data_origin: "real" });
        const { data } = (await (await fetch(`${base}/v1/indices/CTPI/fixings`)).json()) as { data: { data_origin: string }[] };
        expect(data.length).toBeGreaterThan(0);
        expect(data.every((f) => f.data_origin === "real")).toBe(true);
        expect(((await (await fetch(`${base}/v1/models`)).json()) as { data: unknown[] }).data).toEqual([]);
      } finally {
        server.kill("SIGTERM");
      }
      // The ECB fetch still hangs (its 5 s timeout and a retry to go): stopping abandons it.
      const stoppedAt = Date.now();
      expect(await server.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(3_000);
      expect(server.stderr()).toMatch(/collect: ecb: stopped \(the service is shutting down\)/);
    }, 180_000);
  });
}
