import { sql } from "drizzle-orm";
import { pino } from "pino";
import { expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { computeFixing, recomputeLateData, restateFixing, verifyFixing, type StoredFixing } from "../../src/engine/index.ts";
import { Scheduler } from "../../src/schedule/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, addUsage, day } from "../support/seed.ts";
import { at, seedBasket, T, usage } from "./fixture.ts";

// The rulebook's [1.1] "Restatement cascade": a new revision of a final fixing at T changes
// the levels chained from it; the later finals are recomputed in order, each getting a new
// revision (reason `chain from <T> revision <n>`) only where a published number changes.
// Late data: at each final fixing time the finals of the previous late_data_days (default 3)
// are recomputed the same way, reason `late data`.

const NOW = new Date("2026-10-20T00:00:00Z");
const final = (db: Db, t: string) => computeFixing(db, { index: "CTPI", at: t, kind: "final", now: NOW });

/** Finals on T+0 .. T+n-1, each day with its own usage. */
async function days(db: Db, n: number): Promise<StoredFixing[]> {
  await seedBasket(db);
  const out: StoredFixing[] = [];
  for (let d = 0; d < n; d++) {
    if (d > 0) await usage(db, at(T, d));
    out.push(await final(db, at(T, d)));
  }
  return out;
}

async function revisions(db: Db, t: string): Promise<{ revision: number; reason: string; level: string | null; value: string | null }[]> {
  return rows(db, sql`SELECT revision::int AS revision, reason, level::text AS level, value::text AS value FROM fixings
    WHERE index_code = 'CTPI' AND kind = 'final' AND fixing_time = ${t}::timestamptz ORDER BY revision`);
}

/** A cheaper moonshot sheet in force from between day 0 and day 1: day 1's level moves. */
const cheaperMoonshot = (db: Db, asOf = at(T, 0.5)) =>
  addSheet(db, { provider: "moonshot", as_of: asOf, models: [{ model: "k2", input: "3.2", cached_input: "1", output: "12.8" }] });

describeEachEngine("Restatement cascade [1.1]: the finals chained from a restated final get new revisions in order", (ctx) => {
  it("restating day 1 gives days 2..4 revision 2 (reason `chain from <T> revision 2`), recomputed with the correction; each verifies", async () => {
    const { db } = await ctx.fresh();
    const before = await days(db, 5);
    await cheaperMoonshot(db);
    const r = await restateFixing(db, { index: "CTPI", at: at(T, 1), reason: "corrected moonshot sheet", now: NOW });
    expect(r.revision).toBe(2);
    expect(r.level).not.toBe(before[1]!.level);
    const reason = `chain from ${at(T, 1)} revision 2`;
    expect(r.chained?.map((c) => [c.fixingTime, c.revision])).toEqual([2, 3, 4].map((d) => [at(T, d), 2]));
    for (const d of [2, 3, 4]) {
      const [first, second] = await revisions(db, at(T, d));
      expect(second).toMatchObject({ revision: 2, reason });
      // Recomputed with every input visible now: the cheaper sheet is in force on day d too,
      // so the value moves; the level chains from the restated day 1.
      expect(second!.value).not.toBe(first!.value);
      expect(second!.level).toBe(r.level);
      const v = await verifyFixing(db, { index: "CTPI", at: at(T, d) });
      expect(v.checks.filter((c) => c.name !== "signature")).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: "numbers", ok: true }), expect.objectContaining({ name: "inputs_sha256", ok: true })]),
      );
    }
    // Day 0, before the restated one, is untouched.
    expect(await revisions(db, at(T, 0))).toHaveLength(1);
  });

  it("each chained level is round6(previous published level x the day's basket ratio): unchanged prices keep the restated level", async () => {
    const { db } = await ctx.fresh();
    await days(db, 4);
    await cheaperMoonshot(db);
    const r = await restateFixing(db, { index: "CTPI", at: at(T, 1), reason: "corrected", now: NOW });
    // Days 2 and 3 have the same prices as the restated day 1: ratio 1.
    expect(r.chained?.map((c) => c.level)).toEqual([r.level, r.level]);
  });

  it("a restatement that changes no published number adds no revision to the later finals", async () => {
    const { db } = await ctx.fresh();
    await days(db, 4);
    const r = await restateFixing(db, { index: "CTPI", at: at(T, 1), reason: "operator check", now: NOW });
    expect(r.revision).toBe(2);
    expect(r.chained).toBeUndefined();
    for (const d of [2, 3]) expect(await revisions(db, at(T, d))).toHaveLength(1);
  });

  it("an insufficient final in the chain carries the restated value in a new revision, and the chain goes on past it", async () => {
    const { db } = await ctx.fresh();
    await days(db, 2);
    // Day 2: zhipu lists nothing -> 3 constituents at 2 providers: insufficient, carrying day 1.
    await addSheet(db, { provider: "zhipu", as_of: at(T, 1.5), models: [] });
    await usage(db, at(T, 2));
    const d2 = await final(db, at(T, 2));
    expect(d2.status).toBe("insufficient");
    // Day 3: zhipu is back.
    await addSheet(db, { provider: "zhipu", as_of: at(T, 2.5), currency: "USD", unit: "per_token", models: [
      { model: "glm", input: "0.0000006", output: "0.0000022" },
      { model: "glm-air", input: "0.0000002", output: "0.0000011" },
    ] });
    await usage(db, at(T, 3));
    const d3 = await final(db, at(T, 3));
    expect(d3.status).toBe("ok");

    await cheaperMoonshot(db);
    const r = await restateFixing(db, { index: "CTPI", at: at(T, 1), reason: "corrected", now: NOW });
    expect(r.chained?.map((c) => [c.fixingTime, c.status])).toEqual([[at(T, 2), "insufficient"], [at(T, 3), "ok"]]);
    expect(r.chained![0]!.value).toBe(r.value);
    expect(r.chained![1]!.level).not.toBe(d3.level);
  });

  it("the month's settlement is restated once with the chained revisions", async () => {
    const { db } = await ctx.fresh();
    await days(db, 3);
    await cheaperMoonshot(db);
    await restateFixing(db, { index: "CTPI", at: at(T, 1), reason: "corrected", now: NOW });
    const [s] = await rows<{ revision: number; ids: string }>(db, sql`
      SELECT s.revision::int AS revision, string_agg(f.fixing_time::text || ' r' || f.revision, ', ' ORDER BY f.fixing_time) AS ids
      FROM settlements s JOIN settlement_fixings sf ON sf.settlement_id = s.id JOIN fixings f ON f.id = sf.fixing_id
      WHERE s.index_code = 'CTPI' AND s.month = '2026-10' GROUP BY s.id, s.revision ORDER BY s.revision DESC LIMIT 1`);
    expect(s!.revision).toBe(4); // three days, then one for the restatement and its chain
    expect(s!.ids.match(/ r\d/g)).toEqual([" r1", " r2", " r2"]);
  });
});

describeEachEngine("Late data [1.1]: before each final, the finals of the previous late_data_days are recomputed", (ctx) => {
  it("a usage correction inside day 3's window restates day 3 (reason `late data`) when day 4 is due; days 1 and 2 stay", async () => {
    const { db } = await ctx.fresh();
    await days(db, 4);
    // A correction of a record ending at day 3: in the windows of day 3 onwards only.
    await addUsage(db, day("moonshot", "k2", at(T, 3), "4000000000", "300000000"));
    const late = await recomputeLateData(db, { index: "CTPI", at: at(T, 4), now: NOW });
    expect(late.map((f) => [f.fixingTime, f.revision])).toEqual([[at(T, 3), 2]]);
    expect((await revisions(db, at(T, 3)))[1]).toMatchObject({ reason: "late data" });
    for (const d of [1, 2]) expect(await revisions(db, at(T, d))).toHaveLength(1);
    // Run again (a second scheduler, a restart): nothing changes any more.
    expect(await recomputeLateData(db, { index: "CTPI", at: at(T, 4), now: NOW })).toEqual([]);
  });

  it("data later than late_data_days days is not taken in; nothing is recomputed once T's final exists", async () => {
    const { db } = await ctx.fresh();
    await days(db, 5);
    await addUsage(db, day("moonshot", "k2", at(T, 1), "4000000000", "300000000"));
    // Day 5 looks back at days 2..4 (whose windows hold day 1's record too): they change, day 1 does not.
    const late = await recomputeLateData(db, { index: "CTPI", at: at(T, 5), now: NOW });
    expect(late.map((f) => f.fixingTime)).toEqual([at(T, 2), at(T, 3), at(T, 4)]);
    expect(await revisions(db, at(T, 1))).toHaveLength(1);
    // Day 4 exists: asking before day 4 does nothing.
    expect(await recomputeLateData(db, { index: "CTPI", at: at(T, 4), now: NOW })).toEqual([]);
  });

  it("the scheduler runs it before a due final", async () => {
    const { db } = await ctx.fresh();
    await days(db, 3);
    await usage(db, at(T, 3));
    await addUsage(db, day("moonshot", "k2", at(T, 2), "4000000000", "300000000"));
    const s = new Scheduler({ db, log: pino({ level: "silent" }), now: () => new Date(Date.parse(at(T, 3)) + 60_000), indices: ["CTPI"], catchUpDays: 1, indicatives: false });
    const report = await s.tick();
    expect(report.lateData.map((f) => [f.fixingTime, f.revision])).toEqual([[at(T, 2), 2]]);
    expect(report.computed.map((f) => f.fixingTime)).toEqual([at(T, 3)]);
  });
});
