// `ciyuan hedge FILE --index CODE` (operations-and-users.md section 9): the same JSON object
// as POST /v1/hedge on stdout; a failure is one line on stderr with the exit code of the
// other commands (1 for rejected input, 2 for a wrong command line).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { engineNames } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";
import { checkedAnswer, parseExact, postBill, type Posted } from "../hedge/http.ts";
import { cliDatabase, seedMonthEndSettlements } from "../hedge/seed.ts";

const WITH_TOKENS = [
  "month,cost_cny,tokens",
  "2026-02,1800.00,380000003",
  "2026-03,2040.33,400000009",
  "2026-04,2290.71,430000011",
  "2026-05,2150.00,450000013",
  "2026-06,2690.42,470000017",
  "2026-07,2730.99,490000019",
  "",
].join("\n");
const WITHOUT_TOKENS = "month,cost_cny\n2026-03,2040.33\n2026-04,2290.71\n2026-05,2150\n2026-06,2690.42\n2026-07,2730.99\n";
const BAD_LINE = "month,cost_cny,tokens\n2026-03,2040.33,400000009\n2026-13,2290.71,430000011\n";
const TOO_FEW = "month,cost_cny\n2026-05,1\n2026-06,2\n2026-07,1\n2026-08,3\n";

for (const engine of engineNames) {
  describe(`ciyuan hedge [${engine}]`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-hedge-cli-"));
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    let env: NodeJS.ProcessEnv;
    const route: Record<string, Posted> = {};

    beforeAll(async () => {
      env = await cliDatabase(engine, async (database) => {
        // One final fixing on each month's last day, 2026-03 .. 2026-07: five settled months.
        await seedMonthEndSettlements(database.db, [
          { month: "2026-03", price: "4" },
          { month: "2026-04", price: "4.2" },
          { month: "2026-05", price: "3.9" },
          { month: "2026-06", price: "4.5" },
          { month: "2026-07", price: "4.4" },
        ]);
        const server = await serveForTest(database);
        try {
          for (const [name, bill] of Object.entries({ WITH_TOKENS, WITHOUT_TOKENS, BAD_LINE, TOO_FEW })) route[name] = await postBill(server.url, "CTPI", bill);
        } finally {
          await server.close();
        }
        expect(server.unexpected).toEqual([]);
      });
    }, 120_000);

    it("prints the route's JSON object on stdout (with and without tokens), exit 0, nothing on stderr", async () => {
      for (const [name, bill] of [["WITH_TOKENS", WITH_TOKENS], ["WITHOUT_TOKENS", WITHOUT_TOKENS]] as const) {
        const expected = checkedAnswer(route[name]!);
        const r = await runCli(["hedge", file(`${name}.csv`, bill), "--index", "CTPI"], env);
        expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: "" });
        expect(parseExact(r.stdout)).toEqual(expected);
        expect(r.stdout.endsWith("}\n")).toBe(true);
      }
      expect(checkedAnswer(route.WITH_TOKENS!).warnings).toEqual([
        "only 5 months used: fewer than 12 months make these estimates uncertain",
        "no settlement of CTPI for 2026-02: left out",
        "incomplete settlement (days without a final fixing) for 2026-03 to 2026-07",
      ]);
    });

    it("a bad line is one line on stderr naming the file and the line, as the route names the line; exit 1, nothing on stdout", async () => {
      const bill = file("bad.csv", BAD_LINE);
      const r = await runCli(["hedge", bill, "--index", "CTPI"], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(route.BAD_LINE!.status).toBe(400);
      expect(r.stderr).toBe(`ciyuan: ${bill}: ${route.BAD_LINE!.json.error.message}\n`);
      expect(r.stderr).toContain('line 3: month "2026-13" is not YYYY-MM');
    });

    it("too few consecutive settled months: exit 1 with the route's message", async () => {
      const bill = file("few.csv", TOO_FEW);
      const r = await runCli(["hedge", bill, "--index", "CTPI"], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`ciyuan: ${bill}: ${route.TOO_FEW!.json.error.message}\n`);
      expect(r.stderr).toMatch(/at least 4 consecutive months with a settlement of CTPI are needed; the bill has 3 at most \(2026-05 to 2026-07\)/);
    });

    it("an unreadable file is exit 1; an unknown or malformed index, or no file, is a wrong command line: exit 2; each one line", async () => {
      const bill = file("ok.csv", WITH_TOKENS);
      const cases: [string[], number, RegExp][] = [
        [["hedge", path.join(dir, "none.csv"), "--index", "CTPI"], 1, /^ciyuan: .*none\.csv: cannot read: no such file\n$/],
        [["hedge", dir, "--index", "CTPI"], 1, /cannot read: not a file\n$/],
        [["hedge", bill, "--index", "NOPE"], 2, /^ciyuan: unknown index: NOPE\n$/],
        [["hedge", bill, "--index", "not a code"], 2, /not an index code/],
        [["hedge", bill], 2, /--index/],
        [["hedge", "--index", "CTPI"], 2, /file/],
      ];
      for (const [args, code, message] of cases) {
        const r = await runCli(args, env);
        expect({ args, code: r.code, lines: r.stderr.trim().split("\n").length, stdout: r.stdout }).toEqual({ args, code, lines: 1, stdout: "" });
        expect(r.stderr).toMatch(message);
      }
    });

    it("--help exits 0", async () => {
      const r = await runCli(["hedge", "--help"], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage: ciyuan hedge [options] <file>");
      expect(r.stdout).toContain("--index <code>");
    });
  });
}
