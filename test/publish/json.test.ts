import { describe, expect, it } from "vitest";
import { exact, toJson } from "../../src/publish/json.ts";
import { defuseFormula } from "../../src/publish/csv.ts";
import { parseInstant } from "../../src/publish/read/instants.ts";

describe("Numbers: written into the JSON text from their exact decimal value", () => {
  it("keeps every digit of a decimal string and of a big integer", () => {
    expect(toJson({ v: exact("2.345000"), t: exact("18014398509481986"), z: exact(null) })).toBe(
      `{"v":2.345000,"t":18014398509481986,"z":null}`,
    );
    expect(toJson([exact("-0.000001"), exact("123456789012345678901234567890.123456789")])).toBe(
      "[-0.000001,123456789012345678901234567890.123456789]",
    );
  });

  it("refuses a non-decimal rather than publish it", () => {
    expect(() => exact("NaN")).toThrow();
    expect(() => exact("1e5")).toThrow();
  });
});

describe("CSV: a cell starting with = + - or @ that is not a number is prefixed with '", () => {
  it("defuses formulas and leaves numbers and plain text alone", () => {
    expect(defuseFormula("=1+2")).toBe("'=1+2");
    expect(defuseFormula("+cmd")).toBe("'+cmd");
    expect(defuseFormula("-x")).toBe("'-x");
    expect(defuseFormula("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(defuseFormula("-1.5")).toBe("-1.5");
    expect(defuseFormula("+2")).toBe("+2");
    expect(defuseFormula("plain")).toBe("plain");
    expect(defuseFormula("")).toBe("");
  });
});

describe("Instants in URLs: ISO 8601 with an offset", () => {
  it("accepts Z and offsets, reading a space before the offset as +", () => {
    expect(parseInstant("2026-10-01T08:00:00Z")).toBe("2026-10-01T08:00:00Z");
    expect(parseInstant("2026-10-01T08:00Z")).toBe("2026-10-01T08:00Z");
    expect(parseInstant("2026-10-01T16:00:00.123456+08:00")).toBe("2026-10-01T16:00:00.123456+08:00");
    expect(parseInstant("2026-10-01T16:00:00 08:00")).toBe("2026-10-01T16:00:00+08:00");
    expect(parseInstant("2026-10-01T03:00:00-0500")).toBe("2026-10-01T03:00:00-0500");
  });

  it("refuses dates alone, missing offsets and impossible times", () => {
    for (const bad of ["2026-10-01", "2026-10-01T08:00:00", "2026-02-29T08:00:00Z", "2026-10-01T24:00:00Z", "2026-10-01T08:00:00+15:00", "0000-01-01T00:00:00Z", " 2026-10-01T08:00:00Z"]) {
      expect(parseInstant(bad), bad).toBeNull();
    }
  });
});
