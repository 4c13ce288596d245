import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { workedExampleFiles } from "../fixtures/worked-example/load.ts";
import { describe } from "vitest";

for (const engine of engineNames) {
  describe(`ciyuan fix, backfill, show, prices [${engine}]`, () => {
    const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-cli-"));

    it("imports the worked example, backfills two days with progress on stderr, and shows the fixing as JSON", async () => {
      const env = await freshCliEnv(engine, tmp());
      expect((await runCli(["import", "prices", ...workedExampleFiles.sheets], env)).code).toBe(0);
      expect((await runCli(["import", "fx", workedExampleFiles.fx], env)).code).toBe(0);
      expect((await runCli(["import", "usage", workedExampleFiles.usage], env)).code).toBe(0);
      const b = await runCli(["backfill", "--index", "CTPI", "--from", "2026-03-02", "--to", "2026-03-03"], env);
      expect(b.code).toBe(0);
      expect(b.stderr).toMatch(/CTPI: 2\/2 2026-03-03T08:00:00Z .* fixings\/s ETA/);
      const s = await runCli(["show", "--index", "CTPI"], env);
      expect(s.code).toBe(0);
      expect(s.stdout).toMatch(/"value": 4\.049022,/);
      const shown = JSON.parse(s.stdout);
      expect(shown).toMatchObject({ index: "CTPI", fixing_time: "2026-03-03T08:00:00Z", kind: "final", revision: 1, level: 921.156083 });
      expect(shown.constituents.length).toBeGreaterThan(4);
      expect(shown.exclusions.length).toBeGreaterThan(0);
      const f = await runCli(["fix", "--index", "CTPI", "--at", "2026-03-03T16:00:00+08:00", "--reason", "operator check"], env);
      expect(f.code).toBe(0);
      expect(JSON.parse(f.stdout)).toMatchObject({ revision: 2, reason: "operator check", value: 4.049022 });
      const held = await runCli(["prices", "held", "--at", "2026-03-03T08:00:00Z"], env);
      expect(held.code).toBe(0);

      // The calendar [1.1]: a date alone is that day's final; a time in the future, off the
      // calendar or without its offset is refused on one line, exit 2, and nothing is stored.
      const byDate = await runCli(["show", "--index", "CTPI", "--at", "2026-03-02"], env);
      expect(JSON.parse(byDate.stdout)).toMatchObject({ fixing_time: "2026-03-02T08:00:00Z", revision: 1 });
      const refused: [string, RegExp][] = [
        ["2030-01-01T08:00:00Z", /2030-01-01T08:00:00Z is in the future/],
        ["2026-03-03T10:07:00Z", /is not a final fixing time of CTPI: finals are at 16:00 Asia\/Shanghai/],
        ["2026-03-03T08:00:00", /no UTC offset/],
      ];
      for (const [time, message] of refused) {
        const r = await runCli(["fix", "--index", "CTPI", "--at", time], env);
        expect({ time, code: r.code, lines: r.stderr.trim().split("\n").length }).toEqual({ time, code: 2, lines: 1 });
        expect(r.stderr).toMatch(message);
      }
      const future = await runCli(["backfill", "--index", "CTPI", "--from", "2026-03-04", "--to", "2030-01-01"], env);
      expect(future.code).toBe(2);
      expect(future.stderr).toMatch(/2030-01-01T08:00:00Z is in the future/);
      const after = await runCli(["show", "--index", "CTPI"], env);
      expect(JSON.parse(after.stdout)).toMatchObject({ fixing_time: "2026-03-03T08:00:00Z", revision: 2 });
    });

    it("a wrong command line is one line on stderr and exit 2", async () => {
      const env = await freshCliEnv(engine, tmp());
      const cases = [
        ["fix", "--index", "CTPI", "--at", "yesterday"],
        ["fix", "--index", "CTPI", "--at", "2026-10-01T08:00:00Z", "--bogus"],
        ["backfill", "--index", "CTPI", "--from", "2026-02-30", "--to", "2026-03-01"],
        ["backfill", "--index", "CTPI", "--from", "2026-03-02", "--to", "2026-03-01"],
        ["show", "--index", "NOPE"],
        ["fix", "--index", "NOPE", "--at", "2026-10-01T08:00:00Z"],
      ];
      for (const args of cases) {
        const r = await runCli(args, env);
        expect({ args, code: r.code }).toEqual({ args, code: 2 });
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
    });

    it("--help on each command exits 0", async () => {
      const env = await freshCliEnv(engine, tmp());
      for (const cmd of ["fix", "backfill", "show", "migrate", "serve", "start"]) {
        const r = await runCli([cmd, "--help"], env);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`Usage: ciyuan ${cmd}`);
      }
    });
  });
}
