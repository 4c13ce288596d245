/**
 * `ciyuan import prices|usage|fx FILE...` as a user runs it: one stderr line per rejected
 * unit, a summary per file, exit 1 when anything was rejected, accepted data untouched.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, rows } from "../../src/db/index.ts";
import { runCli } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";
import { DEEPSEEK_SHEET, ECB_DAILY, ECB_HIST_90D, USAGE_HEADER, counts, sheetText, type Counts } from "../normalise/helpers.ts";

const T = { timeout: 120_000 };
const P1 = "2026-09-01T00:00:00+08:00,2026-09-02T00:00:00+08:00";

for (const engine of engineNames) {
  describe(`ciyuan import [${engine}]`, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    const ciyuan = async (...args: string[]) => {
      const r = await runCli(args, env);
      return { code: r.code, lines: r.stderr.split("\n").filter(Boolean), stdout: r.stdout };
    };
    const tables = async (): Promise<Counts> => {
      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
      try {
        return await counts(database.db);
      } finally {
        await database.close();
      }
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-import-"));
      env = await freshCliEnv(engine, path.join(dir, "data"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("prices: the unit of acceptance is the sheet", () => {
      it("stores DeepSeek's sheet and exits 0", T, async () => {
        const r = await ciyuan("import", "prices", DEEPSEEK_SHEET);
        expect(r).toEqual({ code: 0, lines: [`${DEEPSEEK_SHEET}: 1 sheet stored, 0 unchanged, 0 quarantined`], stdout: "" });
      });

      it("stores the good sheets, names each quarantined one on stderr, exits 1; the same file again changes nothing", T, async () => {
        const multi = file("multi.json", `[${sheetText({ as_of: "2026-10-01T00:00:00Z" })},
          ${sheetText({ as_of: "2026-10-02T00:00:00Z" }, `[{"model": "m1", "input": 0, "output": 3}]`)},
          ${sheetText({ as_of: "2026-10-03T00:00:00Z" })}]`);
        const r = await ciyuan("import", "prices", multi);
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([
          `${multi}: sheet acme@2026-10-02T00:00:00Z: models[0].input: not a number > 0`,
          `${multi}: 2 sheets stored, 0 unchanged, 1 quarantined`,
        ]);
        const before = await tables();
        const again = await ciyuan("import", "prices", multi);
        expect(again.code).toBe(1);
        expect(again.lines.at(-1)).toBe(`${multi}: 0 sheets stored, 2 unchanged, 1 quarantined`);
        expect(await tables()).toEqual(before);
      });

      it("rejects each bad file with one line, exits 1, and leaves the accepted sheets as they were", T, async () => {
        const bad: [string, string, string][] = [
          ["cut.json", sheetText().slice(0, 90), "{F}:1: not valid JSON: "],
          ["unit.json", sheetText({ unit: "per_token_k" }), '{F}: sheet acme@2026-09-29T00:00:00+08:00: unit: unknown unit "per_token_k"'],
          ["zero.json", sheetText({}, `[{"model": "m1", "input": 0}]`), "{F}: sheet acme@2026-09-29T00:00:00+08:00: models[0].input: not a number > 0"],
          ["abc.csv", "provider,country,as_of,currency,unit,model,input,cached_input,output\nacme,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,m1,abc,,3\n",
            "{F}:2: sheet acme@2026-09-29T00:00:00+08:00: input: not a number > 0"],
          ["noasof.json", sheetText({ as_of: undefined }), "{F}: sheet acme@? (#1): as_of: missing"],
          ["local.json", sheetText({ as_of: "2026-09-29T00:00:00" }), "{F}: sheet acme@2026-09-29T00:00:00: as_of: no UTC offset"],
          ["cur.json", sheetText({ currency: "RMB" }), '{F}: sheet acme@2026-09-29T00:00:00+08:00: currency: unknown currency "RMB"'],
          ["cols.csv", "provider,country,as_of,currency,unit,model,input,output\n", '{F}:1: header: missing column "cached_input"'],
        ];
        const paths = bad.map(([name, text]) => file(name, text));
        const before = await tables();
        const r = await ciyuan("import", "prices", ...paths);
        expect(r.code).toBe(1);
        expect(r.lines).toHaveLength(bad.length * 2); // the rejection and the file's summary
        bad.forEach(([, , start], i) => {
          expect(r.lines[2 * i]!.startsWith(start.replace("{F}", paths[i]!))).toBe(true);
          expect(r.lines[2 * i + 1]).toBe(`${paths[i]}: 0 sheets stored, 0 unchanged, 1 quarantined`);
        });
        const after = await tables();
        expect(after.price_sheets).toBe(before.price_sheets);
        expect(after.sheet_models).toBe(before.sheet_models);
        expect(after.quarantine).toBe(before.quarantine + bad.length);
      });

      it("a missing file is one line and exit 1", T, async () => {
        const missing = path.join(dir, "nope.json");
        expect(await ciyuan("import", "prices", missing)).toEqual({ code: 1, lines: [`${missing}: cannot read: no such file`], stdout: "" });
      });
    });

    describe("usage: a file is accepted or rejected whole", () => {
      it("a negative token count on line 4 fails its file (file, line 4, field) and not the next file", T, async () => {
        const badFile = file("bad.csv", `${USAGE_HEADER}\nacme,m1,${P1},1,0,1\nacme,m2,${P1},1,0,1\nacme,m3,${P1},-7,0,1\n`);
        const goodFile = file("good.csv", `${USAGE_HEADER}\nacme,m1,${P1},1000,100,500\nacme,m2,${P1},9007199254740993,,700\n`);
        const r = await ciyuan("import", "usage", badFile, goodFile);
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([
          `${badFile}:4: input_tokens: not a non-negative integer`,
          `${badFile}: rejected whole, nothing stored`,
          `${goodFile}: 2 records stored, 0 unchanged`,
        ]);
        expect((await tables()).usage_records).toBe(2);
      });

      it("the same file again changes nothing and exits 0", T, async () => {
        const before = await tables();
        const r = await ciyuan("import", "usage", path.join(dir, "good.csv"));
        expect(r).toEqual({ code: 0, lines: [`${path.join(dir, "good.csv")}: 0 records stored, 2 unchanged`], stdout: "" });
        expect(await tables()).toEqual(before);
      });

      it("a correction supersedes the record and keeps the old one", T, async () => {
        const fix = file("fix.csv", `${USAGE_HEADER}\nacme,m1,${P1},1200,100,500\n`);
        expect((await ciyuan("import", "usage", fix)).lines).toEqual([`${fix}: 1 record stored, 0 unchanged`]);
        const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
        try {
          const v = await rows(database.db, sql`select version, input_tokens from usage_records where model = 'm1' order by version`);
          expect(v).toEqual([{ version: 1, input_tokens: "1000" }, { version: 2, input_tokens: "1200" }]);
          const [big] = await rows(database.db, sql`select input_tokens from usage_records where model = 'm2'`);
          expect(big).toEqual({ input_tokens: "9007199254740993" });
        } finally {
          await database.close();
        }
      });

      it("period_end <= period_start, cached > input and non-integer tokens: one line each, nothing stored", T, async () => {
        const files = [
          file("period.csv", `${USAGE_HEADER}\nx,m1,2026-09-02T00:00:00Z,2026-09-01T00:00:00Z,1,0,1\n`),
          file("cached.csv", `${USAGE_HEADER}\nx,m1,${P1},10,11,1\n`),
          file("frac.csv", `${USAGE_HEADER}\nx,m1,${P1},10,1,2.5\n`),
          file("cols.csv", "provider,model,period_start,period_end,input_tokens,output_tokens\n"),
        ];
        const before = await tables();
        const r = await ciyuan("import", "usage", ...files);
        expect(r.code).toBe(1);
        expect(r.lines.filter((l) => !l.endsWith("rejected whole, nothing stored"))).toEqual([
          `${files[0]}:2: period_end: not after period_start`,
          `${files[1]}:2: cached_input_tokens: greater than input_tokens`,
          `${files[2]}:2: output_tokens: not a non-negative integer`,
          `${files[3]}:1: header: missing column "cached_input_tokens"`,
        ]);
        expect(await tables()).toEqual(before);
      });
    });

    describe("fx: ECB reference rates, crossed to CNY", () => {
      it("imports the daily and hist-90d files, then the same again changes nothing", T, async () => {
        const r = await ciyuan("import", "fx", ECB_DAILY, ECB_HIST_90D);
        expect(r).toEqual({
          code: 0,
          lines: [`${ECB_DAILY}: 29 rates stored, 0 unchanged`, `${ECB_HIST_90D}: 2016 rates stored, 0 unchanged`],
          stdout: "",
        });
        const again = await ciyuan("import", "fx", ECB_DAILY);
        expect(again.lines).toEqual([`${ECB_DAILY}: 0 rates stored, 29 unchanged`]);
      });

      it("an ECB file without CNY is rejected whole, exit 1", T, async () => {
        const text = fs.readFileSync(ECB_DAILY, "utf8").replace(/\t+<Cube currency='CNY' rate='7.7573'\/>\n/, "").replace("2026-07-06", "2026-07-07");
        const nocny = file("nocny.xml", text);
        const before = await tables();
        const r = await ciyuan("import", "fx", nocny);
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([`${nocny}:8: CNY: no CNY rate on 2026-07-07: no cross rate to CNY`, `${nocny}: rejected whole, nothing stored`]);
        expect(await tables()).toEqual(before);
      });
    });
  });
}
