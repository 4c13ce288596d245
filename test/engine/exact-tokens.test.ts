import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addUsage, fixingRows } from "../support/seed.ts";
import { T, at, seedBasket } from "./fixture.ts";

describeEachEngine("Tokens are bigint and numeric: sums above 2^53 are exact", (ctx) => {
  it("two records of 2^53 + 1 tokens sum exactly, past 2^53, with the basket's own usage", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    for (const d of [1, 2]) {
      await addUsage(db, { provider: "moonshot", model: "k2", start: at(T, -d - 1), end: at(T, -d), input: "9007199254740993", cached: "9007199254740993", output: "9007199254740993" });
    }
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const k2 = (await fixingRows(db, f.id)).constituents.find((c) => c.model === "k2")!;
    expect(k2.input_tokens).toBe("18014399509481986"); // 2 x (2^53 + 1) + 1e9 from the basket's own day
    expect(k2.cached_input_tokens).toBe("18014398509481986");
    expect(k2.output_tokens).toBe("18014398809481986"); // + 3e8
  });
});
