import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import type { Db } from "../../src/db/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T, at, seedBasket, usage } from "./fixture.ts";

const T2 = at(T, 1);

/** Day 2: DeepSeek halves deepseek-chat's prices; optionally launches a model with heavy usage. */
async function dayTwo(db: Db, launch: boolean) {
  await addSheet(db, { provider: "deepseek", as_of: at(T, 0.5), models: [
    { model: "chat", input: "1", cached_input: "0.1", output: "1.5" },
    { model: "reasoner", input: "4", output: "16" },
    ...(launch ? [{ model: "v4", input: "0.5", output: "1" }] : []),
  ] });
  await usage(db, T2);
  if (launch) await addUsage(db, day("deepseek", "v4", T2, "30000000000", "3000000000"));
}

describeEachEngine("Level: chain-linked basket index, base 1000 at the first ok fixing", (ctx) => {
  it("the first ok fixing has level 1000", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    expect((await computeFixing(db, { index: "CTPI", at: T, kind: "final" })).level).toBe("1000.000000");
  });

  it("across a price cut the level moves by sum(w_prev x p*_T) / sum(w_prev x p_prev), with prev's volumes", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const d1 = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await dayTwo(db, false);
    const d2 = await computeFixing(db, { index: "CTPI", at: T2, kind: "final" });
    // deepseek-chat at day-2 prices with day-1 volumes: p_in = (4e9 x 1 + 5e9 x 0.1) / 9e9 = 0.5,
    // p* = (0.5 x 9e9 + 1.5 x 1e9) / 1e10 = 0.6 (was 1.2); its weight is 0.25; the rest unchanged.
    const v1 = (await fixingRows(db, d1.id)).constituents.reduce((s, c) => s + Number(c.weight) * Number(c.price), 0);
    expect(Number(d2.level)).toBeCloseTo(1000 * (1 - (0.25 * 0.6) / v1), 6);
    expect((await fixingRows(db, d2.id)).fixing.prev_fixing_id).toBe(d1.id);
  });

  it("a model launched between two fixings moves the value, not the level", async () => {
    const plain = await ctx.fresh();
    const withLaunch = await ctx.fresh();
    for (const [{ db }, launch] of [[plain, false], [withLaunch, true]] as const) {
      await seedBasket(db);
      await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
      await dayTwo(db, launch);
    }
    const a = await computeFixing(plain.db, { index: "CTPI", at: T2, kind: "final" });
    const b = await computeFixing(withLaunch.db, { index: "CTPI", at: T2, kind: "final" });
    expect(b.level).toBe(a.level);
    expect(b.value).not.toBe(a.value);
    expect((await fixingRows(withLaunch.db, b.id)).constituents.map((c) => c.model)).toContain("v4");
  });

  it("a shift in usage mix alone leaves the level unchanged", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await addUsage(db, day("zhipu", "glm", T2, "90000000000", "1000"));
    await usage(db, T2);
    const d2 = await computeFixing(db, { index: "CTPI", at: T2, kind: "final" });
    expect(d2.level).toBe("1000.000000");
  });

  it("indicative fixings never become part of the level chain", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const d1 = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await dayTwo(db, false);
    await computeFixing(db, { index: "CTPI", at: at(T, 0.75), kind: "indicative" });
    const d2 = await computeFixing(db, { index: "CTPI", at: T2, kind: "final" });
    expect((await fixingRows(db, d2.id)).fixing.prev_fixing_id).toBe(d1.id);
  });
});
