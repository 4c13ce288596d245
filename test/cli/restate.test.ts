import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { workedExampleFiles } from "../fixtures/worked-example/load.ts";
import { runCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";

for (const engine of engineNames) {
  describe(`ciyuan restate: a recompute of a published final fixing adds revision n+1 with a reason [${engine}]`, () => {
    it("restates a published final fixing as revision 2, signed, printed as JSON; a second restatement is revision 3", async () => {
      const env = await freshCliEnv(engine, fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-restate-")));
      expect((await runCli(["import", "prices", ...workedExampleFiles.sheets], env)).code).toBe(0);
      expect((await runCli(["import", "fx", workedExampleFiles.fx], env)).code).toBe(0);
      expect((await runCli(["import", "usage", workedExampleFiles.usage], env)).code).toBe(0);
      expect((await runCli(["backfill", "--index", "CTPI", "--from", "2026-03-03", "--to", "2026-03-03"], env)).code).toBe(0);

      const r = await runCli(["restate", "--index", "CTPI", "--at", "2026-03-03T16:00:00+08:00", "--reason", "late usage data"], env);
      expect(r.code).toBe(0);
      const restated = JSON.parse(r.stdout);
      expect(restated).toMatchObject({ index: "CTPI", fixing_time: "2026-03-03T08:00:00Z", kind: "final", revision: 2, reason: "late usage data" });
      expect(restated.signature).toMatchObject({ alg: "Ed25519" });
      expect(r.stdout).toMatch(/"value": 4\.049022,/);

      const again = await runCli(["restate", "--index", "CTPI", "--at", "2026-03-03T08:00:00Z", "--reason", "operator check"], env);
      expect(JSON.parse(again.stdout)).toMatchObject({ revision: 3, reason: "operator check" });
      const shown = await runCli(["show", "--index", "CTPI", "--at", "2026-03-03T08:00:00Z"], env);
      expect(JSON.parse(shown.stdout)).toMatchObject({ revision: 3 });

      // no published final fixing at that T: refused, one line, exit 1
      const none = await runCli(["restate", "--index", "CTPI", "--at", "2026-03-04T08:00:00Z", "--reason", "x"], env);
      expect(none.code).toBe(1);
      expect(none.stdout).toBe("");
      expect(none.stderr).toBe("ciyuan: no final fixing of CTPI at 2026-03-04T08:00:00Z to restate\n");

      // a reason is required; an unknown index is a wrong command line
      for (const args of [
        ["restate", "--index", "CTPI", "--at", "2026-03-03T08:00:00Z"],
        ["restate", "--index", "CTPI", "--at", "2026-03-03T08:00:00Z", "--reason", "  "],
        ["restate", "--index", "NOPE", "--at", "2026-03-03T08:00:00Z", "--reason", "x"],
      ]) {
        const bad = await runCli(args, env);
        expect({ args, code: bad.code }).toEqual({ args, code: 2 });
        expect(bad.stderr.trim().split("\n")).toHaveLength(1);
      }
      const kept = await runCli(["show", "--index", "CTPI", "--at", "2026-03-03T08:00:00Z"], env);
      expect(JSON.parse(kept.stdout)).toMatchObject({ revision: 3 });
    });
  });
}
