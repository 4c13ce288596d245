/**
 * Unit tests of the reference calculator itself (test/support/reference.ts) on tiny cases
 * whose numbers are worked out by hand in the comments. If these hold, the calculator
 * can be trusted to check the SQL engine.
 */
import { describe, expect, it } from "vitest";
import {
  CTPI_FAMILY,
  asPrevious,
  computeFixing,
  publish,
  D,
  type RefFxRate,
  type RefIndexDefinition,
  type RefSheet,
  type RefUsage,
} from "../support/reference.ts";

const T = "2026-01-10T08:00:00Z";
const CTPI = CTPI_FAMILY.CTPI;

/** One usage record for the UTC day before T (period_end 2026-01-10T00:00Z, inside the window). */
function day(provider: string, model: string, input: string, cached: string | null, output: string, end = "2026-01-10T00:00:00Z"): RefUsage {
  const start = new Date(Date.parse(end) - 86_400_000).toISOString();
  return { provider, model, period_start: start, period_end: end, input_tokens: input, cached_input_tokens: cached, output_tokens: output };
}

/*
 * The base case, five constituents from three providers:
 *   p1 (CNY, per_1m_tokens):   m1 input 2, cached 0.5, output 8;   m2 input 1, output 4
 *   p2 (USD, per_token, FX 7): m3 input 0.0000005 -> 3.5, output 0.000002 -> 14
 *   p3 (CNY, per_1k_tokens):   m4 input 0.001 -> 1, output 0.003 -> 3; m5 0.0005 -> 0.5, 0.001 -> 1
 * Usage (V_in / V_c / V_out): m1 400/200/100, m2 150/0/50, m3 100/0/50, m4 80/0/20, m5 40/0/10.
 */
const baseSheets: RefSheet[] = [
  {
    provider: "p1", country: "CN", as_of: "2026-01-01T00:00:00+08:00", currency: "CNY", unit: "per_1m_tokens",
    models: [{ model: "m1", input: "2", cached_input: "0.5", output: "8" }, { model: "m2", input: "1", output: "4" }],
  },
  {
    provider: "p2", country: "CN", as_of: "2026-01-01T00:00:00+08:00", currency: "USD", unit: "per_token",
    models: [{ model: "m3", input: "0.0000005", output: "0.000002" }],
  },
  {
    provider: "p3", country: "CN", as_of: "2026-01-01T00:00:00+08:00", currency: "CNY", unit: "per_1k_tokens",
    models: [{ model: "m4", input: "0.001", output: "0.003" }, { model: "m5", input: "0.0005", output: "0.001" }],
  },
];
const baseFx: RefFxRate[] = [{ currency: "USD", cny_per_unit: "7", as_of: "2026-01-01T00:00:00Z" }];
const baseUsage: RefUsage[] = [
  day("p1", "m1", "400", "200", "100"),
  day("p1", "m2", "150", null, "50"),
  day("p2", "m3", "100", "0", "50"),
  day("p3", "m4", "80", null, "20"),
  day("p3", "m5", "40", null, "10"),
];

function fix(over: Partial<{ sheets: RefSheet[]; fx: RefFxRate[]; usage: RefUsage[]; definition: RefIndexDefinition; at: string }> = {}) {
  return computeFixing({
    sheets: over.sheets ?? baseSheets,
    fx: over.fx ?? baseFx,
    usage: over.usage ?? baseUsage,
    definition: over.definition ?? CTPI,
    at: over.at ?? T,
    previous: null,
  });
}

const byModel = (f: ReturnType<typeof fix>, model: string) => {
  const c = f.constituents.find((x) => x.model === model);
  if (!c) throw new Error(`${model} is not a constituent`);
  return c;
};

describe("Normalisation: price x unit_factor x fx(currency, T), CNY per 1M tokens", () => {
  it("multiplies per_token by 1,000,000, per_1k_tokens by 1,000 and per_1m_tokens by 1, then by the FX rate", () => {
    const f = fix();
    // m3: 0.0000005 USD/token x 1e6 x 7 = 3.5; 0.000002 x 1e6 x 7 = 14
    expect(byModel(f, "m3").listInput.toString()).toBe("3.5");
    expect(byModel(f, "m3").listOutput.toString()).toBe("14");
    // m4: 0.001 CNY per 1k x 1000 = 1; 0.003 x 1000 = 3
    expect(byModel(f, "m4").listInput.toString()).toBe("1");
    expect(byModel(f, "m4").listOutput.toString()).toBe("3");
    // m1: per_1m, CNY: unchanged
    expect(byModel(f, "m1").listCachedInput?.toString()).toBe("0.5");
  });

  it("uses the latest rate whose as_of <= T, not a later one", () => {
    const fx: RefFxRate[] = [
      { currency: "USD", cny_per_unit: "6", as_of: "2025-12-01T00:00:00Z" },
      { currency: "USD", cny_per_unit: "7", as_of: "2026-01-01T00:00:00Z" },
      { currency: "USD", cny_per_unit: "9", as_of: "2026-01-10T08:00:01Z" },
    ];
    // 0.0000005 x 1e6 x 7 = 3.5 (the 9 comes into force one second after T)
    expect(byModel(fix({ fx }), "m3").listInput.toString()).toBe("3.5");
  });

  it("a model may carry its own currency and unit, overriding the sheet's", () => {
    const sheets = structuredClone(baseSheets);
    sheets[0]!.models[1] = { model: "m2", input: "0.0000001", output: "0.0000004", currency: "USD", unit: "per_token" };
    // 0.0000001 x 1e6 x 7 = 0.7; 0.0000004 x 1e6 x 7 = 2.8
    const m2 = byModel(fix({ sheets }), "m2");
    expect(m2.listInput.toString()).toBe("0.7");
    expect(m2.listOutput.toString()).toBe("2.8");
  });

  it("no rate in force: the model is not eligible at T (no_fx_rate)", () => {
    const f = fix({ fx: [{ currency: "USD", cny_per_unit: "7", as_of: "2026-01-11T00:00:00Z" }] });
    expect(f.exclusions).toContainEqual({ provider: "p2", model: "m3", reason: "no_fx_rate" });
    expect(f.constituents.map((c) => c.model)).not.toContain("m3");
  });
});

describe("Effective input price: p_in = ((V_in - V_c) x input + V_c x cached) / V_in", () => {
  it("weights the cached_input price by the cached tokens", () => {
    // m1: ((400 - 200) x 2 + 200 x 0.5) / 400 = (400 + 100) / 400 = 1.25
    expect(byModel(fix(), "m1").inputPrice.toString()).toBe("1.25");
  });

  it("cached is the input price when no cached_input price is listed", () => {
    const usage = baseUsage.map((u) => (u.model === "m2" ? { ...u, cached_input_tokens: "100" } : u));
    // m2 lists no cached_input: ((150 - 100) x 1 + 100 x 1) / 150 = 1
    expect(byModel(fix({ usage }), "m2").inputPrice.toString()).toBe("1");
  });
});

describe("Blended price: p = (p_in x V_in + p_out x V_out) / (V_in + V_out)", () => {
  it("blends the effective input price and the output price by token volumes", () => {
    const f = fix();
    // m1: (1.25 x 400 + 8 x 100) / 500 = 1300 / 500 = 2.6
    expect(byModel(f, "m1").blendedPrice.toString()).toBe("2.6");
    // m2: (1 x 150 + 4 x 50) / 200 = 1.75; m3: (3.5 x 100 + 14 x 50) / 150 = 7
    expect(byModel(f, "m2").blendedPrice.toString()).toBe("1.75");
    expect(byModel(f, "m3").blendedPrice.toString()).toBe("7");
    // m4: (80 + 60) / 100 = 1.4; m5: (20 + 10) / 50 = 0.6
    expect(byModel(f, "m4").blendedPrice.toString()).toBe("1.4");
    expect(byModel(f, "m5").blendedPrice.toString()).toBe("0.6");
  });
});

describe("Weights and capping: r_i = V_i / sum(V); cap c = 0.25, repeated until no weight exceeds c", () => {
  it("caps, shares the rest in proportion to raw weights, and repeats", () => {
    const f = fix();
    // total volumes 500, 200, 150, 100, 50 (sum 1000): raw 0.5, 0.2, 0.15, 0.1, 0.05.
    expect(f.constituents.map((c) => c.rawWeight.toString())).toEqual(["0.5", "0.2", "0.15", "0.1", "0.05"]);
    // pass 1: m1 > 0.25. Cap it; 0.75 shared over raw 0.5: m2 0.3, m3 0.225, m4 0.15, m5 0.075.
    // pass 2: m2 (0.3) > 0.25. Cap it; 0.5 shared over volumes 150 + 100 + 50 = 300:
    //   m3 = 0.5 x 150 / 300 = 0.25 (equal to c, not above: stays uncapped),
    //   m4 = 0.5 x 100 / 300 = 1/6, m5 = 0.5 x 50 / 300 = 1/12.
    expect(f.cappingSteps.map((s) => s.newlyCapped)).toEqual([["p1/m1"], ["p1/m2"], []]);
    expect(f.cappingSteps[1]!.weights.map((w) => w.weight.toString())).toEqual(["0.25", "0.3", "0.225", "0.15", "0.075"]);
    const w = Object.fromEntries(f.constituents.map((c) => [c.model, c]));
    expect(w.m1!.capped && w.m2!.capped).toBe(true);
    expect(w.m3!.capped).toBe(false);
    expect(w.m3!.weight.toString()).toBe("0.25");
    expect(w.m4!.weight.eq(new D(1).div(6))).toBe(true);
    expect(f.published.constituents.map((c) => c.weight)).toEqual(["0.25000000", "0.25000000", "0.25000000", "0.16666667", "0.08333333"]);
  });

  it("capping applies only when n x c > 1; otherwise weights stay raw", () => {
    // Four constituents (m5 dropped), n x c = 1: m1 keeps its raw weight 500 / 950.
    const def = { ...CTPI, minConstituents: 4 };
    const f = fix({ usage: baseUsage.filter((u) => u.model !== "m5"), definition: def });
    expect(f.cappingApplies).toBe(false);
    expect(byModel(f, "m1").weight.eq(new D(500).div(950))).toBe(true);
    expect(byModel(f, "m1").capped).toBe(false);
  });
});

describe("Value = sum(w_i x p_i), CNY per 1M tokens", () => {
  it("sums weight times price", () => {
    // 0.25 x 2.6 + 0.25 x 1.75 + 0.25 x 7 + 1/6 x 1.4 + 1/12 x 0.6
    //   = 0.65 + 0.4375 + 1.75 + 0.233333... + 0.05 = 3.1208333...
    const f = fix();
    expect(f.status).toBe("ok");
    expect(f.published.value).toBe("3.120833");
    expect(f.value!.minus(new D("3.12083333333333333333")).abs().lt("1e-19")).toBe(true);
  });

  it("CTPI-IN weights by input tokens and prices by p_in; CTPI-OUT by output tokens and p_out", () => {
    // IN: volumes 400, 150, 100, 80, 40 (770). m1 400/770 > c: cap. 0.75 over 370: m2 150/370 x 0.75 = 0.304 > c:
    // cap. 0.5 over 220: m3 5/22, m4 2/11, m5 1/11.
    // value = 0.25 x 1.25 + 0.25 x 1 + 5/22 x 3.5 + 2/11 x 1 + 1/11 x 0.5 = 0.5625 + 22.5/22 = 1.58522727...
    expect(fix({ definition: CTPI_FAMILY["CTPI-IN"] }).published.value).toBe("1.585227");
    // OUT: volumes 100, 50, 50, 20, 10 (230). m1 100/230 > c: cap. 0.75 over 130: m2 = m3 = 50/130 x 0.75 = 0.288 > c:
    // cap both. 0.25 over 30: m4 1/6, m5 1/12.
    // value = 0.25 x 8 + 0.25 x 4 + 0.25 x 14 + 1/6 x 3 + 1/12 x 1 = 2 + 1 + 3.5 + 0.5 + 0.083333... = 7.083333...
    expect(fix({ definition: CTPI_FAMILY["CTPI-OUT"] }).published.value).toBe("7.083333");
  });
});

describe("Dispersion: for quantile q, the smallest p_i (ascending) whose cumulative weight >= q", () => {
  it("compares cumulative weights exactly, so a cumulative weight equal to q picks that price", () => {
    // ascending: m5 0.6 (1/12), m4 1.4 (1/6), m2 1.75 (0.25), m1 2.6 (0.25), m3 7 (0.25)
    // cumulative: 1/12, 1/4, 1/2, 3/4, 1 -> p25 = 1.4 (cum exactly 0.25), p50 = 1.75, p75 = 2.6
    const f = fix();
    expect([f.published.p25, f.published.p50, f.published.p75]).toEqual(["1.400000", "1.750000", "2.600000"]);
  });
});

describe("Usage window W(T) = (T - 7 days, T] on period_end", () => {
  it("counts a record ending exactly at T and leaves out one ending exactly at T - 7 days", () => {
    const usage = [
      ...baseUsage,
      day("p1", "m2", "1000", null, "0", "2026-01-10T08:00:00Z"), // = T: counts
      day("p1", "m2", "5000", null, "0", "2026-01-03T08:00:00Z"), // = T - 7d: out
      day("p1", "m2", "7000", null, "0", "2026-01-10T08:00:01Z"), // after T: out
    ];
    expect(byModel(fix({ usage }), "m2").inputTokens).toBe(1150n);
  });

  it("a corrected record (same provider, model, period) supersedes the earlier one", () => {
    const usage = [...baseUsage, day("p1", "m2", "300", null, "50")];
    expect(byModel(fix({ usage }), "m2").inputTokens).toBe(300n);
  });
});

describe("Point in time: the latest sheet with as_of <= T is the provider's complete list", () => {
  it("ignores a sheet whose as_of is after T", () => {
    const later: RefSheet = { ...baseSheets[0]!, as_of: "2026-01-10T16:00:01+08:00", models: [{ model: "m1", input: "20", output: "80" }] };
    expect(byModel(fix({ sheets: [...baseSheets, later] }), "m1").listInput.toString()).toBe("2");
  });

  it("a model absent from the latest sheet in force is delisted; one never listed is not_listed", () => {
    const newer: RefSheet = { ...baseSheets[0]!, as_of: "2026-01-05T00:00:00+08:00", models: [{ model: "m1", input: "2", output: "8" }] };
    const usage = [...baseUsage, day("p1", "m9", "10", null, "10")];
    const f = fix({ sheets: [...baseSheets, newer], usage });
    expect(f.exclusions).toEqual([
      { provider: "p1", model: "m2", reason: "delisted" },
      { provider: "p1", model: "m9", reason: "not_listed" },
    ]);
    // m1 now has no cached_input price on the sheet in force: p_in = input = 2
    expect(byModel(f, "m1").inputPrice.toString()).toBe("2");
  });
});

describe("Constituents: in the universe, listed with an input and an output price, weighting volume > 0", () => {
  it("names every excluded (provider, model) with its reason", () => {
    const sheets: RefSheet[] = [
      ...baseSheets,
      { provider: "us1", country: "US", as_of: "2026-01-01T00:00:00Z", currency: "USD", unit: "per_1m_tokens", models: [{ model: "x", input: "1", output: "2" }] },
      { provider: "p4", country: "CN", as_of: "2026-01-01T00:00:00Z", currency: "CNY", unit: "per_1m_tokens",
        models: [{ model: "embed", input: "0.5" }, { model: "idle", input: "1", output: "1" }] },
    ];
    const usage = [...baseUsage, day("p4", "embed", "10", null, "0"), day("nobody", "ghost", "1", null, "1")];
    const f = fix({ sheets, usage });
    expect(f.exclusions).toEqual([
      { provider: "nobody", model: "ghost", reason: "not_listed" },
      { provider: "p4", model: "embed", reason: "missing_price" },
      { provider: "p4", model: "idle", reason: "no_volume" },
      { provider: "us1", model: "x", reason: "not_in_universe" },
    ]);
  });

  it("a universe of null takes every provider", () => {
    const sheets: RefSheet[] = [
      ...baseSheets,
      { provider: "us1", country: "US", as_of: "2026-01-01T00:00:00Z", currency: "CNY", unit: "per_1m_tokens", models: [{ model: "x", input: "1", output: "2" }] },
    ];
    const f = fix({ sheets, usage: [...baseUsage, day("us1", "x", "1", null, "1")], definition: { ...CTPI, universeCountry: null } });
    expect(f.constituents.map((c) => c.model)).toContain("x");
  });

  it("a sheet without country takes the provider's country from an earlier sheet", () => {
    const noCountry: RefSheet = { provider: "p2", as_of: "2026-01-05T00:00:00Z", currency: "USD", unit: "per_token", models: [{ model: "m3", input: "0.0000005", output: "0.000002" }] };
    expect(fix({ sheets: [...baseSheets, noCountry] }).constituents.map((c) => c.model)).toContain("m3");
  });

  it("an index whose weighting volume is zero for a model leaves it out (no_volume)", () => {
    const usage = baseUsage.map((u) => (u.model === "m5" ? { ...u, output_tokens: "0" } : u));
    const f = fix({ usage, definition: { ...CTPI_FAMILY["CTPI-OUT"], minConstituents: 4 } });
    expect(f.exclusions).toEqual([{ provider: "p3", model: "m5", reason: "no_volume" }]);
  });
});

describe("Sufficiency: at least 5 constituents from at least 3 providers", () => {
  it("with fewer, the fixing is insufficient: value and level are null when there is no ok fixing yet", () => {
    const f = fix({ usage: baseUsage.filter((u) => u.model !== "m5") });
    expect(f.status).toBe("insufficient");
    expect([f.value, f.level, f.p50]).toEqual([null, null, null]);
    expect(f.constituents).toHaveLength(4);
  });

  it("with fewer, it carries the previous ok fixing's value and level forward", () => {
    const first = fix();
    const f = computeFixing({
      sheets: baseSheets, fx: baseFx, usage: baseUsage.filter((u) => u.provider === "p1"),
      definition: CTPI, at: "2026-01-11T08:00:00Z", previous: asPrevious(first),
    });
    expect(f.status).toBe("insufficient");
    expect(f.published.value).toBe("3.120833");
    expect(f.published.level).toBe("1000.000000");
  });

  it("five constituents from only two providers are not enough", () => {
    const sheets: RefSheet[] = [
      { provider: "p1", country: "CN", as_of: "2026-01-01T00:00:00Z", currency: "CNY", unit: "per_1m_tokens",
        models: [{ model: "m1", input: "2", output: "8" }, { model: "m2", input: "1", output: "4" }, { model: "m3", input: "3.5", output: "14" }] },
      { provider: "p3", country: "CN", as_of: "2026-01-01T00:00:00Z", currency: "CNY", unit: "per_1m_tokens",
        models: [{ model: "m4", input: "1", output: "3" }, { model: "m5", input: "0.5", output: "1" }] },
    ];
    const f = fix({ sheets, usage: baseUsage.map((u) => (u.provider === "p2" ? { ...u, provider: "p1" } : u)) });
    expect(f.constituents).toHaveLength(5);
    expect(f.providerCount).toBe(2);
    expect(f.status).toBe("insufficient");
  });
});

/*
 * The chain: five CNY models, equal volumes (100 input + 100 output each, so weights 0.2, no
 * capping binds) and blended prices m1 (2, 4) -> 3, m2 (1, 3) -> 2, m3 (2, 2) -> 2,
 * m4 (4, 8) -> 6, m5 (1, 1) -> 1. Day 1 value = 0.2 x 14 = 2.8, level 1000 (first ok fixing).
 */
describe("Level: chain-linked, base 1000, frozen basket of the previous ok fixing", () => {
  const d1 = "2026-01-10T08:00:00Z";
  const d2 = "2026-01-11T08:00:00Z";
  const sheet = (as_of: string, models: RefSheet["models"], provider = "q1"): RefSheet => ({ provider, country: "CN", as_of, currency: "CNY", unit: "per_1m_tokens", models });
  const day1Sheets = [
    sheet("2026-01-01T00:00:00Z", [{ model: "m1", input: "2", output: "4" }, { model: "m2", input: "1", output: "3" }]),
    sheet("2026-01-01T00:00:00Z", [{ model: "m3", input: "2", output: "2" }, { model: "m4", input: "4", output: "8" }], "q2"),
    sheet("2026-01-01T00:00:00Z", [{ model: "m5", input: "1", output: "1" }], "q3"),
  ];
  const models: [string, string][] = [["q1", "m1"], ["q1", "m2"], ["q2", "m3"], ["q2", "m4"], ["q3", "m5"]];
  const day1Usage = models.map(([p, m]) => day(p, m, "100", null, "100"));
  const first = computeFixing({ sheets: day1Sheets, fx: [], usage: day1Usage, definition: CTPI, at: d1, previous: null });

  it("starts at 1000 at the index's first ok fixing", () => {
    expect(first.published.value).toBe("2.800000");
    expect(first.published.level).toBe("1000.000000");
  });

  it("moves with listed prices alone: level_T = level_prev x sum(w_prev x p*_T) / sum(w_prev x p_prev)", () => {
    // Day 2: q1 cuts m1 to (1, 2), blended with day-1 volumes p* = 1.5; q3 launches m6 (9, 9).
    // m2's volume triples and m6 has usage: those move the value, not the level.
    // level = 1000 x 0.2 x (1.5 + 2 + 2 + 6 + 1) / (0.2 x 14) = 1000 x 12.5 / 14 = 892.857142857...
    const sheets = [
      ...day1Sheets,
      sheet("2026-01-11T00:00:00Z", [{ model: "m1", input: "1", output: "2" }, { model: "m2", input: "1", output: "3" }]),
      sheet("2026-01-11T00:00:00Z", [{ model: "m5", input: "1", output: "1" }, { model: "m6", input: "9", output: "9" }], "q3"),
    ];
    const usage = [
      ...day1Usage,
      ...models.map(([p, m]) => day(p, m, m === "m2" ? "300" : "100", null, m === "m2" ? "300" : "100", "2026-01-11T00:00:00Z")),
      day("q3", "m6", "100", null, "100", "2026-01-11T00:00:00Z"),
    ];
    const second = computeFixing({ sheets, fx: [], usage, definition: CTPI, at: d2, previous: asPrevious(first) });
    expect(second.chain!.basket.map((b) => b.key)).toEqual(["q1/m1", "q1/m2", "q2/m3", "q2/m4", "q3/m5"]);
    expect(second.published.level).toBe("892.857143");
    // value: volumes (in+out) m1 400, m2 800, m3 400, m4 400, m5 400, m6 200 (2600): raw m2 = 0.3077 > c.
    // Cap m2; 0.75 over 1800: m1, m3, m4, m5 = 1/6 each, m6 = 1/12.
    // value = 0.25 x 2 + 1/6 x (1.5 + 2 + 6 + 1) + 1/12 x 9 = 0.5 + 1.75 + 0.75 = 3
    expect(second.published.value).toBe("3.000000");
  });

  it("stays put when only usage changes", () => {
    const usage = [...day1Usage, day("q1", "m2", "900", null, "0", "2026-01-11T00:00:00Z")];
    const second = computeFixing({ sheets: day1Sheets, fx: [], usage, definition: CTPI, at: d2, previous: asPrevious(first) });
    expect(second.published.level).toBe("1000.000000");
  });

  it("with no constituent of prev still a constituent, level_T = level_prev", () => {
    const prev = { ...asPrevious(first), level: "1234.5", constituents: [{ provider: "zz", model: "gone", weight: "1", price: "1", input_tokens: "1", cached_input_tokens: "0", output_tokens: "1" }] };
    const second = computeFixing({ sheets: day1Sheets, fx: [], usage: day1Usage, definition: CTPI, at: d1, previous: prev });
    expect(second.published.level).toBe("1234.500000");
  });
});

describe("Rounding: publish half-even to 6 decimal places, weights to 8", () => {
  it("sends an exact tie to the even neighbour", () => {
    expect(publish(new D("0.0000005"), 6)).toBe("0.000000");
    expect(publish(new D("0.0000015"), 6)).toBe("0.000002");
    expect(publish(new D("2.0000025"), 6)).toBe("2.000002");
    expect(publish(new D("2.00000251"), 6)).toBe("2.000003");
    expect(publish(new D("0.123456785"), 8)).toBe("0.12345678");
    expect(publish(null, 6)).toBeNull();
  });
});
