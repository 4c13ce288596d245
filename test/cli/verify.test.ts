/**
 * `ciyuan verify --index CODE --at ISO [--revision N]` as a user runs it: data imported and
 * fixed through the CLI (signed with the key kept under CIYUAN_DATA_DIR), then the stored
 * rows tampered with directly in the database, as only someone bypassing the append-only
 * triggers could.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, type SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase, rows, type Db } from "../../src/db/index.ts";
import { KEY_FILE, signerFromPem } from "../../src/signing/index.ts";
import { runCli, type CliResult } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { rowCounts, tamper } from "../support/tamper.ts";
import { WORKED_EXAMPLE_TIMES, workedExampleFiles } from "../fixtures/worked-example/load.ts";

const [DAY1, DAY2] = WORKED_EXAMPLE_TIMES;

/** The checks' lines on stderr, by check name. */
function checks(r: CliResult): Record<string, string> {
  return Object.fromEntries(r.stderr.trim().split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]));
}

for (const engine of engineNames) {
  describe(`ciyuan verify: exit 0 only when inputs hash, numbers and signature all match [${engine}]`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-verify-"));
    let env: NodeJS.ProcessEnv;
    const verify = (...extra: string[]) => runCli(["verify", "--index", "CTPI", "--at", DAY2, ...extra], env);

    /** Opens the CLI's database in this process (PGlite: after the CLI has closed it). */
    async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      const database = await openDatabase(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir });
      try {
        return await fn(database.db);
      } finally {
        await database.close();
      }
    }
    const day2Id = (db: Db) => rows<{ id: string }>(db, sql`SELECT id::text FROM fixings WHERE index_code = 'CTPI' AND fixing_time = ${DAY2}::timestamptz AND revision = 1`).then((r) => r[0]!.id);

    /** Tampers, runs verify, undoes the tamper, and checks verify passes again. */
    async function tampered(change: (db: Db, fixingId: string) => Promise<SQL[]>): Promise<CliResult> {
      const undo = await withDb(async (db) => change(db, await day2Id(db)));
      const r = await verify();
      await withDb(async (db) => {
        for (const statement of undo) await tamper(db, statement);
      });
      expect((await verify()).code).toBe(0);
      return r;
    }

    it("imports the worked example and fixes two days through the CLI", async () => {
      env = await freshCliEnv(engine, dataDir);
      expect((await runCli(["import", "prices", ...workedExampleFiles.sheets], env)).code).toBe(0);
      expect((await runCli(["import", "fx", workedExampleFiles.fx], env)).code).toBe(0);
      expect((await runCli(["import", "usage", workedExampleFiles.usage], env)).code).toBe(0);
      for (const at of [DAY1, DAY2]) expect((await runCli(["fix", "--index", "CTPI", "--at", at], env)).code).toBe(0);
    });

    it("a stored fixing verifies: exit 0, one line per check on stderr, signed with the key under CIYUAN_DATA_DIR", async () => {
      const kid = signerFromPem(fs.readFileSync(path.join(dataDir, KEY_FILE), "utf8")).kid;
      const before = await withDb(rowCounts);
      const r = await verify();
      expect(r.code).toBe(0);
      expect(r.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/^inputs_sha256: ok \([0-9a-f]{64} at watermark \d+\)$/),
        "numbers: ok (ok, value 4.049022, 7 constituents)",
        "exclusions: ok (6 exclusions with their reasons)",
        `signature: ok (kid ${kid})`,
      ]);
      expect(JSON.parse(r.stdout)).toMatchObject({ index: "CTPI", fixing_time: DAY2, kind: "final", revision: 1, verified: true });
      expect(await withDb(rowCounts)).toEqual(before);
      expect((await runCli(["verify", "--index", "CTPI", "--at", "2026-03-02T16:00:00+08:00", "--revision", "1"], env)).code).toBe(0);
    });

    it("an accepted price changed in the database: exit 1, inputs_sha256 and numbers mismatch", async () => {
      const r = await tampered(async (db, id) => {
        const [c] = await rows<{ sheet_id: string; model: string; price: string }>(
          db,
          sql`SELECT l.sheet_id::text, l.model, l.accepted_price::text AS price FROM fixing_constituents fc
              JOIN listing_states l ON l.sheet_id = fc.sheet_id AND l.model = fc.model AND l.component = 'input'
              WHERE fc.fixing_id = ${id}::bigint ORDER BY fc.weight DESC, fc.model COLLATE "C" LIMIT 1`,
        );
        const where = sql`WHERE sheet_id = ${c!.sheet_id}::bigint AND model = ${c!.model} AND component = 'input'`;
        await tamper(db, sql`UPDATE listing_states SET accepted_price = accepted_price * 1.1 ${where}`);
        return [sql`UPDATE listing_states SET accepted_price = ${c!.price}::numeric ${where}`];
      });
      expect(r.code).toBe(1);
      expect(checks(r)).toEqual({
        inputs_sha256: expect.stringMatching(/^mismatch: /),
        numbers: expect.stringMatching(/^mismatch: value stored 4\.049022 != recomputed \d+\.\d{6}; .*price stored/),
        exclusions: expect.stringMatching(/^ok /),
        signature: expect.stringMatching(/^ok /),
      });
      expect(JSON.parse(r.stdout).verified).toBe(false);
    });

    it("a usage record changed in the database: exit 1, inputs_sha256 mismatch", async () => {
      const r = await tampered(async (db, id) => {
        void id;
        const [u] = await rows<{ ref_id: string }>(db, sql`SELECT id::text AS ref_id FROM usage_records WHERE model = 'alpha-pro' ORDER BY period_end DESC LIMIT 1`);
        await tamper(db, sql`UPDATE usage_records SET output_tokens = output_tokens + 1000 WHERE id = ${u!.ref_id}::bigint`);
        return [sql`UPDATE usage_records SET output_tokens = output_tokens - 1000 WHERE id = ${u!.ref_id}::bigint`];
      });
      expect(r.code).toBe(1);
      expect(checks(r).inputs_sha256).toMatch(/^mismatch: stored [0-9a-f]{64} != recomputed [0-9a-f]{64}$/);
    });

    it("the stored fixing value changed: exit 1, numbers and signature mismatch", async () => {
      const r = await tampered(async (db, id) => {
        await tamper(db, sql`UPDATE fixings SET value = 4.049023 WHERE id = ${id}::bigint`);
        return [sql`UPDATE fixings SET value = 4.049022 WHERE id = ${id}::bigint`];
      });
      expect(r.code).toBe(1);
      expect(checks(r)).toEqual({
        inputs_sha256: expect.stringMatching(/^ok /),
        numbers: "mismatch: value stored 4.049023 != recomputed 4.049022",
        exclusions: expect.stringMatching(/^ok /),
        signature: expect.stringMatching(/^mismatch: does not verify \(kid ed25519-[0-9a-f]{16}\)$/),
      });
    });

    it("the stored signature changed: exit 1, signature mismatch", async () => {
      const r = await tampered(async (db, id) => {
        const [s] = await rows<{ sig: string }>(db, sql`SELECT sig FROM fixing_signatures WHERE fixing_id = ${id}::bigint`);
        const forged = `${s!.sig.slice(0, 10)}${s!.sig[10] === "A" ? "B" : "A"}${s!.sig.slice(11)}`;
        await tamper(db, sql`UPDATE fixing_signatures SET sig = ${forged} WHERE fixing_id = ${id}::bigint`);
        return [sql`UPDATE fixing_signatures SET sig = ${s!.sig} WHERE fixing_id = ${id}::bigint`];
      });
      expect(r.code).toBe(1);
      expect(checks(r)).toMatchObject({ inputs_sha256: expect.stringMatching(/^ok /), numbers: expect.stringMatching(/^ok /) });
      expect(checks(r).signature).toMatch(/^mismatch: does not verify/);
    });

    it("the signature removed: exit 1, a missing signature is a failure", async () => {
      const r = await tampered(async (db, id) => {
        const [s] = await rows<{ kid: string; sig: string; signed_at: string }>(db, sql`SELECT kid, sig, signed_at FROM fixing_signatures WHERE fixing_id = ${id}::bigint`);
        await tamper(db, sql`DELETE FROM fixing_signatures WHERE fixing_id = ${id}::bigint`);
        return [sql`INSERT INTO fixing_signatures (fixing_id, kid, sig, signed_at) VALUES (${id}::bigint, ${s!.kid}, ${s!.sig}, ${s!.signed_at}::timestamptz)`];
      });
      expect(r.code).toBe(1);
      expect(checks(r).signature).toBe("missing: no signature stored for this revision");
    });

    it("no such fixing is one line and exit 1; an unknown index or a bad revision is a usage error (exit 2)", async () => {
      const none = await runCli(["verify", "--index", "CTPI", "--at", "2026-03-04T08:00:00Z"], env);
      expect([none.code, none.stderr]).toEqual([1, "ciyuan: no final fixing of CTPI at 2026-03-04T08:00:00Z\n"]);
      const rev = await verify("--revision", "2");
      expect([rev.code, rev.stderr.trim().split("\n").length]).toEqual([1, 1]);
      for (const args of [["--index", "NOPE", "--at", DAY2], ["--index", "CTPI", "--at", DAY2, "--revision", "0"], ["--index", "CTPI"]]) {
        const r = await runCli(["verify", ...args], env);
        expect({ args, code: r.code, lines: r.stderr.trim().split("\n").length }).toEqual({ args, code: 2, lines: 1 });
      }
    });
  });
}
