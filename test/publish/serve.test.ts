// `ciyuan serve [--port N]`: the HTTP service alone, as a real child process.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { runCli, spawnServing } from "../support/cli.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function freshEnv(engine: (typeof engineNames)[number]): Promise<NodeJS.ProcessEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-serve-"));
  dirs.push(dir);
  return freshCliEnv(engine, dir);
}

const serve = (args: string[], env: NodeJS.ProcessEnv) => spawnServing(["serve", ...args], env);

for (const engine of engineNames) {
  describe(`ciyuan serve [--port N]: the HTTP service alone [${engine}]`, () => {
    it("serves on --port, logs one line with the URL, and exits 0 on SIGTERM", async () => {
      const env = await freshEnv(engine);
      const server = serve(["--port", "0"], env);
      const url = await server.url;
      expect(server.stderr().trim().split("\n")).toHaveLength(1);
      const res = await fetch(`${url}/v1/indices`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(6);
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }, 60_000);

    it("serves on PORT when --port is not given, and exits 0 on SIGINT", async () => {
      const env = { ...(await freshEnv(engine)), PORT: "0" };
      const server = serve([], env);
      const url = await server.url;
      expect((await fetch(`${url}/v1/indices/CTPI/latest`)).status).toBe(404);
      server.kill("SIGINT");
      expect(await server.exited).toBe(0);
    }, 60_000);

    it("refuses a bad --port as a command-line error (exit 2)", async () => {
      const r = await runCli(["serve", "--port", "http"], await freshEnv(engine));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not a port/);
    }, 60_000);
  });
}
