// METHODOLOGY.md 14.1, the hedge desk's worked example: every figure of its table checked
// with exact fractions, and the route's and the CLI's answers checked against the answer it
// shows, over settlements the engine computed from daily final fixings.
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Decimal } from "decimal.js";
import { LosslessNumber } from "lossless-json";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { engineNames } from "../support/engines.ts";
import { frac, Fraction, roundHalfEven, sumOf } from "../support/exact-reference.ts";
import { serveForTest } from "../support/serve.ts";
import { get, n } from "../publish/http.ts";
import { checkedAnswer, parseExact, postBill } from "./http.ts";
import { cliDatabase, seedDailySettlements } from "./seed.ts";

const doc = readFileSync(new URL("../../METHODOLOGY.md", import.meta.url), "utf8");
const section = doc.slice(doc.indexOf("### 14.1 Worked example"), doc.indexOf("## Decisions where the rulebook is silent"));
const BILL = `${/```csv\n([\s\S]*?)\n```/.exec(section)![1]}\n`;
const ANSWER = parseExact(/```json\n([\s\S]*?)\n```/.exec(section)![1]!);

// The table: month rows and the Σ row; "−" is a minus sign, an empty cell a month without a change.
const cells = (line: string) => line.split("|").slice(1, -1).map((c) => c.trim().replace(/−/g, "-"));
const table = section.split("\n").filter((l) => /^\| (2026-\d\d|Σ) \|/.test(l)).map(cells);
const monthRows = table.filter((r) => r[0] !== "Σ");
const sumRow = table.find((r) => r[0] === "Σ")!;
const [MONTH, COST, TOKENS, S, F, DS, DF, Y, X, X2, Y2, XY, E] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const;
const q = Fraction.parse;

/** The exact statistics of the table's bill and settlements, written from section 9's definitions. */
function exactFigures() {
  const s = monthRows.map((r) => q(r[COST]!).mul(frac(1_000_000n)).div(q(r[TOKENS]!)));
  const f = monthRows.map((r) => q(r[F]!));
  const dS = s.slice(1).map((v, i) => v.sub(s[i]!));
  const dF = f.slice(1).map((v, i) => v.sub(f[i]!));
  const count = frac(dS.length);
  const meanS = sumOf(dS).div(count);
  const meanF = sumOf(dF).div(count);
  const y = dS.map((v) => v.sub(meanS));
  const x = dF.map((v) => v.sub(meanF));
  const less = frac(dS.length - 1);
  const varF = sumOf(x.map((v) => v.mul(v))).div(less);
  const varS = sumOf(y.map((v) => v.mul(v))).div(less);
  const cov = sumOf(x.map((v, i) => v.mul(y[i]!))).div(less);
  const h = cov.div(varF);
  const e = dS.map((v, i) => v.sub(h.mul(dF[i]!)));
  const meanE = sumOf(e).div(count);
  const varE = sumOf(e.map((v) => v.sub(meanE).mul(v.sub(meanE)))).div(less);
  const tokens = sumOf(monthRows.map((r) => q(r[TOKENS]!)));
  return { s, f, dS, dF, y, x, e, varF, varS, cov, h, r2: cov.mul(cov).div(varF.mul(varS)), vr: Fraction.ONE.sub(varE.div(varS)), residualShare: varE.div(varS), tokens };
}

/** sqrt of an exact fraction, half-even to 6 places, by decimal.js at 60 digits (independent of the SQL). */
const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });
const sqrt6 = (f: Fraction) => new D(f.num.toString()).div(f.den.toString()).sqrt().toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN).toFixed(6);

describe("METHODOLOGY.md 14.1: every figure of the worked example follows from the definitions", () => {
  const x = exactFigures();

  it("has six months and one Σ row", () => {
    expect(monthRows.map((r) => r[MONTH])).toEqual(["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]);
    expect(BILL.trim().split("\n").slice(1).map((l) => l.split(","))).toEqual(monthRows.map((r) => [r[MONTH], r[COST], r[TOKENS]]));
  });

  it("S_t = cost_cny x 1e6 / tokens; dS, dF, their deviations and products are as shown, exactly", () => {
    monthRows.forEach((r, i) => {
      expect(q(r[S]!).eq(x.s[i]!), `S ${r[MONTH]}`).toBe(true);
      if (i === 0) return expect(r.slice(DS).every((c) => c === "")).toBe(true);
      const j = i - 1;
      for (const [col, value] of [[DS, x.dS[j]], [DF, x.dF[j]], [Y, x.y[j]], [X, x.x[j]], [X2, x.x[j]!.mul(x.x[j]!)], [Y2, x.y[j]!.mul(x.y[j]!)], [XY, x.x[j]!.mul(x.y[j]!)]] as const) {
        expect(q(r[col]!).eq(value!), `${r[MONTH]} column ${col}`).toBe(true);
      }
      expect(r[E], `e ${r[MONTH]}`).toBe(roundHalfEven(x.e[j]!, 6));
    });
  });

  it("the Σ row holds the exact sums (e rounded to 6 places)", () => {
    expect(q(sumRow[TOKENS]!).eq(x.tokens)).toBe(true);
    for (const [col, values] of [[DS, x.dS], [DF, x.dF], [Y, x.y], [X, x.x]] as const) expect(q(sumRow[col]!).eq(sumOf([...values]))).toBe(true);
    expect(q(sumRow[X2]!).eq(sumOf(x.x.map((v) => v.mul(v))))).toBe(true);
    expect(q(sumRow[Y2]!).eq(sumOf(x.y.map((v) => v.mul(v))))).toBe(true);
    expect(q(sumRow[XY]!).eq(sumOf(x.x.map((v, i) => v.mul(x.y[i]!))))).toBe(true);
    expect(sumRow[E]).toBe(roundHalfEven(sumOf(x.e), 6));
  });

  it("the stated fractions and the answer's figures are the exact values rounded half-even to 6 places", () => {
    expect(x.varF.eq(q("0.133"))).toBe(true);
    expect(x.varS.eq(q("0.15125"))).toBe(true);
    expect(x.cov.eq(q("0.14125"))).toBe(true);
    expect(x.h.eq(frac(565n, 532n))).toBe(true);
    expect(x.r2.eq(frac(63845n, 64372n))).toBe(true);
    expect(x.vr.eq(x.r2)).toBe(true);
    expect(x.residualShare.eq(frac(527n, 64372n))).toBe(true);
    expect(n(ANSWER.hedge_ratio)).toBe(roundHalfEven(x.h, 6));
    expect(n(ANSWER.r_squared)).toBe(roundHalfEven(x.r2, 6));
    expect(n(ANSWER.variance_reduction)).toBe(roundHalfEven(x.vr, 6));
    expect(n(ANSWER.correlation)).toBe(sqrt6(x.r2));
    expect(n(ANSWER.volatility_reduction)).toBe(new D(1).sub(sqrt6(x.residualShare)).toFixed(6));
    expect(n(ANSWER.contracts_per_month)).toBe(roundHalfEven(x.h.mul(x.tokens).div(frac(6n * 1_000_000n)), 6));
    expect(ANSWER.effective).toBe(true);
    expect(ANSWER.months).toBe(6);
  });
});

for (const engine of engineNames) {
  describe(`the worked example through POST /v1/hedge and ciyuan hedge [${engine}]`, () => {
    let routeText = "";
    let route: any;
    const settlements: Record<string, any> = {};
    let env: NodeJS.ProcessEnv;
    const billFile = path.join(os.tmpdir(), `ciyuan-hedge-worked-${process.pid}-${engine}.csv`);

    beforeAll(async () => {
      env = await cliDatabase(engine, async (database) => {
        // F_t is every constituent's list price for the whole month.
        await seedDailySettlements(database.db, monthRows.map((r) => ({ month: r[MONTH]!, price: r[F]! })));
        const server = await serveForTest(database);
        try {
          const posted = await postBill(server.url, "CTPI", BILL);
          routeText = posted.text;
          route = checkedAnswer(posted);
          for (const r of monthRows) settlements[r[MONTH]!] = (await get(`${server.url}/v1/indices/CTPI/settlement?month=${r[MONTH]}`)).json;
        } finally {
          await server.close();
        }
        expect(server.unexpected).toEqual([]);
      });
      writeFileSync(billFile, BILL);
    }, 120_000);

    it("each month's settlement, as the settlement route publishes it, is the F_t of the table: final and complete", () => {
      for (const r of monthRows) {
        expect(settlements[r[MONTH]!]).toMatchObject({ month: r[MONTH], provisional: false, final: true, complete: true });
        expect(n(settlements[r[MONTH]!].value)).toBe(r[F]);
      }
    });

    it("the route answers the figures METHODOLOGY.md shows, digit for digit", () => {
      const plain = (v: unknown) => (v instanceof LosslessNumber ? v.value : v);
      for (const key of Object.keys(ANSWER)) expect(plain(route[key]), key).toEqual(plain(ANSWER[key]));
      expect(routeText).toContain('"hedge_ratio":1.062030,');
      expect(route.cost_unit).toBe("CNY per 1M tokens");
      expect(route.series.map((s: any) => [s.month, n(s.unit_cost), n(s.settlement), s.settlement_status, s.complete, s.used])).toEqual(
        monthRows.map((r) => [r[MONTH], roundHalfEven(q(r[S]!), 6), r[F], "final", true, true]),
      );
    });

    it("ciyuan hedge prints the same object on stdout, exit 0", async () => {
      const r = await runCli(["hedge", billFile, "--index", "CTPI"], env);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(parseExact(r.stdout)).toEqual(route);
    });
  });
}
