/** The ECB reference-rates XML, both real forms, read as text (no floats), with lines. */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEcb } from "../../src/sources/index.ts";
import { ECB_DAILY, ECB_HIST_90D } from "../normalise/helpers.ts";

describe("the ECB daily file (tab-indented, single-quoted attributes, no trailing newline)", () => {
  const days = parseEcb("daily.xml", fs.readFileSync(ECB_DAILY, "utf8"));
  it("holds one day, 2026-07-06, with 29 currencies", () => {
    expect(days.map((d) => d.time)).toEqual(["2026-07-06"]);
    expect(days[0]!.rates).toHaveLength(29);
  });
  it("keeps each rate as the text written, with its line", () => {
    expect(days[0]!.rates.find((r) => r.fields.currency === "USD")).toMatchObject({ line: 9, fields: { rate: "1.1415" } });
    expect(days[0]!.rates.find((r) => r.fields.currency === "HUF")).toMatchObject({ line: 14, fields: { rate: "353.50" } });
    expect(days[0]!.rates.find((r) => r.fields.currency === "CNY")).toMatchObject({ line: 25, fields: { rate: "7.7573" } });
  });
});

describe("the ECB hist-90d file (one line per day, double-quoted attributes)", () => {
  const days = parseEcb("hist.xml", fs.readFileSync(ECB_HIST_90D, "utf8"));
  it("holds 63 days, newest first, 32 currencies each", () => {
    expect(days).toHaveLength(63);
    expect(days[0]!.time).toBe("2021-03-30");
    expect(days.at(-1)!.time).toBe("2020-12-31");
    expect(days.every((d) => d.rates.length === 32)).toBe(true);
  });
  it("gives each day its own line", () => {
    expect(days.map((d) => d.line)).toEqual(Array.from({ length: 63 }, (_, i) => i + 1));
  });
  it("keeps rates with dropped trailing zeros as written", () => {
    expect(days.at(-1)!.rates.find((r) => r.fields.currency === "KRW")?.fields.rate).toBe("1336");
  });
});

describe("not an ECB file", () => {
  it("an XML document without Cube is rejected", () => {
    expect(() => parseEcb("x.xml", "<a><b/></a>")).toThrow("x.xml: Cube: no reference rates (not an ECB eurofxref file)");
  });
});
