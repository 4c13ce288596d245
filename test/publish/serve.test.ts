// `ciyuan serve [--port N]`: the HTTP service alone, as a real child process.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { ROOT, runCli } from "../support/cli.ts";

const BIN = path.join(ROOT, "src/cli/bin.js");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function freshEnv(engine: (typeof engineNames)[number]): Promise<NodeJS.ProcessEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-serve-"));
  dirs.push(dir);
  return freshCliEnv(engine, dir);
}

/** Starts `ciyuan serve`, waits for its URL line, and returns it with a way to stop it. */
function serve(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { env, cwd: ROOT });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /serving on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited early: ${stderr}`)));
  });
  return { url, exited, stderr: () => stderr, kill: (signal: NodeJS.Signals) => child.kill(signal) };
}

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
