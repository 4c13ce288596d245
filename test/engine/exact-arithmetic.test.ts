/**
 * Methodology 1.1, exact arithmetic: every quantity of a fixing is an exact rational until
 * publication, and each published number is rounded once, half-even, from its exact value
 * (value, level, percentiles and prices to 6 places, weights to 8); percentiles compare
 * cumulative weights with q exactly; the level chains from the previous *published* level.
 *
 * The expected numbers come from places that share nothing with src/: hand computation
 * (written literally below, each with its arithmetic), and the BigInt reference in
 * test/support/exact-reference.ts, which must give the hand numbers, and must agree with the
 * decimal.js reference (test/support/reference.ts) on every number that is not exactly
 * half-way, before it is trusted on random baskets. The engine is read the way users read
 * it: the JSON of GET /v1/indices/{code}/fixings/{fixing_time}, numbers kept as text
 * (lossless-json). A scenario's numbers do not depend on its dates or names, so scenarios
 * share a database (see Lab) instead of paying seconds for a fresh PGlite each.
 *
 * EXACT_ARITHMETIC_RUNS=200 runs more random baskets.
 */
import fc from "fast-check";
import { parse } from "lossless-json";
import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { Database, Db } from "../../src/db/index.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { createApp } from "../../src/publish/app.ts";
import { describeEachEngine } from "../support/engines.ts";
import {
  EXACT_CTPI_FAMILY,
  exactChain,
  frac,
  Fraction,
  isHalfWay,
  roundHalfEven,
  type ExactPublished,
  type ExactSheet,
  type ExactUsage,
} from "../support/exact-reference.ts";
import {
  asPrevious,
  computeFixing as decimalFixing,
  CTPI_FAMILY,
  type RefFixing,
  type RefPrevFixing,
  type RefSheet,
  type RefUsage,
} from "../support/reference.ts";
import { addSheet, addUsage } from "../support/seed.ts";
import { testSigner } from "../support/serve.ts";

type IndexCode = keyof typeof EXACT_CTPI_FAMILY;

// Final fixing times (16:00 Asia/Shanghai) of a scenario's consecutive days, as written; a Lab
// moves them to days of the scenario's own, all in the past.
const TIMES = ["2026-12-01T08:00:00Z", "2026-12-02T08:00:00Z", "2026-12-03T08:00:00Z", "2026-12-04T08:00:00Z"] as const;
const DAY_MS = 86_400_000;
/** A day's sheets are in force from 00:00 UTC that day, 8 hours before its fixing. */
const sheetAsOf = (t: string) => new Date(Date.parse(t) - 8 * 3_600_000).toISOString().replace(".000Z", "Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

// --- Scenarios: what a day brings ---------------------------------------------------------

/** One listed model on a day's sheet; `price` sets input = output (so blended = price). */
type Listing = { provider: string; model: string; price?: string; input?: string; cached?: string; output?: string };
/** One day of usage ending at the day's fixing time: [provider, model, V_in, V_c, V_out]. */
type Use = [string, string, bigint | number, bigint | number, bigint | number];
/** A day: the sheets issued that day (one per provider listed), and its usage. */
type Day = { listings?: Listing[]; usage: Use[] };
type Scenario = { sheets: ExactSheet[]; usage: ExactUsage[]; times: string[] };

function scenario(days: Day[]): Scenario {
  const sheets: ExactSheet[] = [];
  const usage: ExactUsage[] = [];
  days.forEach((d, i) => {
    const t = TIMES[i]!;
    const byProvider = new Map<string, ExactSheet>();
    for (const l of d.listings ?? []) {
      const sheet = byProvider.get(l.provider) ?? { provider: l.provider, country: "CN", as_of: sheetAsOf(t), currency: "CNY", unit: "per_1m_tokens", models: [] };
      sheet.models.push({ model: l.model, input: l.input ?? l.price!, cached_input: l.cached ?? null, output: l.output ?? l.price! });
      byProvider.set(l.provider, sheet);
    }
    sheets.push(...byProvider.values());
    for (const [provider, model, vIn, vC, vOut] of d.usage) {
      usage.push({ provider, model, period_end: t, input: BigInt(vIn), cached_input: BigInt(vC), output: BigInt(vOut) });
    }
  });
  return { sheets, usage, times: TIMES.slice(0, days.length) };
}

/** Listings at one price each (input = output = price, so every index price is that price)
 * with a volume each: V_in = V_out = vol x 1e6, no cached tokens, so the weights go as vol
 * under every index (CTPI, CTPI-IN and CTPI-OUT alike). */
function priced(rows: [provider: string, model: string, price: string, vol: bigint | number][]): Day {
  return {
    listings: rows.map(([provider, model, price]) => ({ provider, model, price })),
    usage: rows.map(([provider, model, , vol]) => [provider, model, BigInt(vol) * 1_000_000n, 0n, BigInt(vol) * 1_000_000n]),
  };
}

// --- Reading what the engine published -------------------------------------------------------

/** A published decimal written with `places` decimals: shorter ones are padded with zeros,
 * never rounded (a longer text is left as it is, so it shows up as a difference). */
function fixed(text: string | null, places: number): string | null {
  if (text === null) return null;
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return text;
  const decimals = m[2] ?? "";
  return decimals.length > places ? text : `${m[1]}.${decimals.padEnd(places, "0")}`;
}

const numText = (x: unknown): string | null => (x === null || x === undefined ? null : String(x));

type Served = ExactPublished & { methodology_version: string };

function appOver(db: Db) {
  return createApp({ db, signer: testSigner, events: { subscribe: () => () => {}, close: async () => {} }, log: () => {} });
}

/** GET /v1/indices/{index}/fixings/{at} as a user reads it: JSON numbers as their exact text.
 * `prefix` is taken off the provider names (see Lab). */
async function served(db: Db, index: string, at: string, prefix: string): Promise<Served> {
  const res = await appOver(db).request(`/v1/indices/${index}/fixings/${at}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${index} ${at}: ${res.status} ${text}`);
  const json = parse(text) as any; // every number a LosslessNumber, its text kept
  const provider = (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : `(not this run's) ${p}`);
  return {
    methodology_version: json.methodology_version,
    status: json.status,
    value: fixed(numText(json.value), 6),
    level: fixed(numText(json.level), 6),
    p25: fixed(numText(json.percentiles?.p25), 6),
    p50: fixed(numText(json.percentiles?.p50), 6),
    p75: fixed(numText(json.percentiles?.p75), 6),
    constituents: Object.fromEntries(
      (json.constituents as any[]).map((c) => [
        `${provider(c.provider)}/${c.model}`,
        {
          provider: provider(c.provider),
          model: c.model,
          weight: fixed(numText(c.weight), 8)!,
          price: fixed(numText(c.price), 6)!,
          input_price: fixed(numText(c.input_price), 6)!,
          output_price: fixed(numText(c.output_price), 6)!,
          capped: c.capped,
        },
      ]),
    ),
  };
}

/**
 * Runs scenarios on one database, each as if on a fresh one (a fresh PGlite costs seconds,
 * the fixings of a scenario a fraction of that). Scenario k gets:
 * - its own index, `<code>.<k>`, a copy of the index's definition rows (definitions are data),
 *   so its level chain starts at the base level and nothing else chains into or from it;
 * - its own providers, `r<k>-<name>` (the same prefix keeps the (provider, model) order), so
 *   no other scenario's sheets are its provider's previous sheets (held prices) or in force;
 * - its own days, 10 days before scenario k-1's: the usage of others is outside its window
 *   (T - 7 days, T], and the sheets of scenarios run before it are later than all its T.
 * A fresh database is opened when the slots run out (they go back from 2026-11-21 by 10 days).
 */
class Lab {
  private db: Db | null = null;
  private slot = 0;
  static readonly SLOTS = 150;
  static readonly FIRST_SLOT = Date.parse("2026-11-21T08:00:00Z");

  constructor(private readonly ctx: { readonly db: Db; fresh(): Promise<Database> }) {}

  async run(index: IndexCode, s: Scenario): Promise<Served[]> {
    if (this.db === null) this.db = this.ctx.db;
    if (this.slot >= Lab.SLOTS) {
      this.db = (await this.ctx.fresh()).db;
      this.slot = 0;
    }
    const k = this.slot++;
    const db = this.db;
    const code = `${index}.${k}`;
    const prefix = `r${k}-`;
    const shift = Lab.FIRST_SLOT - k * 10 * DAY_MS - Date.parse(TIMES[0]);
    const shifted = (t: string) => iso(Date.parse(t) + shift);
    await db.execute(sql`INSERT INTO index_definitions
      SELECT (jsonb_populate_record(d, jsonb_build_object('code', ${code}::text))).* FROM index_definitions d WHERE d.code = ${index}`);
    for (const sheet of s.sheets) {
      await addSheet(db, {
        provider: prefix + sheet.provider,
        country: sheet.country ?? "CN",
        as_of: shifted(sheet.as_of),
        currency: "CNY",
        unit: sheet.unit ?? "per_1m_tokens",
        models: sheet.models.map((m) => ({ model: m.model, input: m.input ?? null, cached_input: m.cached_input ?? null, output: m.output ?? null })),
      });
    }
    for (const u of s.usage) {
      const end = shifted(u.period_end);
      await addUsage(db, {
        provider: prefix + u.provider,
        model: u.model,
        start: iso(Date.parse(end) - DAY_MS),
        end,
        input: u.input.toString(),
        cached: u.cached_input.toString(),
        output: u.output.toString(),
      });
    }
    const out: Served[] = [];
    for (const t of s.times) {
      const at = shifted(t);
      await computeFixing(db, { index: code, at, kind: "final" });
      out.push(await served(db, code, at, prefix));
    }
    return out;
  }
}

const withoutVersion = ({ methodology_version: _v, ...rest }: Served): ExactPublished => rest;

// --- Compact expectations, written by hand -------------------------------------------------

type Expect = {
  value: string;
  level: string;
  /** p25, p50, p75 */
  p: [string, string, string];
  /** weight per "provider/model", 8 places */
  w: Record<string, string>;
  /** the index price per "provider/model", 6 places */
  price?: Record<string, string>;
  in?: Record<string, string>;
  out?: Record<string, string>;
  /** the constituents marked capped */
  capped: string[];
};

function compact(p: ExactPublished, shape: Expect): Expect {
  const cs = Object.entries(p.constituents);
  const pick = (f: (c: ExactPublished["constituents"][string]) => string) => Object.fromEntries(cs.map(([k, c]) => [k, f(c)]));
  const out: Expect = {
    value: p.value!,
    level: p.level!,
    p: [p.p25!, p.p50!, p.p75!],
    w: pick((c) => c.weight),
    capped: cs.filter(([, c]) => c.capped).map(([k]) => k).sort(),
  };
  if (shape.price) out.price = pick((c) => c.price);
  if (shape.in) out.in = pick((c) => c.input_price);
  if (shape.out) out.out = pick((c) => c.output_price);
  return out;
}

type HandCase = { name: string; index?: IndexCode; days: Day[]; expected: Expect[] };

/**
 * Each hand case twice: the reference must give the hand-computed numbers (no database), and
 * the engine must publish the same numbers, and exactly what the reference publishes (which
 * adds input and output prices).
 */
function handCases(lab: Lab, cases: HandCase[]) {
  for (const c of cases) {
    const index = c.index ?? "CTPI";
    const s = scenario(c.days);
    it(`reference: ${c.name}`, () => {
      const ref = exactChain({ ...s, definition: EXACT_CTPI_FAMILY[index] });
      expect(ref.map((f, i) => compact(f.published, c.expected[i]!))).toEqual(c.expected);
    });
    it(`engine: ${c.name}`, async () => {
      const ref = exactChain({ ...s, definition: EXACT_CTPI_FAMILY[index] });
      const got = await lab.run(index, s);
      expect(got.map((g, i) => compact(g, c.expected[i]!))).toEqual(c.expected);
      expect(got.map(withoutVersion)).toEqual(ref.map((f) => f.published));
    });
  }
}

// --- The Fraction type itself ------------------------------------------------------------------

describe("exact reference: Fraction and half-even rounding", () => {
  it("normalises by the gcd and keeps the sign on the numerator", () => {
    expect(frac(6n, -4n).toString()).toBe("-3/2");
    expect(Fraction.parse("0.250").toString()).toBe("1/4");
    expect(frac(1n, 3n).add(frac(1n, 6n)).toString()).toBe("1/2");
    expect(frac(2n, 3n).mul(frac(9n, 4n)).div(frac(3n, 2n)).toString()).toBe("1");
    expect(frac(1n, 3n).sub(frac(1n, 2n)).toString()).toBe("-1/6");
    expect(frac(1n, 3n).cmp(Fraction.parse("0.3333333333333333333333333333333333333333"))).toBe(1);
    expect(frac(3n, 12n).cmp(frac(1n, 4n))).toBe(0);
  });

  it("rounds half-even once, with exactly the places asked for", () => {
    expect(roundHalfEven(Fraction.parse("2.0000005"), 6)).toBe("2.000000");
    expect(roundHalfEven(Fraction.parse("2.0000015"), 6)).toBe("2.000002");
    expect(roundHalfEven(Fraction.parse("2.00000050000000000000000001"), 6)).toBe("2.000001");
    expect(roundHalfEven(Fraction.parse("0.123456785"), 8)).toBe("0.12345678");
    expect(roundHalfEven(Fraction.parse("0.126543215"), 8)).toBe("0.12654322");
    expect(roundHalfEven(frac(1n, 12n), 8)).toBe("0.08333333");
    expect(roundHalfEven(frac(2n, 3n), 6)).toBe("0.666667");
    expect(roundHalfEven(frac(1000n), 6)).toBe("1000.000000");
    expect(roundHalfEven(frac(-5n, 2n), 0)).toBe("-2");
    expect(roundHalfEven(frac(-1n, 10_000_000n), 6)).toBe("0.000000");
    expect(roundHalfEven(Fraction.parse("0.0000005"), 6)).toBe("0.000000");
    expect(roundHalfEven(Fraction.parse("0.0000015"), 6)).toBe("0.000002");
  });
});

// --- Hand-made cases, one describe per rule ----------------------------------------------------

const W8 = "0.25000000";

const weightsAndCapping = (lab: Lab) =>
  describe("1.1 weights and capping: exact, each weight rounded once to 8 places", () => {
  handCases(lab, [
    {
      // Volumes sum to 1e9, so the raw weights have 9 decimals; none is above 0.25 (0.25 is not).
      // 0.123456785 -> 0.12345678 (8 even, stays); 0.126543215 -> 0.12654322 (1 odd, goes up).
      // value = 0.123456785 x 1 + 0.25 x (2 + 3 + 4) + 0.126543215 x 5 = 3.00617286
      // cumulative by price: 0.123456785, 0.373456785 (p25 = 2), 0.623456785 (p50 = 3), 0.873456785 (p75 = 4)
      name: "half-way weights at the 9th decimal go to the even 8th digit, down and up",
      days: [priced([["pa", "m1", "1", 123_456_785], ["pa", "m2", "2", 250_000_000], ["pb", "m3", "3", 250_000_000], ["pc", "m4", "4", 250_000_000], ["pc", "m5", "5", 126_543_215]])],
      expected: [
        {
          value: "3.006173",
          level: "1000.000000",
          p: ["2.000000", "3.000000", "4.000000"],
          w: { "pa/m1": "0.12345678", "pa/m2": W8, "pb/m3": W8, "pc/m4": W8, "pc/m5": "0.12654322" },
          capped: [],
        },
      ],
    },
    {
      // pa/big: 1e9 of 1.75e9 is over the cap; the other four share 0.75 over 7.5e8, i.e. V / 1e9:
      // 0.123456785 -> 0.12345678, 0.126543215 -> 0.12654322, and two at exactly 0.25 (not capped).
      // The raw weights (V / 1.75e9) do not terminate: only exact arithmetic finds the half-way.
      // value = 0.25 x 1 + 0.123456785 x 2 + 0.126543215 x 3 + 0.25 x 4 + 0.25 x 5 = 3.126543215
      // cumulative: 0.25 (= 1/4: p25 = 1), 0.373456785, 0.5 (= 1/2: p50 = 3), 0.75 (= 3/4: p75 = 4), 1
      name: "half-way weights after capping, every quartile exactly on a cumulative weight",
      days: [priced([["pa", "big", "1", 1_000_000_000], ["pa", "m1", "2", 123_456_785], ["pb", "m2", "3", 126_543_215], ["pb", "m3", "4", 250_000_000], ["pc", "m4", "5", 250_000_000]])],
      expected: [
        {
          value: "3.126543",
          level: "1000.000000",
          p: ["1.000000", "3.000000", "4.000000"],
          w: { "pa/big": W8, "pa/m1": "0.12345678", "pb/m2": "0.12654322", "pb/m3": W8, "pc/m4": W8 },
          capped: ["pa/big"],
        },
      ],
    },
    {
      // V = 40, 24, 12, 10, 8, 6 (sum 100). Pass 1: a1 0.4 > c, capped. Pass 2: 0.75 over 60, a2
      // 0.75 x 24/60 = 0.3 > c (its raw 0.24 was under), capped. Pass 3: 0.5 over 36: b1 1/6,
      // b2 5/36, c1 1/9, c2 1/12; none over.
      // value = 0.25 x 6 + 0.25 x 5 + (12 x 4 + 10 x 3 + 8 x 2 + 6 x 1) / 72 = 2.75 + 100/72 = 4.13888...
      // cumulative: c2 1/12, c1 7/36, b2 12/36 (p25 = 3), b1 18/36 = 1/2 (p50 = 4), a2 3/4 (p75 = 5)
      name: "capping makes a second constituent go over the cap",
      days: [priced([["pa", "a1", "6", 40], ["pa", "a2", "5", 24], ["pb", "b1", "4", 12], ["pb", "b2", "3", 10], ["pc", "c1", "2", 8], ["pc", "c2", "1", 6]])],
      expected: [
        {
          value: "4.138889",
          level: "1000.000000",
          p: ["3.000000", "4.000000", "5.000000"],
          w: { "pa/a1": W8, "pa/a2": W8, "pb/b1": "0.16666667", "pb/b2": "0.13888889", "pc/c1": "0.11111111", "pc/c2": "0.08333333" },
          capped: ["pa/a1", "pa/a2"],
        },
      ],
    },
    {
      // V = 40, 24, 19, 10, 4, 4 (sum 101). a1 40/101 capped; then 0.75 x 24/61 = 0.295: a2 capped;
      // then 0.5 x 19/37 = 0.257: b1 capped; then 0.25 over 18: b2 5/36, c1 = c2 = 1/18.
      // value = 0.25 x (2 + 4 + 6) + (10 x 1 + 4 x 3 + 4 x 5) / 72 = 3 + 42/72 = 3.58333...
      // cumulative: b2 5/36, a1 14/36 (p25 = 2), c1 16/36, a2 25/36 (p50 = 4), c2 27/36 = 3/4 (p75 = 5)
      name: "three passes: each cap pushes the next constituent over",
      days: [priced([["pa", "a1", "2", 40], ["pa", "a2", "4", 24], ["pb", "b1", "6", 19], ["pb", "b2", "1", 10], ["pc", "c1", "3", 4], ["pc", "c2", "5", 4]])],
      expected: [
        {
          value: "3.583333",
          level: "1000.000000",
          p: ["2.000000", "4.000000", "5.000000"],
          w: { "pa/a1": W8, "pa/a2": W8, "pb/b1": W8, "pb/b2": "0.13888889", "pc/c1": "0.05555556", "pc/c2": "0.05555556" },
          capped: ["pa/a1", "pa/a2", "pb/b1"],
        },
      ],
    },
    {
      // V = 41, 20, 20, 10, 10 (sum 101, raw weights do not terminate). a1 capped; then 0.75 over
      // 60: a2 and b1 get exactly 0.25 = c, not over it, so not capped; c1 = c2 = 0.125.
      // value = 0.25 x (1 + 2 + 3) + 0.125 x (4 + 5) = 2.625
      // cumulative: 1/4 (p25 = 1), 1/2 (p50 = 2), 3/4 (p75 = 3)
      name: "a weight that reaches exactly the cap after redistribution is not capped",
      days: [priced([["pa", "a1", "1", 41], ["pa", "a2", "2", 20], ["pb", "b1", "3", 20], ["pc", "c1", "4", 10], ["pc", "c2", "5", 10]])],
      expected: [
        {
          value: "2.625000",
          level: "1000.000000",
          p: ["1.000000", "2.000000", "3.000000"],
          w: { "pa/a1": W8, "pa/a2": W8, "pb/b1": W8, "pc/c1": "0.12500000", "pc/c2": "0.12500000" },
          capped: ["pa/a1"],
        },
      ],
    },
    {
      // V = 7, 6, 4, 2, 2 (sum 21; found by the property below against the 1.0 engine, which
      // compared rounded quotients). Pass 1: 7/21 and 6/21 are over 1/4, both capped; then 0.5
      // over 8: c1 gets 0.5 x 4/8 = 0.25 exactly (not capped), a2 = c2 = 0.125.
      // value = 0.25 x (1 + 2 + 3) + 0.125 x (4 + 5) = 2.625; cumulative 1/4, 1/2, 3/4 (p = 1, 2, 3)
      name: "two capped at once, then a third exactly at the cap (raw weights in 21sts)",
      days: [priced([["pa", "a1", "1", 7], ["pb", "b1", "2", 6], ["pc", "c1", "3", 4], ["pa", "a2", "4", 2], ["pc", "c2", "5", 2]])],
      expected: [
        {
          value: "2.625000",
          level: "1000.000000",
          p: ["1.000000", "2.000000", "3.000000"],
          w: { "pa/a1": W8, "pa/a2": "0.12500000", "pb/b1": W8, "pc/c1": W8, "pc/c2": "0.12500000" },
          capped: ["pa/a1", "pb/b1"],
        },
      ],
    },
  ]);
});

const valueAndPrices = (lab: Lab) =>
  describe("1.1 value and prices: rounded once, half-even, from the exact value", () => {
  const w9 = { "pa/m1": "0.11111111", "pa/m2": "0.22222222", "pb/m3": "0.22222222", "pb/m4": "0.22222222", "pc/m5": "0.22222222" };
  const w5 = { "pa/m1": "0.20000000", "pa/m2": "0.20000000", "pb/m3": "0.20000000", "pb/m4": "0.20000000", "pc/m5": "0.20000000" };
  const twos = (m1: string) => priced([["pa", "m1", m1, 1], ["pa", "m2", "2", 2], ["pb", "m3", "2", 2], ["pb", "m4", "2", 2], ["pc", "m5", "2", 2]]);
  const ones = (m5: string) => priced([["pa", "m1", "1", 1], ["pa", "m2", "1", 1], ["pb", "m3", "1", 1], ["pb", "m4", "1", 1], ["pc", "m5", m5, 1]]);
  const all = (p: string) => ({ "pa/m1": p, "pa/m2": p, "pb/m3": p, "pb/m4": p });
  handCases(lab, [
    {
      // V = 1, 2, 2, 2, 2 (sum 9, weights 1/9 and 2/9: no finite decimal). value =
      // (2.0000135 + 2 x 8) / 9 = 18.0000135 / 9 = 2.0000015 exactly: 6th digit 1 is odd -> 2.000002.
      // m1's own price 2.0000135 is half-way too: 3 is odd -> 2.000014.
      name: "value exactly x.xxxxxx5 with an odd 6th digit goes up (weights 1/9, 2/9)",
      days: [twos("2.0000135")],
      expected: [{ value: "2.000002", level: "1000.000000", p: ["2.000000", "2.000000", "2.000000"], w: w9, price: { ...all("2.000000"), "pa/m1": "2.000014", "pc/m5": "2.000000" }, capped: [] }],
    },
    {
      // value = (2.0000045 + 16) / 9 = 2.0000005 exactly: 6th digit 0 is even -> 2.000000;
      // m1's price 2.0000045: 4 is even -> 2.000004.
      name: "value exactly x.xxxxxx5 with an even 6th digit stays (weights 1/9, 2/9)",
      days: [twos("2.0000045")],
      expected: [{ value: "2.000000", level: "1000.000000", p: ["2.000000", "2.000000", "2.000000"], w: w9, price: { ...all("2.000000"), "pa/m1": "2.000004", "pc/m5": "2.000000" }, capped: [] }],
    },
    {
      // Five equal weights 0.2: value = 0.2 x (4 + 1.0000025) = 1.0000005 -> 1.000000 (even);
      // m5's price 1.0000025 -> 1.000002 (even).
      name: "value half-way with weights 0.2, even 6th digit",
      days: [ones("1.0000025")],
      expected: [{ value: "1.000000", level: "1000.000000", p: ["1.000000", "1.000000", "1.000000"], w: w5, price: { ...all("1.000000"), "pc/m5": "1.000002" }, capped: [] }],
    },
    {
      // value = 0.2 x (4 + 1.0000075) = 1.0000015 -> 1.000002 (odd goes up); m5 1.0000075 -> 1.000008.
      name: "value half-way with weights 0.2, odd 6th digit",
      days: [ones("1.0000075")],
      expected: [{ value: "1.000002", level: "1000.000000", p: ["1.000000", "1.000000", "1.000000"], w: w5, price: { ...all("1.000000"), "pc/m5": "1.000008" }, capped: [] }],
    },
    {
      // x and y: input 1, cached 0.5, V_in 3, V_c 1, V_out 2 (x 1e9). p_in = (2 x 1 + 1 x 0.5)/3 = 0.8333...
      // (no finite decimal) but p_in x V_in = 2.5, so blended = (2.5 + 2 x output) / 5:
      //   x: output 1.25000375 -> (2.5 + 2.5000075)/5 = 1.0000015 -> 1.000002 (odd, up); output 1.250004
      //   y: output 1.25000125 -> 1.0000005 -> 1.000000 (even, stays); output 1.250001
      // z, u, v at 2, 3, 4; every V = 5e9, so weights 0.2.
      // value = 0.2 x (1.0000015 + 1.0000005 + 9) = 2.2000004; cumulative y 0.2, x 0.4 (p25 = x) ...
      name: "blended prices exactly half-way, from a p_in with no finite decimal",
      days: [
        {
          listings: [
            { provider: "pa", model: "x", input: "1", cached: "0.5", output: "1.25000375" },
            { provider: "pa", model: "y", input: "1", cached: "0.5", output: "1.25000125" },
            { provider: "pb", model: "z", price: "2" },
            { provider: "pc", model: "u", price: "3" },
            { provider: "pc", model: "v", price: "4" },
          ],
          usage: [
            ["pa", "x", 3_000_000_000n, 1_000_000_000n, 2_000_000_000n],
            ["pa", "y", 3_000_000_000n, 1_000_000_000n, 2_000_000_000n],
            ["pb", "z", 3_000_000_000n, 0n, 2_000_000_000n],
            ["pc", "u", 3_000_000_000n, 0n, 2_000_000_000n],
            ["pc", "v", 3_000_000_000n, 0n, 2_000_000_000n],
          ],
        },
      ],
      expected: [
        {
          value: "2.200000",
          level: "1000.000000",
          p: ["1.000002", "2.000000", "3.000000"],
          w: { "pa/x": "0.20000000", "pa/y": "0.20000000", "pb/z": "0.20000000", "pc/u": "0.20000000", "pc/v": "0.20000000" },
          price: { "pa/x": "1.000002", "pa/y": "1.000000", "pb/z": "2.000000", "pc/u": "3.000000", "pc/v": "4.000000" },
          in: { "pa/x": "0.833333", "pa/y": "0.833333", "pb/z": "2.000000", "pc/u": "3.000000", "pc/v": "4.000000" },
          out: { "pa/x": "1.250004", "pa/y": "1.250001", "pb/z": "2.000000", "pc/u": "3.000000", "pc/v": "4.000000" },
          capped: [],
        },
      ],
    },
  ]);
});

const percentiles = (lab: Lab) =>
  describe("1.1 percentiles: cumulative weights compared with q exactly", () => {
  const ticks = { "pa/m1": "0.08333333", "pa/m2": "0.08333333", "pb/m3": "0.08333333", "pb/m4": W8, "pc/m5": W8, "pc/m6": W8 };
  const oneOneOneThreeThreeThree = priced([["pa", "m1", "1", 1], ["pa", "m2", "2", 1], ["pb", "m3", "3", 1], ["pb", "m4", "4", 3], ["pc", "m5", "5", 3], ["pc", "m6", "6", 3]]);
  handCases(lab, (["CTPI", "CTPI-IN", "CTPI-OUT"] as const).map((index) => ({
    // Weights 1/12, 1/12, 1/12, 1/4, 1/4, 1/4 (1/4 is not over the cap). Cumulative: 1/12, 2/12,
    // 3/12 = 1/4 (p25 = 3), 6/12 = 1/2 (p50 = 4), 9/12 = 3/4 (p75 = 5). value = (1+2+3 + 3 x 15)/12 = 4.25
    name: `${index}: volumes 1,1,1,3,3,3 at prices 1..6 give p25 = 3, p50 = 4, p75 = 5`,
    index,
    days: [oneOneOneThreeThreeThree],
    expected: [{ value: "4.250000", level: "1000.000000", p: ["3.000000", "4.000000", "5.000000"] as [string, string, string], w: ticks, capped: [] }],
  })));
  handCases(lab, [
    {
      // pa/x: 10 of 19 is capped; the others share 0.75 over 9, i.e. V/12: 1/12, 2/12, 1/12, 2/12,
      // 3/12 (q5 exactly at the cap). Cumulative: q1 1/12, q2 3/12 (p25 = 2), q3 4/12, q4 6/12
      // (p50 = 4), q5 9/12 (p75 = 5), x 1. value = 0.25 x 10 + (1 + 4 + 3 + 8 + 15)/12 = 5.08333...
      name: "ties with capped weights: the uncapped share lands exactly on 1/4, 1/2, 3/4",
      days: [priced([["pa", "x", "10", 10], ["pa", "q1", "1", 1], ["pb", "q2", "2", 2], ["pb", "q3", "3", 1], ["pc", "q4", "4", 2], ["pc", "q5", "5", 3]])],
      expected: [
        {
          value: "5.083333",
          level: "1000.000000",
          p: ["2.000000", "4.000000", "5.000000"],
          w: { "pa/x": W8, "pa/q1": "0.08333333", "pb/q2": "0.16666667", "pb/q3": "0.08333333", "pc/q4": "0.16666667", "pc/q5": W8 },
          capped: ["pa/x"],
        },
      ],
    },
    {
      // Equal prices at the quantile, in (provider, model) order: 1 (1/12), 2 (1/12), then at 3
      // pb/z (3/12, cumulative 5/12: p25 = 3) and pc/a (1/12, cumulative 6/12 = 1/2: p50 = 3), then
      // at 5 pb/m5 (9/12: p75 = 5) and pc/m6. value = (1 + 2 + 3 + 3 x (3 + 5 + 5))/12 = 3.75
      name: "equal prices at a quantile: the tie group reaches 1/2 exactly",
      days: [priced([["pa", "m1", "1", 1], ["pa", "m2", "2", 1], ["pc", "a", "3", 1], ["pb", "z", "3", 3], ["pb", "m5", "5", 3], ["pc", "m6", "5", 3]])],
      expected: [
        {
          value: "3.750000",
          level: "1000.000000",
          p: ["3.000000", "3.000000", "5.000000"],
          w: { "pa/m1": "0.08333333", "pa/m2": "0.08333333", "pb/m5": W8, "pb/z": W8, "pc/a": "0.08333333", "pc/m6": W8 },
          capped: [],
        },
      ],
    },
  ]);
});

const levelChain = (lab: Lab) =>
  describe("1.1 level chain: round6(published previous level x exact num / den)", () => {
  const five = (p: [string, string, string, string, string]) =>
    priced([["pa", "m1", p[0], 1], ["pa", "m2", p[1], 1], ["pb", "m3", p[2], 1], ["pc", "m4", p[3], 1], ["pc", "m5", p[4], 1]]);
  const w5 = { "pa/m1": "0.20000000", "pa/m2": "0.20000000", "pb/m3": "0.20000000", "pc/m4": "0.20000000", "pc/m5": "0.20000000" };
  const halfWay = (x: string, level: string) => ({
    // Equal weights, so num/den = sum of the new prices / sum of the old ones.
    // Day 1: sum 1, level 1000. Day 2: sum 1.5, level 1500. Day 3: sum 1 + x, so the level is
    // 1500.000000 x (1 + x)/1.5 = 1000 x (1 + x), exactly half-way at the 7th decimal, while
    // num/den = (1 + x)/1.5 has no finite decimal.
    days: [five(["0.1", "0.15", "0.2", "0.25", "0.3"]), five(["0.1", "0.2", "0.3", "0.4", "0.5"]), five(["0.1", "0.2", "0.3", "0.4", x])],
    expected: [
      { value: "0.200000", level: "1000.000000", p: ["0.150000", "0.200000", "0.250000"] as [string, string, string], w: w5, capped: [] },
      { value: "0.300000", level: "1500.000000", p: ["0.200000", "0.300000", "0.400000"] as [string, string, string], w: w5, capped: [] },
      { value: "0.246913", level, p: ["0.200000", "0.234567", "0.300000"] as [string, string, string], w: w5, capped: [] },
    ],
  });
  handCases(lab, [
    {
      // Equal weights. Day 1 prices 3, 6, 9, 12, 15: level 1000. Day 2 all a third (1..5):
      // 1000 x 15/45 = 333.333333|33 -> 333.333333. Day 3 all +70 %: ratio 25.5/15 = 1.7 and
      // the chain runs on the published level: 333.333333 x 1.7 = 566.6666661 -> 566.666666
      // (from the exact level 1000/3 it would be 566.666667).
      name: "the chain continues from the published 6-decimal level, not the exact one",
      days: [five(["3", "6", "9", "12", "15"]), five(["1", "2", "3", "4", "5"]), five(["1.7", "3.4", "5.1", "6.8", "8.5"])],
      expected: [
        { value: "9.000000", level: "1000.000000", p: ["6.000000", "9.000000", "12.000000"], w: w5, capped: [] },
        { value: "3.000000", level: "333.333333", p: ["2.000000", "3.000000", "4.000000"], w: w5, capped: [] },
        { value: "5.100000", level: "566.666666", p: ["3.400000", "5.100000", "6.800000"], w: w5, capped: [] },
      ],
    },
    // x = 0.2345671135: 1234.5671135, 6th digit 3 odd -> 1234.567114 (num/den = 0.8230447423333...)
    { name: "level exactly half-way (odd 6th digit) from a ratio with no finite decimal", ...halfWay("0.2345671135", "1234.567114") },
    // x = 0.2345671125: 1234.5671125, 6th digit 2 even -> 1234.567112 (num/den = 0.8230447416666...)
    { name: "level exactly half-way (even 6th digit) from a ratio with no finite decimal", ...halfWay("0.2345671125", "1234.567112") },
    {
      // Day 1 (x 1e9 tokens): a1 4/1/16 with V_in 3, V_c 1, V_out 1: p_in = (2 x 4 + 1)/3 = 3, p = (9 + 16)/4
      //   = 6.25; a2 1/2 at 2/2: 1.5; b1 2/8 at 1/1: 5; c1 3/3 at 2/1: 3; c2 1/1 at 1/1: 1.
      //   V = 4, 4, 2, 3, 2 (15): a1, a2 capped (4/15 > 1/4); 0.5 over 7: b1 1/7, c1 3/14, c2 1/7.
      //   value = 0.25 x 6.25 + 0.25 x 1.5 + (2 x 5 + 3 x 3 + 2 x 1)/14 = 1.9375 + 1.5 = 3.4375
      //   cumulative: c2 1/7, a2 (p25 = 1.5), c1 (p50 = 3), b1 1/7 + 1/4 + 3/14 + 1/7 = 3/4 (p75 = 5)
      // Day 2: a1 cut to 3/1/12; b2 new; c2 delisted (its usage still in the window); usage adds
      //   a1 5/3/1, a2 1/0/1, b1 1/0/0, b2 2/0/2, c1 1/0/0. Window volumes: a1 8/4/2 (p_in 2, p 4),
      //   a2 3/0/3 (1.5), b1 2/0/1 (4), b2 2/0/2 (0.5), c1 3/0/1 (3). V = 10, 6, 3, 4, 4 (27):
      //   a1 capped, then a2 (0.75 x 6/17 > 1/4); 0.5 over 11: b1 3/22, b2 2/11, c1 2/11.
      //   value = 1 + 0.375 + (3 x 4 + 4 x 0.5 + 4 x 3)/22 = 1.375 + 13/11 = 2.5568181...
      //   Level: M = a1, a2, b1, c1 with day-1 weights; a1 at day-2 prices, day-1 volumes:
      //   p_in* = (2 x 3 + 1 x 1)/3 = 7/3, p* = (7 + 12)/4 = 4.75. den = 25/16 + 6/16 + 5/7 + 9/14
      //   = 369/112, num = 19/16 + 6/16 + 5/7 + 9/14 = 327/112; 1000 x 327/369 = 886.1788617...
      // Day 3: no new sheet; usage c1 6/0/2, b2 0/0/1: V = a1 10, a2 6, b1 3, b2 5, c1 12 (36): a1
      //   and c1 capped, 0.5 over 14: a2 3/14, b1 3/28, b2 5/28. value = 1 + 0.75 + (9 + 12 + 2.5)/28
      //   = 2.5892857...; prices unchanged, so p* = p_prev and the level stays 886.178862.
      name: "frozen basket: prev's weights and volumes, entrants and leavers move the value only",
      days: [
        {
          listings: [
            { provider: "pa", model: "a1", input: "4", cached: "1", output: "16" },
            { provider: "pa", model: "a2", input: "1", output: "2" },
            { provider: "pb", model: "b1", input: "2", output: "8" },
            { provider: "pc", model: "c1", price: "3" },
            { provider: "pc", model: "c2", price: "1" },
          ],
          usage: [["pa", "a1", 3e9, 1e9, 1e9], ["pa", "a2", 2e9, 0, 2e9], ["pb", "b1", 1e9, 0, 1e9], ["pc", "c1", 2e9, 0, 1e9], ["pc", "c2", 1e9, 0, 1e9]],
        },
        {
          listings: [
            { provider: "pa", model: "a1", input: "3", cached: "1", output: "12" },
            { provider: "pa", model: "a2", input: "1", output: "2" },
            { provider: "pb", model: "b1", input: "2", output: "8" },
            { provider: "pb", model: "b2", price: "0.5" },
            { provider: "pc", model: "c1", price: "3" },
          ],
          usage: [["pa", "a1", 5e9, 3e9, 1e9], ["pa", "a2", 1e9, 0, 1e9], ["pb", "b1", 1e9, 0, 0], ["pb", "b2", 2e9, 0, 2e9], ["pc", "c1", 1e9, 0, 0], ["pc", "c2", 1e9, 0, 1e9]],
        },
        { usage: [["pc", "c1", 6e9, 0, 2e9], ["pb", "b2", 0, 0, 1e9]] },
      ],
      expected: [
        {
          value: "3.437500",
          level: "1000.000000",
          p: ["1.500000", "3.000000", "5.000000"],
          w: { "pa/a1": W8, "pa/a2": W8, "pb/b1": "0.14285714", "pc/c1": "0.21428571", "pc/c2": "0.14285714" },
          price: { "pa/a1": "6.250000", "pa/a2": "1.500000", "pb/b1": "5.000000", "pc/c1": "3.000000", "pc/c2": "1.000000" },
          in: { "pa/a1": "3.000000", "pa/a2": "1.000000", "pb/b1": "2.000000", "pc/c1": "3.000000", "pc/c2": "1.000000" },
          out: { "pa/a1": "16.000000", "pa/a2": "2.000000", "pb/b1": "8.000000", "pc/c1": "3.000000", "pc/c2": "1.000000" },
          capped: ["pa/a1", "pa/a2"],
        },
        {
          value: "2.556818",
          level: "886.178862",
          p: ["1.500000", "3.000000", "4.000000"],
          w: { "pa/a1": W8, "pa/a2": W8, "pb/b1": "0.13636364", "pb/b2": "0.18181818", "pc/c1": "0.18181818" },
          price: { "pa/a1": "4.000000", "pa/a2": "1.500000", "pb/b1": "4.000000", "pb/b2": "0.500000", "pc/c1": "3.000000" },
          in: { "pa/a1": "2.000000", "pa/a2": "1.000000", "pb/b1": "2.000000", "pb/b2": "0.500000", "pc/c1": "3.000000" },
          out: { "pa/a1": "12.000000", "pa/a2": "2.000000", "pb/b1": "8.000000", "pb/b2": "0.500000", "pc/c1": "3.000000" },
          capped: ["pa/a1", "pa/a2"],
        },
        {
          value: "2.589286",
          level: "886.178862",
          p: ["1.500000", "3.000000", "4.000000"],
          w: { "pa/a1": W8, "pa/a2": "0.21428571", "pb/b1": "0.10714286", "pb/b2": "0.17857143", "pc/c1": W8 },
          capped: ["pa/a1", "pc/c1"],
        },
      ],
    },
    {
      // Day 2 lists none of day 1's models (day 1's usage is still in the window, so they are
      // delisted): M is empty and the level is the published previous level; the value moves.
      name: "an empty basket M keeps the published previous level",
      days: [
        priced([["pa", "x1", "1", 1], ["pa", "x2", "2", 1], ["pb", "x3", "3", 1], ["pc", "x4", "4", 1], ["pc", "x5", "5", 1]]),
        priced([["pa", "y1", "2", 1], ["pa", "y2", "4", 1], ["pb", "y3", "6", 1], ["pc", "y4", "8", 1], ["pc", "y5", "10", 1]]),
      ],
      expected: [
        { value: "3.000000", level: "1000.000000", p: ["2.000000", "3.000000", "4.000000"], w: { "pa/x1": "0.20000000", "pa/x2": "0.20000000", "pb/x3": "0.20000000", "pc/x4": "0.20000000", "pc/x5": "0.20000000" }, capped: [] },
        { value: "6.000000", level: "1000.000000", p: ["4.000000", "6.000000", "8.000000"], w: { "pa/y1": "0.20000000", "pa/y2": "0.20000000", "pb/y3": "0.20000000", "pc/y4": "0.20000000", "pc/y5": "0.20000000" }, capped: [] },
      ],
    },
  ]);
});

// --- Random baskets against the reference ----------------------------------------------------

/** Prices are drawn in units of 1e-7 (up to 7 decimals), often from a small pool, so equal
 * prices are frequent. */
const PRICE_POOL = [5_000_000n, 10_000_000n, 15_000_000n, 20_000_000n, 30_000_000n, 12_345_675n];
const priceUnits = fc.oneof(
  { arbitrary: fc.constantFrom(...PRICE_POOL), weight: 2 },
  { arbitrary: fc.bigInt({ min: 1n, max: 200_000_000n }), weight: 3 },
);
const small = fc.integer({ min: 0, max: 4 });
const move = fc.record({ change: fc.boolean(), tIn: fc.integer({ min: 0, max: 1000 }), tC: fc.integer({ min: 0, max: 1000 }), tOut: fc.integer({ min: 0, max: 1000 }) });

const genModel = fc.record({
  providerIx: fc.nat(),
  input: priceUnits,
  output: fc.oneof(priceUnits, fc.constant(null)), // null: output = input
  cachedShare: fc.option(fc.integer({ min: 1, max: 100 })),
  listed: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  moves: fc.array(move, { minLength: 3, maxLength: 3 }),
  usage: fc.array(fc.record({ vin: small, vc: small, vout: small }), { minLength: 3, maxLength: 3 }),
});

const genScenario = fc.record({
  index: fc.constantFrom<IndexCode>("CTPI", "CTPI-IN", "CTPI-OUT"),
  days: fc.integer({ min: 2, max: 3 }),
  providers: fc.integer({ min: 3, max: 5 }),
  scale: fc.constantFrom(1n, 1_000_000n, 1_000_000_007n),
  models: fc.array(genModel, { minLength: 5, maxLength: 12 }),
});
type Generated = typeof genScenario extends fc.Arbitrary<infer T> ? T : never;

const decimalText = (units: bigint): string => {
  const int = units / 10_000_000n;
  const dec = (units % 10_000_000n).toString().padStart(7, "0").replace(/0+$/, "");
  return dec === "" ? int.toString() : `${int}.${dec}`;
};

/** A move within [0.3, 1.7] x the last listed price: never held (held means > 80 %). */
const moved = (last: bigint, t: number): bigint => {
  const lo = (3n * last + 9n) / 10n;
  const hi = (17n * last) / 10n;
  const lo1 = lo < 1n ? 1n : lo;
  return hi <= lo1 ? lo1 : lo1 + ((hi - lo1) * BigInt(t)) / 1000n;
};

/**
 * The generated basket as days. Models 0..4 are listed every day and used on day 1 (V_in,
 * V_out >= 1), and models 0..providers-1 each open a provider, so every day has >= 5
 * constituents from >= 3 providers; the others come and go (delisted, listed again, no volume).
 * Prices move on some days, always from the last listed price.
 */
function generatedDays(g: Generated): Day[] {
  const days: Day[] = Array.from({ length: g.days }, () => ({ listings: [], usage: [] }));
  g.models.forEach((m, i) => {
    const provider = `p${i < g.providers ? i : m.providerIx % g.providers}`;
    const model = `m${i}`;
    let input = m.input;
    let output = m.output ?? m.input;
    let cached = m.cachedShare === null ? null : (m.input * BigInt(m.cachedShare)) / 100n || 1n;
    let seen = false;
    for (let d = 0; d < g.days; d++) {
      const listed = i < 5 || m.listed[d]!;
      const mv = m.moves[d]!;
      if (listed) {
        if (seen && mv.change) {
          input = moved(input, mv.tIn);
          output = moved(output, mv.tOut);
          if (cached !== null) cached = moved(cached, mv.tC);
        }
        seen = true;
        days[d]!.listings!.push({ provider, model, input: decimalText(input), output: decimalText(output), ...(cached === null ? {} : { cached: decimalText(cached) }) });
      }
      const u = m.usage[d]!;
      let vin = BigInt(u.vin);
      let vout = BigInt(u.vout);
      if (i < 5 && d === 0) {
        if (vin === 0n) vin = 1n;
        if (vout === 0n) vout = 1n;
      }
      const vc = BigInt(Math.min(u.vc, Number(vin)));
      if (vin + vout > 0n) days[d]!.usage.push([provider, model, vin * g.scale, vc * g.scale, vout * g.scale]);
    }
  });
  return days;
}

/** One line per day, for a failing case. */
function describeDays(days: Day[]): string {
  return days
    .map((d, i) => `day ${i + 1}: ${(d.listings ?? []).map((l) => `${l.provider}/${l.model} ${l.input}/${l.cached ?? "-"}/${l.output}`).join(", ")}; usage ${d.usage.map(([p, m, a, b, c]) => `${p}/${m} ${a}/${b}/${c}`).join(", ")}`)
    .join("\n");
}

/** The same days through test/support/reference.ts (decimal.js, 50 significant digits, written
 * for 1.0), chained from the published level as 1.1 says. */
function decimalChain(index: IndexCode, s: Scenario): RefFixing[] {
  const sheets: RefSheet[] = s.sheets.map((sh) => ({
    provider: sh.provider,
    country: sh.country ?? "CN",
    as_of: sh.as_of,
    currency: "CNY",
    unit: sh.unit ?? "per_1m_tokens",
    models: sh.models.map((m) => ({ model: m.model, input: m.input ?? null, cached_input: m.cached_input ?? null, output: m.output ?? null })),
  }));
  const usage: RefUsage[] = s.usage.map((u) => ({
    provider: u.provider,
    model: u.model,
    period_start: iso(Date.parse(u.period_end) - DAY_MS),
    period_end: u.period_end,
    input_tokens: u.input,
    cached_input_tokens: u.cached_input,
    output_tokens: u.output,
  }));
  const out: RefFixing[] = [];
  let previous: RefPrevFixing | null = null;
  for (const at of s.times) {
    const f = decimalFixing({ sheets, fx: [], usage, definition: CTPI_FAMILY[index], at, previous });
    out.push(f);
    if (f.status === "ok") previous = { ...asPrevious(f), level: f.published.level! };
  }
  return out;
}

describe("exact reference: agrees with the decimal reference wherever no exact tie decides", () => {
  it("random baskets: every published number that is not exactly half-way is the same in both", () => {
    let compared = 0;
    let halfWay = 0;
    fc.assert(
      fc.property(genScenario, (g) => {
        const s = scenario(generatedDays(g));
        const exact = exactChain({ ...s, definition: EXACT_CTPI_FAMILY[g.index] });
        const decimal = decimalChain(g.index, s);
        exact.forEach((e, d) => {
          const dp = decimal[d]!.published;
          const check = (what: string, x: Fraction | null, places: number, ours: string | null, theirs: string | null) => {
            if (x !== null && isHalfWay(x, places)) {
              halfWay++;
              return;
            }
            compared++;
            expect(ours, `day ${d + 1} ${what}`).toBe(theirs);
          };
          expect(e.status).toBe(dp.status);
          check("value", e.value, 6, e.published.value, dp.value);
          check("level", e.level, 6, e.published.level, dp.level);
          check("p25", e.p25, 6, e.published.p25, dp.p25);
          check("p50", e.p50, 6, e.published.p50, dp.p50);
          check("p75", e.p75, 6, e.published.p75, dp.p75);
          const theirs = new Map(dp.constituents.map((c) => [`${c.provider}/${c.model}`, c]));
          expect(Object.keys(e.published.constituents).sort()).toEqual([...theirs.keys()].sort());
          for (const c of e.constituents) {
            const k = `${c.provider}/${c.model}`;
            const ours = e.published.constituents[k]!;
            const t = theirs.get(k)!;
            check(`${k} weight`, c.weight, 8, ours.weight, t.weight);
            check(`${k} price`, c.price, 6, ours.price, t.price);
            check(`${k} input_price`, c.inputPrice, 6, ours.input_price, t.input_price);
            check(`${k} output_price`, c.outputPrice, 6, ours.output_price, t.output_price);
            expect(ours.capped, `${k} capped`).toBe(t.capped);
          }
        });
      }),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(1000);
    expect(halfWay).toBeLessThan(compared);
  });
});

const RUNS = Number(process.env.EXACT_ARITHMETIC_RUNS ?? 25);

const randomBaskets = (lab: Lab) =>
  describe("1.1 random baskets: the engine publishes exactly what the exact reference does", () => {
  it(
    `${RUNS} random baskets over 2-3 days (ties, capping, equal prices, small moves, entrants and leavers)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(genScenario, async (g) => {
          const days = generatedDays(g);
          const s = scenario(days);
          const ref = exactChain({ ...s, definition: EXACT_CTPI_FAMILY[g.index] });
          const got = await lab.run(g.index, s);
          const edges = ref.flatMap((f, i) => f.edges.map((e) => `day ${i + 1}: ${e}`));
          const story = `${g.index}\n${describeDays(days)}\nboundaries: ${edges.length === 0 ? "none" : `\n${edges.join("\n")}`}`;
          expect(got.map(withoutVersion), story).toEqual(ref.map((f) => f.published));
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: false },
      );
    },
    600_000,
  );
});

const methodologyVersion = (lab: Lab) =>
  describe("1.1 the published fixing says which methodology computed it", () => {
  it('methodology_version is "1.1" on every fixing computed now', async () => {
    const s = scenario([priced([["pa", "m1", "1", 1], ["pa", "m2", "2", 1], ["pb", "m3", "3", 1], ["pc", "m4", "4", 1], ["pc", "m5", "5", 1]])]);
    for (const index of ["CTPI", "CTPI-IN", "CTPI-OUT"] as const) {
      const [got] = await lab.run(index, s);
      expect(got!.methodology_version, index).toBe("1.1");
    }
  });
});

describeEachEngine("Methodology 1.1, exact arithmetic, as published", (ctx) => {
  const lab = new Lab(ctx);
  weightsAndCapping(lab);
  valueAndPrices(lab);
  percentiles(lab);
  levelChain(lab);
  randomBaskets(lab);
  methodologyVersion(lab);
});
