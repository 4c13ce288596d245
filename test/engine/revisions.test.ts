import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, fixingRows } from "../support/seed.ts";
import { T, seedBasket } from "./fixture.ts";

describeEachEngine("Restatement: a recompute adds revision n+1 with a reason; nothing is changed in place", (ctx) => {
  it("recomputing the same index and T adds revision 2 and leaves revision 1 exactly as it was", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const r1 = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const before = await fixingRows(db, r1.id);
    await addSheet(db, { provider: "moonshot", as_of: "2026-09-30T00:00:00Z", models: [{ model: "k2", input: "3", cached_input: "1", output: "12" }] });
    const r2 = await computeFixing(db, { index: "CTPI", at: T, kind: "final", reason: "late price sheet" });
    expect([r1.revision, r2.revision]).toEqual([1, 2]);
    expect(r2.value).not.toBe(r1.value);
    expect(await fixingRows(db, r1.id)).toEqual(before);
    const [r] = await rows<{ reason: string }>(db, sql`SELECT reason FROM fixings WHERE id = ${r2.id}::bigint`);
    expect(r!.reason).toBe("late price sheet");
  });

  it("the database itself refuses to update or delete a fixing, its constituents, its inputs or their batches and held states", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await expect(db.execute(sql`UPDATE fixings SET value = 1 WHERE id = ${f.id}::bigint`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM fixings WHERE id = ${f.id}::bigint`)).rejects.toThrow();
    await expect(db.execute(sql`UPDATE fixing_constituents SET weight = 1`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM input_batches`)).rejects.toThrow();
    await expect(db.execute(sql`UPDATE listing_states SET held = true`)).rejects.toThrow();
    await expect(db.execute(sql`TRUNCATE fixing_exclusions`)).rejects.toThrow();
    await expect(db.execute(sql`UPDATE usage_records SET input_tokens = 1`)).rejects.toThrow();
    expect((await fixingRows(db, f.id)).fixing.value).toBe(f.value);
  });

  it("the same inputs give the same inputs_sha256; changed inputs a different one", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const a = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const b = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    expect(b.inputsSha256).toBe(a.inputsSha256);
    expect(b.inputsSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
