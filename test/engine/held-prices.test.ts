import { expect, it } from "vitest";
import type { Db } from "../../src/db/index.ts";
import { approvePrice, computeFixing, heldPrices } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, fixingRows } from "../support/seed.ts";
import { at, seedBasket, usage } from "./fixture.ts";

const k2 = (input: string) => [{ model: "k2", input, cached_input: "1", output: "16" }];

async function k2Constituent(db: Db, t: string) {
  await usage(db, t);
  // Computed just after T: some T here are after the real clock (an approval made now is in force from now).
  const f = await computeFixing(db, { index: "CTPI-IN", at: t, kind: "final", now: new Date(Date.parse(t) + 60_000) });
  return (await fixingRows(db, f.id)).constituents.find((c) => c.model === "k2")!;
}

describeEachEngine("Held prices: a move of more than 80 % is held at the last accepted price", (ctx) => {
  const base = "2026-10-01T08:00:00Z";

  it("a price 10x the previous is held: the model stays a constituent at its last accepted price, marked held", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db, base);
    await addSheet(db, { provider: "moonshot", as_of: at(base, 0.5), models: k2("40") });
    const c = await k2Constituent(db, at(base, 1));
    expect(Number(c.input_price)).toBe(4);
    expect(c.held).toEqual(["input"]);
    expect((await heldPrices(db, at(base, 1))).map((h) => [h.model, h.component, h.heldPrice])).toEqual([["k2", "input", "40"]]);
  });

  it("a move of exactly 80 % is not held", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db, base);
    await addSheet(db, { provider: "moonshot", as_of: at(base, 0.5), models: k2("7.2") });
    const c = await k2Constituent(db, at(base, 1));
    expect(Number(c.input_price)).toBe(7.2);
    expect(c.held).toEqual([]);
  });

  it("the provider's next sheet listing the same price confirms it, in force from that sheet's as_of (not retroactively)", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db, base);
    await addSheet(db, { provider: "moonshot", as_of: at(base, 0.5), models: k2("40") });
    await addSheet(db, { provider: "moonshot", as_of: at(base, 2.5), models: k2("40") });
    expect(Number((await k2Constituent(db, at(base, 2))).input_price)).toBe(4);
    const confirmed = await k2Constituent(db, at(base, 3));
    expect(Number(confirmed.input_price)).toBe(40);
    expect(confirmed.held).toEqual([]);
  });

  it("an operator approval at time A releases it for fixings at T >= A, and not before", async () => {
    const { db } = await ctx.fresh();
    const now = new Date().toISOString();
    const today = `${now.slice(0, 10)}T08:00:00Z`; // fixings only at final times
    const start = at(today, -3);
    await seedBasket(db, start);
    await addSheet(db, { provider: "moonshot", as_of: at(start, 1), models: k2("40") });
    const approval = await approvePrice(db, { provider: "moonshot", model: "k2", asOf: at(start, 1) });
    expect(Date.parse(approval.approvedAt)).toBeGreaterThanOrEqual(Date.parse(now) - 1000);
    expect(Number((await k2Constituent(db, at(start, 2))).input_price)).toBe(4); // T < A
    expect(Number((await k2Constituent(db, at(today, 1))).input_price)).toBe(40); // T >= A
    await expect(approvePrice(db, { provider: "moonshot", model: "k2", asOf: at(start, 1) })).rejects.toThrow(/already approved/);
    await expect(approvePrice(db, { provider: "moonshot", model: "nope", asOf: at(start, 1) })).rejects.toThrow(/lists nope/);
  });
});
