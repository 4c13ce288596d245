import { describe, expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import type { Db } from "../../src/db/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T } from "./fixture.ts";

/**
 * Two CN providers listing in CNY, two US providers listing in USD, USD at 7.2 CNY. Every
 * model has equal input and output volumes, in the proportions 22:22:20:18:18 (no capping).
 * In USD per 1M: deepseek/chat 0.25 in, 0.5 out (1.8 and 3.6 CNY / 7.2); deepseek/reasoner
 * 0.5, 2 (3.6, 14.4 CNY); openai/gpt 1.25, 8 (USD per token); anthropic/sonnet 3, 15 (USD
 * per 1M); moonshot/k2 0.5, 10/7.2 = 1.3888... (3.6, 10 CNY).
 */
async function seedGlobalBasket(db: Db): Promise<void> {
  await addFx(db, "USD", "7.2", "2026-09-01T00:00:00Z");
  await addSheet(db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [
    { model: "chat", input: "1.8", output: "3.6" },
    { model: "reasoner", input: "3.6", output: "14.4" },
  ] });
  await addSheet(db, { provider: "moonshot", as_of: "2026-09-01T00:00:00Z", models: [{ model: "k2", input: "3.6", output: "10" }] });
  await addSheet(db, { provider: "openai", country: "US", as_of: "2026-09-01T00:00:00Z", currency: "USD", unit: "per_token",
    models: [{ model: "gpt", input: "0.00000125", output: "0.000008" }] });
  await addSheet(db, { provider: "anthropic", country: "US", as_of: "2026-09-01T00:00:00Z", currency: "USD", unit: "per_1m_tokens",
    models: [{ model: "sonnet", input: "3", output: "15" }] });
  const volumes: [string, string, string][] = [
    ["deepseek", "chat", "2200000"], ["deepseek", "reasoner", "2200000"], ["openai", "gpt", "2000000"],
    ["anthropic", "sonnet", "1800000"], ["moonshot", "k2", "1800000"],
  ];
  for (const [p, m, v] of volumes) await addUsage(db, day(p, m, T, v, v));
}

describeEachEngine("GTPI: a global family in USD (all providers) follows the same rules", (ctx) => {
  describe("all providers, USD per 1M tokens: CNY prices divided by the USD rate in force (CNY per USD)", () => {
    it("GTPI-OUT: value = 0.22 x 0.5 + 0.22 x 2 + 0.20 x 8 + 0.18 x 15 + 0.18 x 10/7.2 = 5.1 USD", async () => {
      const { db } = await ctx.fresh();
      await seedGlobalBasket(db);
      const f = await computeFixing(db, { index: "GTPI-OUT", at: T, kind: "final" });
      const { fixing, constituents, exclusions } = await fixingRows(db, f.id);
      expect(fixing).toMatchObject({ status: "ok", currency: "USD", value: "5.100000", level: "1000.000000", constituent_count: 5, provider_count: 4 });
      expect(exclusions).toEqual([]);
      const out = Object.fromEntries(constituents.map((c) => [`${c.provider}/${c.model}`, [c.weight, c.output_price]]));
      expect(out["deepseek/chat"]).toEqual([expect.stringMatching(/^0\.220*$/), expect.stringMatching(/^0\.50*$/)]);
      expect(out["deepseek/reasoner"]![1]).toMatch(/^2(\.0+)?$/);
      expect(out["openai/gpt"]).toEqual([expect.stringMatching(/^0\.20*$/), expect.stringMatching(/^8(\.0+)?$/)]);
      expect(out["anthropic/sonnet"]![1]).toMatch(/^15(\.0+)?$/);
      // 10 / 7.2 = 1.38888..., published rounded once from the exact ratio
      expect(out["moonshot/k2"]![1]).toBe("1.388889");
    });

    it("GTPI-IN: value = 0.22 x 0.25 + 0.22 x 0.5 + 0.20 x 1.25 + 0.18 x 3 + 0.18 x 0.5 = 1.045 USD", async () => {
      const { db } = await ctx.fresh();
      await seedGlobalBasket(db);
      const f = await computeFixing(db, { index: "GTPI-IN", at: T, kind: "final" });
      expect(f).toMatchObject({ status: "ok", value: "1.045000", level: "1000.000000" });
    });

    it("GTPI: blended value = (1.045 + 5.1) / 2 = 3.0725 USD (equal input and output volumes)", async () => {
      const { db } = await ctx.fresh();
      await seedGlobalBasket(db);
      const f = await computeFixing(db, { index: "GTPI", at: T, kind: "final" });
      expect(f).toMatchObject({ status: "ok", value: "3.072500" });
    });

    it("the same data in CTPI-OUT (CN only, CNY) leaves the US providers out as not_in_universe", async () => {
      const { db } = await ctx.fresh();
      await seedGlobalBasket(db);
      const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
      const { fixing, exclusions } = await fixingRows(db, f.id);
      expect(fixing).toMatchObject({ currency: "CNY", constituent_count: 3 });
      expect(exclusions).toEqual([
        { provider: "anthropic", model: "sonnet", reason: "not_in_universe" },
        { provider: "openai", model: "gpt", reason: "not_in_universe" },
      ]);
    });
  });

  describe("No rate in force: the model is not eligible at T", () => {
    it("without a USD rate in force every model of GTPI-OUT is excluded as no_fx_rate", async () => {
      const { db } = await ctx.fresh();
      await addSheet(db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [{ model: "chat", input: "1.8", output: "3.6" }] });
      await addUsage(db, day("deepseek", "chat", T, "1000", "1000"));
      const f = await computeFixing(db, { index: "GTPI-OUT", at: T, kind: "final" });
      const { fixing, exclusions } = await fixingRows(db, f.id);
      expect(fixing).toMatchObject({ status: "insufficient", constituent_count: 0 });
      expect(exclusions).toEqual([{ provider: "deepseek", model: "chat", reason: "no_fx_rate" }]);
    });
  });
});
