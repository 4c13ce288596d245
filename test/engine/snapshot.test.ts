/**
 * Rulebook [1.1] "Inputs by watermark": a fixing reads one consistent snapshot, all input
 * batches up to its watermark and none after, even while imports commit; a recompute at
 * the same watermark gives the same numbers. And one fixing at a time per (index, T).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { importUsageFile } from "../../src/normalise/index.ts";
import { computeFixing, computeFixingIfAbsent, definitionAt, evaluate, inputsSha256, verifyFixing } from "../../src/engine/index.ts";
import { fixingForChain } from "../../src/engine/level.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage } from "../support/seed.ts";
import { testSigner } from "../support/serve.ts";
import { T, at, seedBasket } from "./fixture.ts";

const ROUNDS = 12;

describeEachEngine("Inputs by watermark: one snapshot per fixing, while imports commit", (ctx) => {
  it("fixings computed while usage, prices and FX are imported concurrently each verify and equal a recompute at their watermark", async () => {
    const { db } = await ctx.fresh();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-snapshot-"));
    await seedBasket(db);
    // Writers: every round adds usage to each model, a new deepseek sheet and an FX correction.
    const writers = (async () => {
      for (let i = 0; i < ROUNDS; i++) {
        for (const [p, m] of [["deepseek", "chat"], ["moonshot", "k2"], ["zhipu", "glm"]] as const) {
          await addUsage(db, { provider: p, model: m, start: at(T, -3), end: at(T, -2), input: String(1000 + i), output: String(500 + i) });
        }
        await addSheet(db, {
          provider: "deepseek",
          as_of: `2026-09-${String(10 + i).padStart(2, "0")}T00:00:00Z`,
          models: [
            { model: "chat", input: String(2 + i / 10), cached_input: "0.2", output: "3" },
            { model: "reasoner", input: "4", output: String(16 + i / 10) },
          ],
        });
        await addFx(db, "USD", `7.${10 + i}`, "2026-09-01T00:00:00Z");
        // A usage file the straight way (one COPY into usage_records): new keys in the window,
        // and one in a week of its own, whose partition is made (attached) while fixings read.
        const file = path.join(dir, `round-${i}.csv`);
        fs.writeFileSync(file, [
          "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens",
          `deepseek,reasoner,${at(T, -2)},${new Date(Date.parse(at(T, -2)) + (i + 1) * 60_000).toISOString()},${2000 + i},0,${100 + i}`,
          `deepseek,reasoner,2019-01-01T00:00:00Z,${new Date(Date.UTC(2019, 0, 1) + (i + 1) * 7 * 86_400_000).toISOString()},1,0,1`,
        ].join("\n") + "\n");
        await importUsageFile(db, file);
      }
    })();
    const fixers = (async () => {
      const made = [];
      for (let i = 0; i < ROUNDS; i++) made.push(await computeFixing(db, { index: "CTPI", at: T, kind: "final", reason: `round ${i}`, signer: testSigner }));
      return made;
    })();
    const [, made] = await Promise.all([writers, fixers]);

    const watermarks = new Set(made.map((f) => f.inputsWatermark));
    for (const f of made) {
      const v = await verifyFixing(db, { index: "CTPI", at: T, revision: f.revision });
      expect(v.checks.filter((c) => !c.ok), `revision ${f.revision} at watermark ${f.inputsWatermark}`).toEqual([]);
      // The same evaluation at the same watermark, now that every import has committed.
      const [stored] = await rows<{ definition_version: number; prev_fixing_id: string | null; carried_from_fixing_id: string | null }>(
        db,
        sql`SELECT definition_version, prev_fixing_id::text, carried_from_fixing_id::text FROM fixings WHERE id = ${f.id}::bigint`,
      );
      const def = await definitionAt(db, "CTPI", T);
      expect(def.version).toBe(stored!.definition_version);
      const again = await db.transaction((tx) =>
        fixingForChain(tx, stored!.prev_fixing_id ?? stored!.carried_from_fixing_id).then((prev) => evaluate(tx, def, { at: T, watermark: f.inputsWatermark, prev })),
      );
      expect([again.value, again.level, inputsSha256(again, "final")]).toEqual([f.value, f.level, f.inputsSha256]);
    }
    // The rounds really interleaved on a server; on PGlite they may run back to back.
    if (ctx.engine === "postgres") expect(watermarks.size).toBeGreaterThan(1);
  });

  it("a fixing at a watermark ignores a batch committed after it: same numbers at the old watermark, different at the new one", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const first = await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await addUsage(db, { provider: "zhipu", model: "glm", start: at(T, -2), end: at(T, -1), input: "900000000000", output: "1" });
    const second = await computeFixing(db, { index: "CTPI", at: T, kind: "final", reason: "late data" });
    expect(BigInt(second.inputsWatermark)).toBeGreaterThan(BigInt(first.inputsWatermark));
    expect(second.value).not.toBe(first.value);
    const def = await definitionAt(db, "CTPI", T);
    const atFirst = await db.transaction((tx) => evaluate(tx, def, { at: T, watermark: first.inputsWatermark, prev: null }));
    expect([atFirst.value, inputsSha256(atFirst, "final")]).toEqual([first.value, first.inputsSha256]);
  });

  it("two fixings of the same index and T at once: exactly one is computed, the second waits and then sees it", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const results = await Promise.all([1, 2, 3].map(() => computeFixingIfAbsent(db, { index: "CTPI", at: T, kind: "final" })));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const [count] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM fixings WHERE index_code = 'CTPI' AND fixing_time = ${T}::timestamptz`);
    expect(count!.n).toBe(1);
  });

  it("two recomputes of the same index and T at once get revisions 1 and 2, never the same number twice", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const made = await Promise.all([1, 2].map((i) => computeFixing(db, { index: "CTPI", at: T, kind: "final", reason: `caller ${i}` })));
    expect(made.map((f) => f.revision).sort()).toEqual([1, 2]);
  });
});
