import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T, at, seedBasket } from "./fixture.ts";

describeEachEngine("Inputs at fixing time T (point in time)", (ctx) => {
  it("the listed price comes from the provider's latest sheet whose as_of is <= T: a sheet dated after T is ignored", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "moonshot", as_of: at(T, 1), models: [{ model: "k2", input: "1", cached_input: "1", output: "1" }] });
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const { constituents } = await fixingRows(db, f.id);
    expect(constituents.find((c) => c.model === "k2")!.output_price).toBe("16.000000");
  });

  it("a sheet with as_of exactly T is in force at T", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "moonshot", as_of: T, models: [{ model: "k2", input: "4", cached_input: "1", output: "12" }] });
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const { constituents } = await fixingRows(db, f.id);
    expect(constituents.find((c) => c.model === "k2")!.output_price).toBe("12.000000");
  });

  it("a model absent from the latest sheet in force is not listed at T (delisted)", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "deepseek", as_of: "2026-09-20T00:00:00Z", models: [{ model: "chat", input: "2", cached_input: "0.2", output: "3" }] });
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const { constituents, exclusions } = await fixingRows(db, f.id);
    expect(constituents.map((c) => c.model)).not.toContain("reasoner");
    expect(exclusions).toContainEqual({ provider: "deepseek", model: "reasoner", reason: "delisted" });
  });

  it("the FX rate in force is the latest whose as_of <= T; a rate dated after T is ignored", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addFx(db, "USD", "9", at(T, 1));
    await addFx(db, "USD", "7.2", "2026-09-30T00:00:00Z");
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const { constituents } = await fixingRows(db, f.id);
    // 0.0000022 USD per token x 1,000,000 x 7.2 CNY/USD
    expect(Number(constituents.find((c) => c.model === "glm")!.output_price)).toBe(15.84);
    expect(constituents.find((c) => c.model === "glm")!.output_price).toMatch(/^15\.840*$/);
  });

  it("no rate in force: the model is not eligible at T (no_fx_rate)", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "stepfun", as_of: "2026-09-01T00:00:00Z", currency: "HKD", models: [{ model: "step", input: "1", output: "2" }] });
    await addUsage(db, day("stepfun", "step", T, "100", "100"));
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    expect((await fixingRows(db, f.id)).exclusions).toContainEqual({ provider: "stepfun", model: "step", reason: "no_fx_rate" });
  });
});
