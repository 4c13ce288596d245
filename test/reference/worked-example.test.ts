/**
 * The worked example of METHODOLOGY.md (test/fixtures/worked-example/): its published
 * numbers in expected.json are what the reference calculator computes, and the data set
 * has the features the example is there to show.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { D } from "../support/reference.ts";
import { computeWorkedExample, workedExampleExpected, workedExampleFiles } from "../fixtures/worked-example/load.ts";

const all = computeWorkedExample();
const [ctpi1, ctpi2] = all.CTPI;

describe("Worked example: expected.json holds the published numbers", () => {
  it("equals what the reference calculator publishes for CTPI, CTPI-IN and CTPI-OUT on both days", () => {
    const expected = JSON.parse(fs.readFileSync(workedExampleFiles.expected, "utf8"));
    expect(expected).toEqual(workedExampleExpected());
  });

  it("matches the figures METHODOLOGY.md shows", () => {
    const p = (code: keyof typeof all, day: 0 | 1) => {
      const f = all[code][day].published;
      return [f.value, f.level, f.p25, f.p50, f.p75];
    };
    expect(p("CTPI", 0)).toEqual(["4.597691", "1000.000000", "1.750000", "4.711818", "6.100000"]);
    expect(p("CTPI", 1)).toEqual(["4.049022", "921.156083", "1.750000", "4.638889", "4.743404"]);
    expect(p("CTPI-IN", 0)).toEqual(["2.332976", "1000.000000", "1.000000", "2.603333", "2.800000"]);
    expect(p("CTPI-IN", 1)).toEqual(["2.083155", "935.704445", "1.000000", "2.185185", "2.503684"]);
    expect(p("CTPI-OUT", 0)).toEqual(["11.810714", "1000.000000", "4.000000", "14.200000", "16.000000"]);
    expect(p("CTPI-OUT", 1)).toEqual(["10.209375", "915.331116", "4.000000", "12.000000", "14.200000"]);
  });
});

describe("Worked example: the data set shows every step of the rulebook", () => {
  it("day 1 has 6 constituents from 4 providers", () => {
    expect(ctpi1.constituents).toHaveLength(6);
    expect(ctpi1.providerCount).toBe(4);
    expect(ctpi1.status).toBe("ok");
  });

  it("a USD per_token price is converted at the FX rate in force (7.1, not the later 7.0)", () => {
    const beta = ctpi1.constituents.find((c) => c.model === "beta-chat")!;
    expect([beta.listInput.toString(), beta.listCachedInput!.toString(), beta.listOutput.toString()]).toEqual(["3.55", "0.71", "14.2"]);
  });

  it("capping iterates: capping the first constituent pushes a second one over the cap", () => {
    expect(ctpi1.cappingSteps.map((s) => s.newlyCapped)).toEqual([["alpha/alpha-pro"], ["beta/beta-chat"], []]);
    // beta-chat's raw weight 0.22 is under the cap; after alpha-pro is capped it would be 0.275.
    expect(ctpi1.cappingSteps[1]!.weights.find((w) => w.key === "beta/beta-chat")!.weight.toString()).toBe("0.275");
  });

  it("every exclusion reason appears, each with its model", () => {
    expect(ctpi1.exclusions).toEqual([
      { provider: "delta", model: "delta-embed", reason: "missing_price" },
      { provider: "delta", model: "delta-lite", reason: "no_volume" },
      { provider: "delta", model: "delta-preview", reason: "not_listed" },
      { provider: "epsilon", model: "eps-1", reason: "no_fx_rate" },
      { provider: "gamma", model: "gamma-old", reason: "delisted" },
      { provider: "omega", model: "omega-1", reason: "not_in_universe" },
    ]);
  });

  it("day 2: the new model enters the value but not the frozen basket; the price cut moves the level", () => {
    expect(ctpi2.constituents.map((c) => c.model)).toContain("alpha-flash");
    expect(ctpi2.chain!.basket.map((b) => b.key)).not.toContain("alpha/alpha-flash");
    // alpha-pro at day-2 prices (3 / 1 / 12) with day-1 volumes: p_in = (18 x 3 + 12 x 1) / 30 = 2.2,
    // p* = (2.2 x 30 + 12 x 10) / 40 = 4.65
    expect(ctpi2.chain!.basket.find((b) => b.key === "alpha/alpha-pro")!.priceNow.toString()).toBe("4.65");
    // level = 1000 x (value_1 - 0.25 x (6.1 - 4.65)) / value_1
    const v1 = ctpi1.value!;
    expect(ctpi2.level!.minus(new D(1000).times(v1.minus("0.3625")).div(v1)).abs().lt("1e-40")).toBe(true);
  });

  it("no cumulative weight lands exactly on 0.25, 0.5 or 0.75, so percentiles do not hinge on the last digit", () => {
    for (const code of ["CTPI", "CTPI-IN", "CTPI-OUT"] as const) {
      for (const f of all[code]) {
        let cum = new D(0);
        for (const c of [...f.constituents].sort((a, b) => a.price.comparedTo(b.price))) {
          cum = cum.plus(c.weight);
          for (const q of ["0.25", "0.5", "0.75"]) expect(cum.minus(q).abs().gt("1e-30")).toBe(true);
        }
      }
    }
  });
});
