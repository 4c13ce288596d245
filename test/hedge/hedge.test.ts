// POST /v1/hedge?index=CODE, the hedge desk (operations-and-users.md section 9), on settlements
// the engine computed from real final fixings. Expected figures are computed here from the
// bill and the published settlement prices: exact fractions (BigInt) for everything but the
// two square roots, which decimal.js takes at 60 digits; nothing is taken from the SQL under test.
import { sql } from "drizzle-orm";
import { Decimal } from "decimal.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { roundSqrtRatio } from "../../src/hedge/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { frac, Fraction, roundHalfEven, sumOf } from "../support/exact-reference.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get, n } from "../publish/http.ts";
import { checkedAnswer, postBill } from "./http.ts";
import { seedDailySettlements, seedMonthEndSettlements, type MonthPrices } from "./seed.ts";

const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });
const sqrt6 = (f: Fraction) => new D(f.num.toString()).div(f.den.toString()).sqrt().toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN).toFixed(6);

type BillLine = { month: string; cost: string; tokens: string | null };

const csv = (lines: BillLine[], withTokens = true) =>
  (withTokens ? "month,cost_cny,tokens\n" : "month,cost_cny\n") +
  lines.map((l) => (withTokens ? `${l.month},${l.cost},${l.tokens ?? ""}` : `${l.month},${l.cost}`)).join("\n") +
  "\n";

/**
 * Section 9 written out independently: S_t exact, changes only between consecutive bill
 * months that both have a settlement, sample moments, each figure rounded half-even once.
 */
function expected(bill: BillLine[], settlement: Map<string, string>) {
  const s = bill.map((l) => (l.tokens === null ? Fraction.parse(l.cost) : Fraction.parse(l.cost).mul(frac(1_000_000n)).div(Fraction.parse(l.tokens))));
  const dS: Fraction[] = [];
  const dF: Fraction[] = [];
  const used = new Set<string>();
  for (let i = 1; i < bill.length; i++) {
    const a = settlement.get(bill[i - 1]!.month);
    const b = settlement.get(bill[i]!.month);
    if (a === undefined || b === undefined) continue;
    dS.push(s[i]!.sub(s[i - 1]!));
    dF.push(Fraction.parse(b).sub(Fraction.parse(a)));
    used.add(bill[i - 1]!.month).add(bill[i]!.month);
  }
  const count = frac(dS.length);
  const less = frac(dS.length - 1);
  const meanS = sumOf(dS).div(count);
  const meanF = sumOf(dF).div(count);
  const varS = sumOf(dS.map((v) => v.sub(meanS).mul(v.sub(meanS)))).div(less);
  const varF = sumOf(dF.map((v) => v.sub(meanF).mul(v.sub(meanF)))).div(less);
  const cov = sumOf(dS.map((v, i) => v.sub(meanS).mul(dF[i]!.sub(meanF)))).div(less);
  const h = cov.div(varF);
  const r2 = cov.mul(cov).div(varF.mul(varS));
  const e = dS.map((v, i) => v.sub(h.mul(dF[i]!)));
  const meanE = sumOf(e).div(count);
  const varE = sumOf(e.map((v) => v.sub(meanE).mul(v.sub(meanE)))).div(less);
  const vr = Fraction.ONE.sub(varE.div(varS));
  const usedLines = bill.filter((l) => used.has(l.month));
  const tokens = usedLines.every((l) => l.tokens !== null) ? sumOf(usedLines.map((l) => Fraction.parse(l.tokens!))) : null;
  const r2Text = roundHalfEven(r2, 6);
  return {
    hedge_ratio: roundHalfEven(h, 6),
    correlation: (cov.num < 0n ? "-" : "") + sqrt6(r2),
    r_squared: r2Text,
    variance_reduction: roundHalfEven(vr, 6),
    volatility_reduction: new D(1).sub(sqrt6(varE.div(varS))).toFixed(6),
    effective: Fraction.parse(r2Text).cmp(Fraction.parse("0.8")) >= 0,
    contracts_per_month: tokens === null ? null : roundHalfEven(h.mul(tokens).div(frac(BigInt(usedLines.length) * 1_000_000n)), 6),
    months: usedLines.length,
    unit_costs: s.map((v) => roundHalfEven(v, 6)),
    exact: { vr, r2 },
  };
}

/** The answer's figures as text (exact numbers as written). */
const figures = (a: any) => ({
  hedge_ratio: n(a.hedge_ratio),
  correlation: n(a.correlation),
  r_squared: n(a.r_squared),
  variance_reduction: n(a.variance_reduction),
  volatility_reduction: n(a.volatility_reduction),
  effective: a.effective,
  contracts_per_month: a.contracts_per_month === null ? null : n(a.contracts_per_month),
  months: a.months,
});
const withoutExtras = (x: ReturnType<typeof expected>) => {
  const { exact: _e, unit_costs: _u, ...rest } = x;
  return rest;
};

// CTPI prices of 2026-03 .. 2026-09, changing within months so each settlement is a mean of
// different days; 2026-05-15 has no final fixing (May incomplete) and September stops on
// the 2nd (provisional). The service's clock: 2026-09-03, before August's cut-off.
const MONTHS: MonthPrices[] = [
  { month: "2026-03", price: [[1, "4"], [11, "4.1"], [21, "3.95"]] },
  { month: "2026-04", price: [[1, "4.2"], [16, "4.35"]] },
  { month: "2026-05", price: [[1, "3.9"], [10, "3.8"]] },
  { month: "2026-06", price: [[1, "4.5"], [20, "4.45"]] },
  { month: "2026-07", price: [[1, "4.4"], [8, "4.6"], [25, "4.3"]] },
  { month: "2026-08", price: [[1, "4.8"], [12, "4.7"]] },
  { month: "2026-09", price: "4.9" },
];
const SERVICE_NOW = new Date("2026-09-03T00:00:00Z");

// Tokens chosen so that no unit cost is a finite decimal.
const BILL: BillLine[] = [
  { month: "2026-01", cost: "1890.10", tokens: "380000003" },
  { month: "2026-02", cost: "1950.55", tokens: "390000007" },
  { month: "2026-03", cost: "2040.33", tokens: "400000009" },
  { month: "2026-04", cost: "2290.71", tokens: "430000011" },
  { month: "2026-05", cost: "2150.00", tokens: "450000013" },
  { month: "2026-06", cost: "2690.42", tokens: "470000017" },
  { month: "2026-07", cost: "2730.99", tokens: "490000019" },
  { month: "2026-08", cost: "2985.37", tokens: "510000023" },
  { month: "2026-09", cost: "3100.01", tokens: "530000029" },
];

describeEachEngine("POST /v1/hedge: the hedge ratio of a monthly bill on the index's settlement prices", (ctx) => {
  let server: TestServer | undefined;
  const base = () => server!.url;
  const settled = new Map<string, string>();

  beforeAll(async () => {
    await seedDailySettlements(ctx.db, MONTHS, { skip: ["2026-05-15"], until: "2026-09-02" });
    server = await serveForTest(ctx.database, { now: () => SERVICE_NOW });
    for (const { month } of MONTHS) settled.set(month, n((await get(`${base()}/v1/indices/CTPI/settlement?month=${month}`)).json.value));
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  describe("F_t is the settlement price the settlement route publishes, its latest revision", () => {
    it("May was settled twice (before and after its missing day): the desk uses revision 2, as the route does", async () => {
      const may = (await get(`${base()}/v1/indices/CTPI/settlement?month=2026-05`)).json;
      const first = (await get(`${base()}/v1/indices/CTPI/settlement?month=2026-05&revision=1`)).json;
      expect(may.revision).toBe(2);
      expect(first.provisional).toBe(true);
      expect(n(first.value)).not.toBe(n(may.value));
      const answer = checkedAnswer(await postBill(base(), "CTPI", csv(BILL)));
      expect(n(answer.series.find((s: any) => s.month === "2026-05").settlement)).toBe(n(may.value));
    });

    it("every month's F_t and status in the series are the settlement's", async () => {
      const answer = checkedAnswer(await postBill(base(), "CTPI", csv(BILL)));
      expect(answer.series.map((s: any) => [s.month, s.settlement === null ? null : n(s.settlement), s.settlement_status, s.complete, s.used])).toEqual([
        ["2026-01", null, "none", null, false],
        ["2026-02", null, "none", null, false],
        ["2026-03", settled.get("2026-03"), "final", true, true],
        ["2026-04", settled.get("2026-04"), "final", true, true],
        ["2026-05", settled.get("2026-05"), "final", false, true],
        ["2026-06", settled.get("2026-06"), "final", true, true],
        ["2026-07", settled.get("2026-07"), "final", true, true],
        ["2026-08", settled.get("2026-08"), "not_final", true, true],
        ["2026-09", settled.get("2026-09"), "provisional", false, true],
      ]);
      // Means of days at different prices: not round numbers.
      expect(settled.get("2026-03")).not.toMatch(/0000$/);
    });
  });

  describe("the figures are the exact definitions rounded half-even to 6 places", () => {
    it("with tokens: S_t = cost x 1e6 / tokens, hedge_ratio, R², variance reduction and contracts exact; correlation and volatility reduction to 6 places", async () => {
      const r = await postBill(base(), "CTPI", csv(BILL));
      const answer = checkedAnswer(r);
      const want = expected(BILL, settled);
      expect(figures(answer)).toEqual(withoutExtras(want));
      expect(answer.series.map((s: any) => n(s.unit_cost))).toEqual(want.unit_costs);
      expect(answer.cost_unit).toBe("CNY per 1M tokens");
      expect(answer.index).toBe("CTPI");
      // In sample, the variance reduction is R² (section 9), exactly.
      expect(want.exact.vr.eq(want.exact.r2)).toBe(true);
      expect(n(answer.variance_reduction)).toBe(n(answer.r_squared));
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(Object.keys(answer)).toEqual([
        "index", "hedge_ratio", "correlation", "r_squared", "variance_reduction", "volatility_reduction", "effective",
        "contracts_per_month", "months", "warnings", "cost_unit", "series",
      ]);
    });

    it("without a tokens column (or with it left empty on every row): S_t is the monthly cost and there are no contracts per month", async () => {
      const plain = BILL.map((l) => ({ ...l, tokens: null }));
      const answer = checkedAnswer(await postBill(base(), "CTPI", csv(plain, false)));
      const want = expected(plain, settled);
      expect(figures(answer)).toEqual(withoutExtras(want));
      expect(answer.contracts_per_month).toBeNull();
      expect(answer.cost_unit).toBe("CNY per month");
      expect(answer.series.map((s: any) => n(s.unit_cost))).toEqual(plain.map((l) => roundHalfEven(Fraction.parse(l.cost), 6)));
      const emptyColumn = checkedAnswer(await postBill(base(), "CTPI", csv(plain, true)));
      expect(emptyColumn).toEqual(answer);
    });

    it("the same answer whatever the Content-Type, and for CRLF line ends, a BOM and a quoted header", async () => {
      const reference = (await postBill(base(), "CTPI", csv(BILL))).text;
      const crlf = `\uFEFF"month","cost_cny","tokens"\r\n${csv(BILL).split("\n").slice(1).join("\r\n")}`;
      expect((await postBill(base(), "CTPI", crlf, { "Content-Type": "text/plain" })).text).toBe(reference);
      expect((await postBill(base(), "CTPI", csv(BILL), {})).text).toBe(reference);
    });
  });

  describe("warnings: fewer than 12 months, months without a settlement, provisional, not final or incomplete settlements", () => {
    it("names the months, and leaves the months without a settlement out", async () => {
      const answer = checkedAnswer(await postBill(base(), "CTPI", csv(BILL)));
      expect(answer.months).toBe(7);
      expect(answer.warnings).toEqual([
        "only 7 months used: fewer than 12 months make these estimates uncertain",
        "no settlement of CTPI for 2026-01 to 2026-02: left out",
        "provisional settlement (the month's last final fixing is not published yet) for 2026-09: it may still change",
        "settlement not final yet (before its cut-off) for 2026-08: it may still be revised",
        "incomplete settlement (days without a final fixing) for 2026-05",
      ]);
    });
  });

  describe("refusals: 400 naming the line (the header is line 1), 404 for an unknown index, 413 for a huge body", () => {
    const ok = "month,cost_cny,tokens\n2026-03,2000,400000000\n";
    const cases: [string, string | Uint8Array<ArrayBuffer>, string | RegExp][] = [
      ["a month that is not YYYY-MM", `${ok}2026-13,2100,400000000\n`, 'line 3: month "2026-13" is not YYYY-MM'],
      ["a negative cost", "month,cost_cny\n2026-03,-5\n", /^line 2: cost_cny "-5" is not a decimal number above 0 \(/],
      ["a zero cost", "month,cost_cny\n2026-03,0.00\n", /^line 2: cost_cny "0.00" is not a decimal number above 0/],
      ["a cost with an exponent", "month,cost_cny\n2026-03,1e3\n", /^line 2: cost_cny "1e3" is not a decimal number above 0/],
      ["a cost over 10^12", "month,cost_cny\n2026-03,1000000000000.01\n", 'line 2: cost_cny "1000000000000.01" is above 10^12 CNY: not a monthly bill'],
      ["a cost with 11 decimal places", "month,cost_cny\n2026-03,1.12345678901\n", 'line 2: cost_cny "1.12345678901" has more than 10 decimal places'],
      ["zero tokens", "month,cost_cny,tokens\n2026-03,1,0\n", 'line 2: tokens "0" is not a whole number of tokens above 0'],
      ["a fraction of a token", "month,cost_cny,tokens\n2026-03,1,1.5\n", 'line 2: tokens "1.5" is not a whole number of tokens above 0'],
      ["10^18 tokens", "month,cost_cny,tokens\n2026-03,1,1000000000000000000\n", 'line 2: tokens "1000000000000000000" is 10^18 or more: not a monthly token count'],
      ["a missing month", `${ok}2026-04,1,1\n2026-06,1,1\n`, "line 4: month 2026-06 does not follow 2026-04 (line 3): months must be consecutive (2026-05 is missing)"],
      ["a month twice", `${ok}2026-03,1,1\n`, "line 3: month 2026-03 is not after 2026-03 (line 2): one row per month, oldest first"],
      ["months out of order", `${ok}2026-02,1,1\n`, "line 3: month 2026-02 is not after 2026-03 (line 2): one row per month, oldest first"],
      ["tokens on some rows only", `${ok}2026-04,1,\n`, "line 3: tokens is empty, but line 2 gives tokens: give tokens on every row or on none"],
      ["a header without cost_cny", "month,tokens\n2026-03,1\n", 'line 1: header: missing column "cost_cny" (expected month,cost_cny,tokens; tokens optional)'],
      ["an unknown column", "month,cost_cny,price\n2026-03,1,2\n", 'line 1: header: unknown column "price" (expected month,cost_cny,tokens; tokens optional)'],
      ["a short row", `${ok}2026-04,1\n`, "line 3: expected 3 fields, got 2"],
      ["blank lines keep their numbers", "month,cost_cny\n\n2026-03,1\n\n2026-13,1\n", 'line 5: month "2026-13" is not YYYY-MM'],
      ["an unclosed quote", `${ok}"2026-04,1,1\n`, /^line \d+: not valid CSV: /],
      ["an empty body", "", "line 1: missing header: expected month,cost_cny,tokens (tokens optional) and one row per month"],
      ["a header alone", "month,cost_cny,tokens\n", "the bill has a header but no months"],
      ["bytes that are not UTF-8", new Uint8Array([0x6d, 0x6f, 0xff, 0xfe, 0x0a]), "the bill is not UTF-8 text"],
      ["241 months", `month,cost_cny\n${Array.from({ length: 241 }, (_, i) => `${2000 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")},1`).join("\n")}\n`, "line 242: more than 240 months in one bill"],
    ];
    for (const [what, body, message] of cases) {
      it(`400 bad_input: ${what}`, async () => {
        const r = await postBill(base(), "CTPI", body);
        expect(r.status).toBe(400);
        expect(r.json.error.code).toBe("bad_input");
        if (typeof message === "string") expect(r.json.error.message).toBe(message);
        else expect(r.json.error.message).toMatch(message);
      });
    }

    it("400: fewer than 4 consecutive months with a settlement, saying how many there are", async () => {
      const three = await postBill(base(), "CTPI", csv(BILL.slice(0, 5)));
      expect(three.status).toBe(400);
      expect(three.json.error).toEqual({
        code: "bad_input",
        message: "at least 4 consecutive months with a settlement of CTPI are needed; the bill has 3 at most (2026-03 to 2026-05)",
      });
      const none = await postBill(base(), "CTPI", "month,cost_cny\n2025-01,1\n2025-02,2\n2025-03,1\n2025-04,3\n2025-05,2\n");
      expect(none.status).toBe(400);
      expect(none.json.error.message).toBe(
        "at least 4 consecutive months with a settlement of CTPI are needed; none of the bill's months (2025-01 to 2025-05) has one",
      );
    });

    it("400: a cost that never changed over the months used (var(dS) = 0) has nothing to hedge", async () => {
      const flat = BILL.map((l) => ({ ...l, cost: "100", tokens: null }));
      const r = await postBill(base(), "CTPI", csv(flat, false));
      expect(r.status).toBe(400);
      expect(r.json.error).toEqual({ code: "bad_input", message: "your monthly cost did not change over the months used (var(dS) = 0): there is nothing to hedge" });
    });

    it("404 unknown_index for an index that does not exist; 400 without ?index or with a malformed one", async () => {
      const unknown = await postBill(base(), "NOPE", csv(BILL));
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toEqual({ code: "unknown_index", message: "unknown index: NOPE" });
      for (const index of [null, "", "a b", "x".repeat(65)]) {
        const r = await postBill(base(), index, csv(BILL));
        expect({ index, status: r.status, code: r.json.error.code }).toEqual({ index, status: 400, code: "bad_request" });
      }
    });

    it("413 payload_too_large for a body over 1 MB, nothing read past the limit", async () => {
      const huge = `month,cost_cny\n${"2026-03,1\n".repeat(110_000)}`;
      const r = await postBill(base(), "CTPI", huge);
      expect(r.status).toBe(413);
      expect(r.json.error).toEqual({ code: "payload_too_large", message: "the body is over 1 MB (1048576 bytes): not a monthly bill" });
      expect(r.headers.get("connection")).toBe("close");
    });
  });

  describe("CORS: any site may call it, like the public GET routes", () => {
    it("answers carry Access-Control-Allow-Origin: *; a preflight for POST with Content-Type text/csv is allowed", async () => {
      const answer = await postBill(base(), "CTPI", csv(BILL), { "Content-Type": "text/csv", Origin: "https://example.org" });
      expect(answer.headers.get("access-control-allow-origin")).toBe("*");
      const refused = await postBill(base(), "CTPI", "nonsense", { "Content-Type": "text/csv", Origin: "https://example.org" });
      expect(refused.headers.get("access-control-allow-origin")).toBe("*");
      const preflight = await fetch(`${base()}/v1/hedge?index=CTPI`, {
        method: "OPTIONS",
        headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect(preflight.headers.get("access-control-allow-methods")?.split(",")).toContain("POST");
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
      // Other routes still allow reads only.
      const other = await fetch(`${base()}/v1/indices`, { method: "OPTIONS", headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST" } });
      expect(other.headers.get("access-control-allow-methods")?.split(",")).not.toContain("POST");
    });
  });
});

// Settlements from one final fixing per month (each month's last day): cheap, and enough
// for the rules on which months are used.
const SPARSE: MonthPrices[] = [
  { month: "2025-11", price: "3.7" },
  { month: "2026-01", price: "4.1" },
  { month: "2026-02", price: "4.25" },
  { month: "2026-03", price: "4.05" },
  { month: "2026-04", price: "4.4" },
  { month: "2026-06", price: "4.6" },
  { month: "2026-07", price: "4.6" },
  { month: "2026-08", price: "4.6" },
  { month: "2026-09", price: "4.6" },
];

describeEachEngine("POST /v1/hedge: months without a settlement split the series into runs", (ctx) => {
  let server: TestServer | undefined;
  const base = () => server!.url;
  const settled = new Map<string, string>();

  beforeAll(async () => {
    await seedMonthEndSettlements(ctx.db, SPARSE);
    server = await serveForTest(ctx.database);
    for (const { month } of SPARSE) settled.set(month, n((await get(`${base()}/v1/indices/CTPI/settlement?month=${month}`)).json.value));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("changes are taken only between consecutive months that both have a settlement; an isolated settled month is left out too", async () => {
    const bill: BillLine[] = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"].map(
      (month, i) => ({ month, cost: String(1000 + ((i * 37) % 11) * 13 + i * 7), tokens: String(200_000_000 + i * 3_000_001) }),
    );
    const answer = checkedAnswer(await postBill(base(), "CTPI", csv(bill)));
    expect(figures(answer)).toEqual(withoutExtras(expected(bill, settled)));
    expect(answer.months).toBe(8);
    expect(answer.series.filter((s: any) => s.used).map((s: any) => s.month)).toEqual([
      "2026-01", "2026-02", "2026-03", "2026-04", "2026-06", "2026-07", "2026-08", "2026-09",
    ]);
    expect(answer.warnings).toEqual([
      "only 8 months used: fewer than 12 months make these estimates uncertain",
      "no settlement of CTPI for 2025-12, 2026-05: left out",
      "2025-11: settled, but no neighbouring bill month is, so no monthly change: left out",
      "incomplete settlement (days without a final fixing) for 2026-01 to 2026-04, 2026-06 to 2026-09",
    ]);
  });

  it("400 when the settlement never changed over the months used (var(dF) = 0): no hedge ratio", async () => {
    const r = await postBill(base(), "CTPI", "month,cost_cny\n2026-06,1\n2026-07,2\n2026-08,1.5\n2026-09,3\n");
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      code: "bad_input",
      message: "the settlement of CTPI did not change over the months used (var(dF) = 0): no hedge ratio can be estimated",
    });
  });
});

describeEachEngine("roundSqrtRatio: sqrt(num / den) rounded half-even to 6 places, exactly", (ctx) => {
  const root = async (num: string, den: string) =>
    (await rows<{ v: string | null }>(ctx.db, sql`SELECT ${roundSqrtRatio(sql`${num}::numeric`, sql`nullif(${den}::numeric, 0)`, 6)}::text AS v`))[0]!.v;

  it("at ties, to the even neighbour: sqrt(x) exactly half-way between two 6-place numbers", async () => {
    // (2k + 1)² / (4 x 10^12) is the square of k + 0.5 millionths.
    for (const [k, want] of [[0n, "0.000000"], [1n, "0.000002"], [2n, "0.000002"], [999_999n, "1.000000"], [123_456n, "0.123456"], [123_457n, "0.123458"]] as const) {
      expect(await root(String((2n * k + 1n) ** 2n), "4000000000000"), String(k)).toBe(want);
    }
  });

  it("perfect squares, huge radicands, a zero denominator", async () => {
    expect(await root("1", "4")).toBe("0.500000");
    expect(await root("0", "7")).toBe("0.000000");
    expect(await root("1", "1")).toBe("1.000000");
    expect(await root("9", "4")).toBe("1.500000");
    expect(await root("1", "0")).toBeNull();
    const big = "123456789012345678901234567890123456789";
    expect(await root(big, "7")).toBe(new D(big).div(7).sqrt().toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN).toFixed(6));
  });

  it("agrees with decimal.js at 60 digits on many ratios", async () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let i = 0; i < 200; i++) {
      const num = String(next());
      const den = String(next() + 1);
      expect(await root(num, den), `${num}/${den}`).toBe(new D(num).div(den).sqrt().toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN).toFixed(6));
    }
  });
});
