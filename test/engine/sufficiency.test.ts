import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, fixingRows } from "../support/seed.ts";
import { T, at, seedBasket, usage } from "./fixture.ts";

describeEachEngine("Sufficiency: at least 5 constituents from at least 3 providers, else insufficient with carry-forward", (ctx) => {
  it("with fewer than 5 constituents the fixing is insufficient and carries null when there is no ok fixing yet", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "zhipu", as_of: "2026-09-20T00:00:00Z", models: [] });
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const { fixing, constituents } = await fixingRows(db, f.id);
    expect(fixing.status).toBe("insufficient");
    expect([fixing.value, fixing.level, fixing.carried_from_fixing_id]).toEqual([null, null, null]);
    expect(constituents.map((c) => c.model).sort()).toEqual(["chat", "k2", "reasoner"]); // lists what it did find
  });

  it("fewer than 3 providers: insufficient, carrying the previous ok fixing's value and level forward and naming it", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const ok = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const t2 = at(T, 1);
    // moonshot delists its model: 4 constituents at 2 providers remain
    await addSheet(db, { provider: "moonshot", as_of: at(T, 0.5), models: [{ model: "other", input: "1", output: "1" }] });
    await usage(db, t2);
    const f = await computeFixing(db, { index: "CTPI", at: t2, kind: "final" });
    const { fixing } = await fixingRows(db, f.id);
    expect(fixing.status).toBe("insufficient");
    expect([fixing.value, fixing.level]).toEqual([ok.value, ok.level]);
    expect(fixing.carried_from_fixing_id).toBe(ok.id);
  });

  it("the next ok fixing chains from the last ok fixing, skipping the insufficient one", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const ok = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await addSheet(db, { provider: "moonshot", as_of: at(T, 0.5), models: [] });
    await usage(db, at(T, 1));
    await computeFixing(db, { index: "CTPI", at: at(T, 1), kind: "final" });
    await addSheet(db, { provider: "moonshot", as_of: at(T, 1.5), models: [{ model: "k2", input: "4", cached_input: "1", output: "16" }] });
    await usage(db, at(T, 2));
    const f = await computeFixing(db, { index: "CTPI", at: at(T, 2), kind: "final" });
    const { fixing } = await fixingRows(db, f.id);
    expect(fixing.status).toBe("ok");
    expect(fixing.prev_fixing_id).toBe(ok.id);
  });
});
