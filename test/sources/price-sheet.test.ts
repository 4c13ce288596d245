/** Finding the sheets of a file: the unit of acceptance, with where each came from. */
import { describe, expect, it } from "vitest";
import { parsePriceSheets } from "../../src/sources/index.ts";

const HEADER = "provider,country,as_of,currency,unit,model,input,cached_input,output";

describe("a JSON file holds one sheet, or an array of sheets", () => {
  it("one document is one sheet, its raw text the whole file", () => {
    const text = '{"provider": "a", "models": []}';
    expect(parsePriceSheets("p.json", text)).toMatchObject([{ kind: "json", location: "p.json", ordinal: 1, raw: text }]);
  });
  it("an array holds several sheets, each with its exact numbers", () => {
    const units = parsePriceSheets("p.json", '[{"input": 1e-7}, {"input": 0.0000002}]');
    expect(units.map((u) => u.kind === "json" && u.raw)).toEqual(['{"input":1e-7}', '{"input":0.0000002}']);
  });
  it("truncated JSON is one broken unit naming the line", () => {
    const [u] = parsePriceSheets("p.json", '{\n"provider": "a",\n"models": [');
    expect(u).toMatchObject({ kind: "broken", location: "p.json:3" });
    expect(u?.kind === "broken" && u.reason).toMatch(/^not valid JSON: /);
  });
  it("detects JSON by content when the name does not tell", () => {
    expect(parsePriceSheets("stdin", '  {"a": 1}')[0]?.kind).toBe("json");
  });
});

describe("a CSV file holds one sheet per (provider, as_of) group", () => {
  const text = [
    HEADER,
    "a,CN,2026-01-01T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,3",
    "",
    "b,CN,2026-01-01T00:00:00+08:00,CNY,per_1m_tokens,m1,2,,3",
    "a,CN,2025-12-31T16:00:00Z,CNY,per_1m_tokens,m2,2,,3",
  ].join("\r\n");

  it("groups rows by provider and moment (the same as_of written two ways is one sheet)", () => {
    const units = parsePriceSheets("p.csv", text);
    expect(units.map((u) => u.location)).toEqual(["p.csv:2", "p.csv:4"]);
    expect(units.map((u) => (u.kind === "csv" ? u.rows.map((r) => r.line) : []))).toEqual([[2, 5], [4]]);
  });
  it("keeps the header and the group's own lines as the sheet's raw text", () => {
    const [a] = parsePriceSheets("p.csv", text);
    expect(a?.raw).toBe(`${HEADER}\n${text.split("\r\n")[1]}\n${text.split("\r\n")[4]}\n`);
  });
  it("a header without a required column is one broken unit", () => {
    expect(parsePriceSheets("p.csv", "provider,as_of\na,2026-01-01T00:00:00Z\n")).toMatchObject([
      { kind: "broken", location: "p.csv:1", reason: 'header: missing column "country", "currency", "unit", "model", "input", "cached_input", "output"' },
    ]);
  });
  it("an unclosed quote is one broken unit", () => {
    expect(parsePriceSheets("p.csv", `${HEADER}\n"a,CN\n`)[0]).toMatchObject({ kind: "broken" });
  });
});
