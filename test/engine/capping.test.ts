import { sql } from "drizzle-orm";
import { rows } from "../../src/db/index.ts";
import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T, seedBasket } from "./fixture.ts";

describeEachEngine("Weights and capping: cap c = 0.25, repeated until no weight exceeds c", (ctx) => {
  it("several weights end at the cap: one capped at first, a second after the weight left is shared", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const w = Object.fromEntries((await fixingRows(db, f.id)).constituents.map((c) => [c.model, c]));
    // raw weights over V = V_in + V_out: chat 10/15.4, reasoner 2.5/15.4, k2 1.3/15.4, glm 1/15.4, air 0.6/15.4
    // published to 8 places, rounded once from the exact ratio 10 / 15.4
    expect(w.chat!.raw_weight).toBe("0.64935065");
    expect(Number(w.reasoner!.raw_weight)).toBeLessThan(0.25); // under the cap before the first round
    expect([w.chat!.weight, w.reasoner!.weight]).toEqual(["0.25000000", "0.25000000"]);
    expect([w.chat!.capped, w.reasoner!.capped]).toEqual([true, true]);
    // the weight left, 1 - 0.25 x 2, shared among the uncapped in proportion to raw weights (1.3 : 1 : 0.6)
    // 0.65 / 2.9 = 0.2241379310..., 0.5 / 2.9 = 0.1724137931..., 0.3 / 2.9 = 0.1034482758...
    expect([w.k2!.weight, w.glm!.weight, w["glm-air"]!.weight]).toEqual(["0.22413793", "0.17241379", "0.10344828"]);
    const exact = await rows<{ model: string; weight_num: string; weight_den: string }>(
      db,
      sql`SELECT model, weight_num::text, weight_den::text FROM fixing_constituents WHERE fixing_id = ${f.id}::bigint AND NOT capped ORDER BY model`,
    );
    // kept exact: (1 - 0.25 x 2) x V_i over the uncapped volume 2.9e9
    expect(exact.map((e) => [e.model, Number(e.weight_num), Number(e.weight_den)])).toEqual([
      ["glm", 0.5e9, 2.9e9],
      ["glm-air", 0.3e9, 2.9e9],
      ["k2", 0.65e9, 2.9e9],
    ]);
  });

  it("capping applies only when n x c > 1: with 4 constituents the weights stay raw", async () => {
    const { db } = await ctx.fresh();
    await addSheet(db, { provider: "a", as_of: "2026-09-01T00:00:00Z", models: [{ model: "x", input: "1", output: "2" }] });
    await addSheet(db, { provider: "b", as_of: "2026-09-01T00:00:00Z", models: [{ model: "y", input: "1", output: "2" }] });
    await addSheet(db, { provider: "c", as_of: "2026-09-01T00:00:00Z", models: [{ model: "z", input: "1", output: "2" }, { model: "w", input: "1", output: "2" }] });
    for (const [provider, model, v] of [["a", "x", "700"], ["b", "y", "100"], ["c", "z", "100"], ["c", "w", "100"]] as const) {
      await addUsage(db, day(provider, model, T, v, "0"));
    }
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const rows = (await fixingRows(db, f.id)).constituents;
    expect(rows.find((c) => c.model === "x")!.weight).toMatch(/^0\.70*$/);
    expect(rows.every((c) => c.capped === false)).toBe(true);
  });

  it("a weight exactly at the cap is not over it and is not marked capped", async () => {
    const { db } = await ctx.fresh();
    const volumes = ["250", "250", "200", "200", "100"];
    for (const [i, v] of volumes.entries()) {
      await addSheet(db, { provider: `p${i}`, as_of: "2026-09-01T00:00:00Z", models: [{ model: "m", input: "1", output: "1" }] });
      await addUsage(db, day(`p${i}`, "m", T, v, "0"));
    }
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const rows = (await fixingRows(db, f.id)).constituents;
    expect(rows.filter((c) => c.capped)).toHaveLength(0);
    expect(rows.find((c) => c.provider === "p0")!.weight).toMatch(/^0\.250*$/);
  });
});
