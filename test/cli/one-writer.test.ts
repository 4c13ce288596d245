/**
 * One writer on the embedded database (operations spec §2): while `ciyuan serve` holds a
 * data directory, another `ciyuan` command on it hands its work to the running service,
 * which then sees it; a command that cannot be handed over exits 1 with one line saying the
 * database is in use; a stale lock (its process gone) is taken over with a warning. On a
 * Postgres server (DATABASE_URL) none of this applies: the server is the one writer.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, isAlive } from "../../src/db/lock.ts";
import { runCli, spawnServing, type ServingCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { DEEPSEEK_SHEET, USAGE_HEADER } from "../normalise/helpers.ts";

const P1 = "2026-09-01T00:00:00+08:00,2026-09-02T00:00:00+08:00";
const DEEPSEEK_MODELS = ["deepseek/deepseek-chat", "deepseek/deepseek-reasoner"];

const inUse = (dataDir: string, pid: number) =>
  `ciyuan: the database in ${dataDir} is in use by ciyuan (pid ${pid}); stop it, or set DATABASE_URL to a Postgres server`;

async function ciyuan(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = await runCli(args, env);
  return { code: r.code, lines: r.stderr.split("\n").filter(Boolean) };
}

async function models(base: string): Promise<string[]> {
  const res = await fetch(`${base}/v1/models`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { provider: string; model: string }[] };
  return body.data.map((m) => `${m.provider}/${m.model}`).sort();
}

/** The pid of a process that has already exited. */
function exitedPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", ""]);
    child.on("error", reject);
    child.on("exit", () => resolve(child.pid!));
  });
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-one-writer-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("one writer on the embedded database [pglite]", () => {
  describe("while `ciyuan serve` holds the data directory other commands hand their work to it; its lock goes with it", () => {
    let dataDir: string;
    let env: NodeJS.ProcessEnv;
    let usageFile: string;
    let server: ServingCli;
    let base: string;
    let holder: { pid: number; handover: string };

    beforeAll(async () => {
      const dir = tempDir();
      dataDir = path.join(dir, "data");
      usageFile = path.join(dir, "usage.csv");
      fs.writeFileSync(usageFile, `${USAGE_HEADER}\nacme,m1,${P1},1000,100,500\nacme,m2,${P1},2000,,700\n`);
      env = { ...(await freshCliEnv("pglite", dataDir)), PORT: "0" };
      server = spawnServing(["serve"], env);
      base = await server.url;
      holder = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as typeof holder;
    });
    afterAll(async () => {
      server.kill("SIGTERM");
      await server.exited;
    });

    it("holds the directory with a lock file that names its pid, readable by its owner only", () => {
      expect(isAlive(holder.pid)).toBe(true);
      expect(holder.handover).toMatch(/^postgresql:\/\/ciyuan:[0-9a-f]+@127\.0\.0\.1:\d+\/postgres$/);
      if (process.platform !== "win32") expect(fs.statSync(path.join(dataDir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    });

    it("`ciyuan import prices` is handed over: exit 0, and the running service lists the new models", async () => {
      expect(await models(base)).toEqual([]);
      expect(await ciyuan(env, "import", "prices", DEEPSEEK_SHEET)).toEqual({
        code: 0,
        lines: [
          `ciyuan: handing the work to the running ciyuan (pid ${holder.pid}) on ${dataDir}`,
          `${DEEPSEEK_SHEET}: 1 sheet stored, 0 unchanged, 0 quarantined`,
        ],
      });
      expect(await models(base)).toEqual(DEEPSEEK_MODELS);
    });

    it("`ciyuan import usage` (rows sent with COPY) is handed over too", async () => {
      expect(await ciyuan(env, "import", "usage", usageFile)).toEqual({
        code: 0,
        lines: [`ciyuan: handing the work to the running ciyuan (pid ${holder.pid}) on ${dataDir}`, `${usageFile}: 2 records stored, 0 unchanged`],
      });
    });

    it("a second `ciyuan serve` on the directory is refused: exit 1, one line saying it is in use", async () => {
      const r = await ciyuan({ ...env, PORT: "0" }, "serve");
      expect(r).toEqual({ code: 1, lines: [inUse(dataDir, holder.pid)] });
      expect(r.lines[0]).toContain("in use");
      // The service is untouched.
      expect(await models(base)).toEqual(DEEPSEEK_MODELS);
    });

    it("once the service stops, the lock is gone and what was handed over is in the data directory", async () => {
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
      // Now the command opens the directory itself: no hand-over, no warning, nothing new.
      expect(await ciyuan(env, "import", "prices", DEEPSEEK_SHEET)).toEqual({
        code: 0,
        lines: [`${DEEPSEEK_SHEET}: 0 sheets stored, 1 unchanged, 0 quarantined`],
      });
      expect(await ciyuan(env, "import", "usage", usageFile)).toEqual({ code: 0, lines: [`${usageFile}: 0 records stored, 2 unchanged`] });
      expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    });

    it("a stale lock (its process gone) is taken over with a warning; the command succeeds and lets go", async () => {
      const dead = await exitedPid();
      expect(isAlive(dead)).toBe(false);
      fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: dead, started_at: new Date().toISOString(), id: "test" }));
      expect(await ciyuan(env, "import", "prices", DEEPSEEK_SHEET)).toEqual({
        code: 0,
        lines: [`ciyuan: warning: taking over the stale lock of pid ${dead} on ${dataDir}`, `${DEEPSEEK_SHEET}: 0 sheets stored, 1 unchanged, 0 quarantined`],
      });
      expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    });
  });

  describe("a lock held by a live process that lends nothing", () => {
    it("refuses the command: exit 1, one line saying the database is in use", async () => {
      // This test's own process holds it, as a command that lends nothing would.
      const dataDir = path.join(tempDir(), "data");
      const env = await freshCliEnv("pglite", dataDir, { empty: true });
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, started_at: new Date().toISOString(), id: "test" }));
      const r = await ciyuan(env, "import", "prices", DEEPSEEK_SHEET);
      expect(r).toEqual({ code: 1, lines: [inUse(dataDir, process.pid)] });
      // Nothing was opened: the holder's lock is as it was, and no database was made.
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
      expect(fs.existsSync(path.join(dataDir, "pgdata"))).toBe(false);
    });
  });
});

if (engineNames.includes("postgres")) {
  describe("on a Postgres server there is no lock: the server is the one writer [postgres]", () => {
    it("`ciyuan serve` leaves no lock, and another command writes to the server itself", async () => {
      const dataDir = path.join(tempDir(), "data");
      const env = { ...(await freshCliEnv("postgres", dataDir)), PORT: "0" };
      const server = spawnServing(["serve"], env);
      try {
        const base = await server.url;
        expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
        expect(await ciyuan(env, "import", "prices", DEEPSEEK_SHEET)).toEqual({
          code: 0,
          lines: [`${DEEPSEEK_SHEET}: 1 sheet stored, 0 unchanged, 0 quarantined`],
        });
        expect(await models(base)).toEqual(DEEPSEEK_MODELS);
      } finally {
        server.kill("SIGTERM");
        await server.exited;
      }
    });
  });
}
