/** Numbers that matter never pass through a JS float: exact text in, exact text out. */
import { describe, expect, it } from "vitest";
import { divideDecimals, plainDecimal } from "../../src/normalise/index.ts";
import { parseOffsetInstant, ecbPublicationTime } from "../../src/normalise/index.ts";

describe("exponent notation becomes a plain decimal exactly (string manipulation, no floats)", () => {
  it.each([
    ["1e-7", "0.0000001"],
    ["2.8e-07", "0.00000028"],
    ["3.625E-9", "0.000000003625"],
    ["0.0000002", "0.0000002"],
    ["1.5e3", "1500"],
    ["12e+2", "1200"],
    ["2.50", "2.5"],
    ["007.100", "7.1"],
    ["0", "0"],
    ["-0", "0"],
    ["0.0", "0"],
    ["-1.5e-1", "-0.15"],
    ["123456789012345678901234567890.000000000000000000001", "123456789012345678901234567890.000000000000000000001"],
    ["0.1e1", "1"],
  ])("%s -> %s", (text, plain) => {
    expect(plainDecimal(text)).toBe(plain);
  });
  it.each(["abc", "", "1.", ".5", "1e", "+1", "0x10", "1e99999", "Infinity", "NaN", " 1"])("%j is not a number", (text) => {
    expect(plainDecimal(text)).toBeNull();
  });
});

describe("cross rates are divided exactly and rounded half-even", () => {
  it("7.7573 / 1.1415 to 20 decimals", () => {
    expect(divideDecimals("7.7573", "1.1415", 20)).toBe("6.79570740254051686378");
  });
  it("rounds a tie to the even neighbour", () => {
    expect(divideDecimals("1", "8", 2)).toBe("0.12"); // 0.125
    expect(divideDecimals("3", "8", 2)).toBe("0.38"); // 0.375
    expect(divideDecimals("0.0125", "1", 3)).toBe("0.012");
  });
  it("drops trailing zeros of an exact quotient", () => {
    expect(divideDecimals("7.7154", "7.7154", 20)).toBe("1");
    expect(divideDecimals("3", "1336", 4)).toBe("0.0022");
  });
});

describe("instants are ISO 8601 with an offset", () => {
  it("normalises to UTC", () => {
    expect(parseOffsetInstant("2026-09-29T00:00:00+08:00")).toEqual({ ok: true, utc: "2026-09-28T16:00:00Z" });
    expect(parseOffsetInstant("2026-09-29T00:00:00.250Z")).toEqual({ ok: true, utc: "2026-09-29T00:00:00.250Z" });
  });
  it.each(["2026-09-29T00:00:00", "2026-09-29"])("%s has no offset", (text) => {
    expect(parseOffsetInstant(text).ok).toBe(false);
  });
  it("rejects an impossible date", () => {
    expect(parseOffsetInstant("2026-02-30T00:00:00Z")).toEqual({ ok: false, reason: "not an ISO 8601 date-time" });
  });
  it("an ECB rate is in force from 16:00 Europe/Berlin, summer and winter time", () => {
    expect(ecbPublicationTime("2026-07-06")).toBe("2026-07-06T14:00:00Z");
    expect(ecbPublicationTime("2021-01-04")).toBe("2021-01-04T15:00:00Z");
  });
});
