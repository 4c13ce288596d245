/**
 * `ciyuan contributors add NAME --provider P [--provider Q ...]`, `contributors list` and
 * `contributors revoke NAME` as an operator runs them (operations-and-users.md section 5):
 * the token printed once, alone on stdout, only its SHA-256 stored; the token submits over
 * HTTP until it is revoked. Failures are one line on stderr with the usual exit codes.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, rows, type Database } from "../../src/db/index.ts";
import { LOCK_FILE } from "../../src/db/lock.ts";
import { runCli, spawnServing, type ServingCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";

const USAGE = "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens\nmoonshot,k2,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,10,,5\n";

for (const engine of engineNames) {
  describe(`ciyuan contributors add | list | revoke [${engine}]`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-contributors-"));
    let env: NodeJS.ProcessEnv;
    let token = "";
    afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    /** Opens the CLI's database in this process (PGlite: after the CLI has closed it). */
    async function withDb<T>(fn: (database: Database) => Promise<T>): Promise<T> {
      const database = await openDatabase(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir });
      try {
        return await fn(database);
      } finally {
        await database.close();
      }
    }

    /** Submits a usage body with the token to a server over the CLI's database; the status. */
    const submit = (bearer: string) =>
      withDb(async (database) => {
        const server = await serveForTest(database);
        try {
          const res = await fetch(`${server.url}/v1/contributions/usage`, {
            method: "POST",
            headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "text/csv" },
            body: USAGE,
          });
          await res.arrayBuffer();
          return res.status;
        } finally {
          await server.close();
        }
      });

    describe("add: prints the token once, alone on stdout; only its SHA-256 is kept", () => {
      it("adds a contributor with its providers", async () => {
        env = await freshCliEnv(engine, dataDir);
        const r = await runCli(["contributors", "add", "acme-cloud", "--provider", "deepseek", "--provider", "moonshot"], env);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^ctb_[A-Za-z0-9_-]{43}\n$/);
        token = r.stdout.trim();
        expect(Buffer.from(token.slice(4), "base64url").length).toBe(32);
        expect(r.stderr).toBe("contributor acme-cloud added for deepseek, moonshot; keep the token: only its SHA-256 is stored\n");
      });

      it("stores the SHA-256 of the token, never the token", async () => {
        const stored = await withDb(({ db }) =>
          rows<{ name: string; token_sha256: string; providers: string[]; everything: string }>(
            db,
            sql`SELECT name, token_sha256, providers, row_to_json(c)::text AS everything FROM contributors c`,
          ),
        );
        expect(stored.map((s) => [s.name, s.token_sha256, s.providers])).toEqual([
          ["acme-cloud", createHash("sha256").update(token).digest("hex"), ["deepseek", "moonshot"]],
        ]);
        expect(stored[0]!.everything).not.toContain(token.slice(4));
      });

      it("each contributor gets a token of its own", async () => {
        const r = await runCli(["contributors", "add", "beta", "--provider", "zhipu"], env);
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).not.toBe(token);
      });

      it("refuses a name taken already (exit 1), a wrong name or provider, or no --provider (exit 2), one line on stderr", async () => {
        const taken = await runCli(["contributors", "add", "acme-cloud", "--provider", "zhipu"], env);
        expect(taken).toMatchObject({ code: 1, stdout: "" });
        expect(taken.stderr).toBe("ciyuan: a contributor named acme-cloud exists already (names are never reused, even revoked)\n");
        const badName = await runCli(["contributors", "add", "acme cloud", "--provider", "zhipu"], env);
        expect(badName).toMatchObject({ code: 2, stdout: "" });
        expect(badName.stderr).toMatch(/^ciyuan: "acme cloud": a contributor name is 1 to 64 letters/);
        expect(badName.stderr.trim().split("\n")).toHaveLength(1);
        const badProvider = await runCli(["contributors", "add", "gamma", "--provider", " zhipu"], env);
        expect(badProvider).toMatchObject({ code: 2, stdout: "" });
        expect(badProvider.stderr).toBe('ciyuan: provider " zhipu": a provider is a non-empty name without surrounding spaces\n');
        const noProvider = await runCli(["contributors", "add", "gamma"], env);
        expect(noProvider).toMatchObject({ code: 2, stdout: "" });
        expect(noProvider.stderr).toMatch(/--provider/);
        expect(noProvider.stderr.trim().split("\n")).toHaveLength(1);
      });
    });

    describe("list: one contributor a line, oldest first (name, providers, created, revoked), tab-separated", () => {
      it("lists both, not revoked", async () => {
        const r = await runCli(["contributors", "list"], env);
        expect(r.code).toBe(0);
        const lines = r.stdout.trimEnd().split("\n").map((l) => l.split("\t"));
        expect(lines).toEqual([
          ["acme-cloud", "deepseek,moonshot", expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/), "-"],
          ["beta", "zhipu", expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/), "-"],
        ]);
        expect(r.stderr).toBe("2 contributors\n");
      });
    });

    describe("revoke: the token stops working from then on; the contributor stays listed", () => {
      it("the token submits before it is revoked", async () => {
        expect(await submit(token)).toBe(202);
      });

      it("revokes (exit 0), and the token is refused (401) afterwards", async () => {
        const r = await runCli(["contributors", "revoke", "acme-cloud"], env);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^contributor acme-cloud revoked at \d{4}-\d{2}-\d{2}T[\d:.]+Z\n$/);
        expect(await submit(token)).toBe(401);
        const list = await runCli(["contributors", "list"], env);
        expect(list.stdout.split("\n")[0]!.split("\t")[3]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
        expect(list.stdout.split("\n")[1]!.split("\t")[3]).toBe("-");
      });

      it("revoking again changes nothing and says when it was revoked (exit 0)", async () => {
        const before = (await runCli(["contributors", "list"], env)).stdout;
        const r = await runCli(["contributors", "revoke", "acme-cloud"], env);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/^contributor acme-cloud was already revoked at /);
        expect((await runCli(["contributors", "list"], env)).stdout).toBe(before);
      });

      it("an unknown name: exit 1, one line", async () => {
        const r = await runCli(["contributors", "revoke", "nobody"], env);
        expect(r).toEqual({ code: 1, stdout: "", stderr: 'ciyuan: no contributor named "nobody"\n' });
      });
    });
  });
}

/**
 * One writer on the embedded database (operations spec, section 2): while `ciyuan start`
 * holds the data directory, `contributors add|list|revoke` hand their work to it like any
 * other command, and the running service takes the new token at once. On a Postgres
 * server there is nothing to hand over: the server is the one writer.
 */
for (const engine of engineNames) {
  describe(`ciyuan contributors while \`ciyuan start\` runs [${engine}]`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-contributors-start-"));
    let env: NodeJS.ProcessEnv;
    let server: ServingCli;
    let base: string;
    let handing: string[];
    let token = "";

    beforeAll(async () => {
      const sources = path.join(dir, "sources.json");
      fs.writeFileSync(sources, JSON.stringify({ schema: "ciyuan.sources/1", sources: [] }));
      env = { ...(await freshCliEnv(engine, path.join(dir, "data"))), PORT: "0", CIYUAN_START_DAYS: "1", CIYUAN_SOURCES: sources };
      server = spawnServing(["start", "--no-sample"], env);
      base = await server.url;
      const lock = path.join(dir, "data", LOCK_FILE);
      // The line a command prints when it hands its work to the running service (none on Postgres).
      handing = engine === "pglite" ? [`ciyuan: handing the work to the running ciyuan (pid ${JSON.parse(fs.readFileSync(lock, "utf8")).pid}) on ${path.join(dir, "data")}`] : [];
    });
    afterAll(async () => {
      server?.kill("SIGTERM");
      await server?.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const post = async (bearer: string) => {
      const res = await fetch(`${base}/v1/contributions/usage`, {
        method: "POST",
        headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "text/csv" },
        body: USAGE,
      });
      return { status: res.status, json: (await res.json()) as { receipt?: { contributor: string; records: number } } };
    };

    it("`contributors add` is handed over: exit 0, the token alone on stdout, and the running service accepts it at once", async () => {
      const r = await runCli(["contributors", "add", "acme-cloud", "--provider", "moonshot"], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ctb_[A-Za-z0-9_-]{43}\n$/);
      expect(r.stderr.split("\n").filter(Boolean)).toEqual([...handing, "contributor acme-cloud added for moonshot; keep the token: only its SHA-256 is stored"]);
      token = r.stdout.trim();
      const accepted = await post(token);
      expect(accepted.status).toBe(202);
      expect(accepted.json.receipt).toMatchObject({ contributor: "acme-cloud", records: 1 });
    });

    it("`contributors list` is handed over and lists it", async () => {
      const r = await runCli(["contributors", "list"], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\t").slice(0, 2)).toEqual(["acme-cloud", "moonshot"]);
      expect(r.stderr.split("\n").filter(Boolean)).toEqual([...handing, "1 contributor"]);
    });

    it("`contributors revoke` is handed over, and the running service refuses the token from then on (401)", async () => {
      const r = await runCli(["contributors", "revoke", "acme-cloud"], env);
      expect(r.code).toBe(0);
      expect(r.stderr.split("\n").filter(Boolean)).toEqual([...handing, expect.stringMatching(/^contributor acme-cloud revoked at /)]);
      expect((await post(token)).status).toBe(401);
    });
  });
}
