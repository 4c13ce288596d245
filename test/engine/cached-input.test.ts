import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { fixingRows } from "../support/seed.ts";
import { T, seedBasket } from "./fixture.ts";

describeEachEngine("Effective input price: p_in = ((V_in - V_c) x input + V_c x cached) / V_in", (ctx) => {
  it("weights the cached price by the cached share of input tokens", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI-IN", at: T, kind: "final" });
    const chat = (await fixingRows(db, f.id)).constituents.find((c) => c.model === "chat")!;
    // ((9e9 - 5e9) x 2 + 5e9 x 0.2) / 9e9 = 9e9 / 9e9 = 1
    expect(Number(chat.input_price)).toBe(1);
    expect(chat.input_tokens).toBe("9000000000");
    expect(chat.cached_input_tokens).toBe("5000000000");
  });

  it("cached is the input price when no cached_input price is listed", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI-IN", at: T, kind: "final" });
    const reasoner = (await fixingRows(db, f.id)).constituents.find((c) => c.model === "reasoner")!;
    expect(Number(reasoner.input_price)).toBe(4);
  });

  it("blended price p = (p_in x V_in + p_out x V_out) / (V_in + V_out)", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const chat = (await fixingRows(db, f.id)).constituents.find((c) => c.model === "chat")!;
    // (1 x 9e9 + 3 x 1e9) / 1e10 = 1.2
    expect(chat.price).toMatch(/^1\.20*$/);
  });
});
