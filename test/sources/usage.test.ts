/** Usage CSV records come with their physical line numbers (the header is line 1). */
import { describe, expect, it } from "vitest";
import { usageCsvUnits } from "../../src/sources/index.ts";
import { USAGE_HEADER, streamOf } from "../normalise/helpers.ts";

async function collect(text: string) {
  const out = [];
  for await (const u of usageCsvUnits("u.csv", streamOf(text))) out.push(u);
  return out;
}

describe("usage CSV line numbers are physical lines", () => {
  it("counts blank lines, CRLF, and a quoted field spanning two lines", async () => {
    const text = `${USAGE_HEADER}\r\n\r\na,m1,s,e,1,,2\r\n"a","m\n2",s,e,1,,2\r\na,m3,s,e,1,,2`;
    const units = await collect(text);
    expect(units.map((u) => [u.line, u.fields.model])).toEqual([
      [3, "m1"],
      [4, "m\n2"],
      [6, "m3"],
    ]);
  });
  it("rejects a header with a missing column, at line 1", async () => {
    await expect(collect("provider,model\n")).rejects.toThrow('u.csv:1: header: missing column "period_start"');
  });
  it("rejects an empty file", async () => {
    await expect(collect("")).rejects.toThrow("u.csv: header: missing (the file is empty)");
  });
  it("rejects an unclosed quote with its line", async () => {
    await expect(collect(`${USAGE_HEADER}\na,"m1,s,e,1,,2\n`)).rejects.toThrow(/^u\.csv:\d+: not valid CSV: /);
  });
});
