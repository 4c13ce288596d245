import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addUsage, fixingRows } from "../support/seed.ts";
import { T, at, seedBasket } from "./fixture.ts";

const k2 = (start: string, end: string, input: string) => ({ provider: "moonshot", model: "k2", start, end, input, output: "0" });

describeEachEngine("Usage window W(T) = (T - 7 days, T]: a record counts when its period_end lies in W(T)", (ctx) => {
  it("counts a period ending exactly at T and excludes one ending exactly at T - 7 days", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addUsage(db, k2(at(T, -8), at(T, -7), "111")); // period_end = T - 7d: outside
    await addUsage(db, k2(at(T, -7), at(T, -6.999988426), "222")); // one second inside
    await addUsage(db, k2(at(T, 0), at(T, 1), "444")); // ends after T: outside
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const c = (await fixingRows(db, f.id)).constituents.find((x) => x.model === "k2")!;
    expect(c.input_tokens).toBe(String(1_000_000_000 + 222));
  });

  it("a correction supersedes the old record for fixings computed afterwards; the old one is kept", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const before = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await addUsage(db, { provider: "moonshot", model: "k2", start: at(T, -1), end: T, input: "2000000000", output: "300000000" });
    const after = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const k2Before = (await fixingRows(db, before.id)).constituents.find((x) => x.model === "k2")!;
    const k2After = (await fixingRows(db, after.id)).constituents.find((x) => x.model === "k2")!;
    expect(k2Before.input_tokens).toBe("1000000000");
    expect(k2After.input_tokens).toBe("2000000000");
    expect(after.revision).toBe(2);
    expect(after.inputsSha256).not.toBe(before.inputsSha256);
  });
});
