import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T } from "./fixture.ts";

describeEachEngine("Normalisation: price_CNY_per_1M = price x unit_factor x fx(currency, T)", (ctx) => {
  it("per_token x 1,000,000, per_1k_tokens x 1,000 and per_1m_tokens x 1 give the same price; fx(CNY) = 1, USD at its rate", async () => {
    const { db } = await ctx.fresh();
    await addFx(db, "USD", "7.12345", "2026-09-01T00:00:00Z");
    const sheets: [string, string, string, string, string][] = [
      ["a", "CNY", "per_token", "0.000002", "0.000008"],
      ["b", "CNY", "per_1k_tokens", "0.002", "0.008"],
      ["c", "CNY", "per_1m_tokens", "2", "8"],
      ["d", "USD", "per_1m_tokens", "2", "8"],
      ["e", "USD", "per_token", "0.000002", "0.000008"],
    ];
    for (const [provider, currency, unit, input, output] of sheets) {
      await addSheet(db, { provider, currency, unit, as_of: "2026-09-01T00:00:00Z", models: [{ model: "m", input, output }] });
      await addUsage(db, day(provider, "m", T, "1000", "1000"));
    }
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const out = Object.fromEntries((await fixingRows(db, f.id)).constituents.map((c) => [c.provider, c.output_price as string]));
    for (const p of ["a", "b", "c"]) expect(out[p]).toMatch(/^8(\.0+)?$/);
    for (const p of ["d", "e"]) expect(out[p]).toMatch(/^56\.9876(0+)?$/); // 8 x 7.12345 exactly
  });
});
