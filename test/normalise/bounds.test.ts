// Bounds of a real number (operations-and-users.md): a price above 10^9 per its unit, an FX
// rate outside 10^-6 .. 10^6, or 10^18 tokens or more in one record is malformed input,
// named by its field, and stores nothing; the bound itself is accepted.
import { expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { importFx, importPrices, importUsage } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { USAGE_HEADER, counts, sheetText, streamOf } from "./helpers.ts";

const PRICE_CSV = "provider,country,as_of,currency,unit,model,input,cached_input,output\n";
const FX_CSV = "currency,cny_per_unit,as_of\n";

async function rejected(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return (err as Error).message;
}

describeEachEngine("Bounds: numbers no real input comes near are malformed", (ctx) => {
  it("a price above 10^9 per its unit (1e400 in JSON, 1000000001 in CSV) quarantines its sheet; 10^9 itself is a price", async () => {
    const before = await counts(ctx.db);
    const json = await importPrices(ctx.db, { location: "huge.json", text: sheetText({}, `[{"model": "m1", "input": 1e400, "output": 3}]`) });
    expect(json.stored).toBe(0);
    expect(json.rejected[0]!.message).toMatch(/models\[0\]\.input: above 10\^9 per its unit/);
    const tier = await importPrices(ctx.db, {
      location: "tier.json",
      text: sheetText({}, `[{"model": "m1", "input": 2, "output": 3, "tiers": [{"min_input_tokens": 32000, "input": 1e12}]}]`),
    });
    expect(tier.rejected[0]!.message).toMatch(/above 10\^9 per its unit/);
    const csv = await importPrices(ctx.db, { location: "huge.csv", text: `${PRICE_CSV}acme,CN,2026-09-29T00:00:00Z,CNY,per_token,m1,1000000001,,3\n` });
    expect(csv.rejected[0]!.message).toMatch(/input: above 10\^9 per its unit/);
    expect((await counts(ctx.db)).price_sheets).toBe(before.price_sheets);
    const edge = await importPrices(ctx.db, { location: "edge.csv", text: `${PRICE_CSV}acme,CN,2026-09-29T00:00:00Z,CNY,per_1m_tokens,m1,1000000000,,3\n` });
    expect(edge).toMatchObject({ stored: 1, rejected: [] });
  });

  it("an FX rate outside 10^-6 .. 10^6 fails its file; the bounds themselves are rates", async () => {
    const before = await counts(ctx.db);
    expect(await rejected(importFx(ctx.db, { location: "fx.json", text: `{"schema": "ciyuan.fx/1", "rates": [{"currency": "USD", "cny_per_unit": 1e400, "as_of": "2026-10-01T00:00:00Z"}]}` }))).toMatch(
      /cny_per_unit: outside 10\^-6 \.\. 10\^6/,
    );
    expect(await rejected(importFx(ctx.db, { location: "big.csv", text: `${FX_CSV}USD,1000001,2026-10-01T00:00:00Z\n` }))).toBe(
      "big.csv:2: cny_per_unit: outside 10^-6 .. 10^6: not a real exchange rate",
    );
    expect(await rejected(importFx(ctx.db, { location: "tiny.csv", text: `${FX_CSV}JPY,0.0000009,2026-10-01T00:00:00Z\n` }))).toMatch(/^tiny\.csv:2: cny_per_unit: outside/);
    expect(await counts(ctx.db)).toEqual(before);
    const edges = `${FX_CSV}USD,1000000,2026-10-02T00:00:00Z\nJPY,0.000001,2026-10-02T00:00:00Z\n`;
    expect(await importFx(ctx.db, { location: "edges.csv", text: edges })).toMatchObject({ stored: 2 });
  });

  it("10^18 tokens or more in one record fail the usage file; 10^18 - 1 is a count", async () => {
    const before = await counts(ctx.db);
    const row = (n: string) => `${USAGE_HEADER}\nacme,m1,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,${n},,1\n`;
    const csv = importUsage(ctx.db, { location: "huge.csv", stream: streamOf(row("1000000000000000000")), format: "csv" });
    expect(await rejected(csv)).toBe("huge.csv:2: input_tokens: 10^18 tokens or more in one record");
    expect(await counts(ctx.db)).toEqual(before);
    expect(await importUsage(ctx.db, { location: "edge.csv", stream: streamOf(row("999999999999999999")), format: "csv" })).toMatchObject({ stored: 1 });
  });
});
