import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isoUtc, rows, type Db } from "../../src/db/index.ts";
import { backfill, computeFixing, definitionAt, restateFixing, settleMonth, type StoredFixing } from "../../src/engine/index.ts";
import { loadSettlement } from "../../src/publish/read/settlement.ts";
import { generateKeyPem, signerFromPem } from "../../src/signing/index.ts";
import { insertFixing } from "../publish/fixtures.ts";
import { describeEachEngine } from "../support/engines.ts";
import { D } from "../support/reference.ts";
import { addFx, addSheet, addUsage, day } from "../support/seed.ts";
import { at } from "./fixture.ts";

// Settlement prices (methodology-v1 "Settlement prices"): expected numbers are computed
// here with decimal.js from the published fixing values, never by the SQL under test.

const SEP_1 = "2026-09-01T08:00:00Z"; // 16:00 Asia/Shanghai, the scheduled final fixing

type Settlement = {
  id: string;
  revision: number;
  value: string | null;
  provisional: boolean;
  fixing_count: number;
  reason: string;
  kid: string | null;
  sig: string | null;
  fixings: { fixingTime: string; revision: number }[];
};

async function settlements(db: Db, month: string, index = "CTPI"): Promise<Settlement[]> {
  const found = await rows<Omit<Settlement, "fixings">>(
    db,
    sql`SELECT id::text, revision::int AS revision, value::text, provisional, fixing_count::int AS fixing_count, reason, kid, sig
        FROM settlements WHERE index_code = ${index} AND month = ${month} ORDER BY revision`,
  );
  const out: Settlement[] = [];
  for (const s of found) {
    const fixings = await rows<{ fixing_time: string; revision: number }>(
      db,
      sql`SELECT f.fixing_time, f.revision::int AS revision FROM settlement_fixings sf JOIN fixings f ON f.id = sf.fixing_id
          WHERE sf.settlement_id = ${s.id}::bigint ORDER BY f.fixing_time`,
    );
    out.push({ ...s, fixings: fixings.map((f) => ({ fixingTime: isoUtc(f.fixing_time), revision: f.revision })) });
  }
  return out;
}

async function latest(db: Db, month: string, index = "CTPI"): Promise<Settlement> {
  const all = await settlements(db, month, index);
  if (all.length === 0) throw new Error(`no settlement for ${month}`);
  return all[all.length - 1]!;
}

/** The rule, independently: mean of the published values, half-even to 6 decimals. */
function expectedMean(values: (string | null)[]): string | null {
  const counted = values.filter((v): v is string => v !== null);
  if (counted.length === 0) return null;
  const sum = counted.reduce((acc, v) => acc.plus(v), new D(0));
  return sum.div(counted.length).toDecimalPlaces(6, D.ROUND_HALF_EVEN).toFixed(6);
}

/** The latest revision of each final fixing computed, by fixing time. */
class Published {
  private readonly byTime = new Map<string, StoredFixing>();
  add(f: StoredFixing): StoredFixing {
    this.byTime.set(f.fixingTime, f);
    return f;
  }
  in(from: string, to: string): StoredFixing[] {
    return [...this.byTime.values()]
      .filter((f) => Date.parse(f.fixingTime) >= Date.parse(from) && Date.parse(f.fixingTime) < Date.parse(to))
      .sort((a, b) => Date.parse(a.fixingTime) - Date.parse(b.fixingTime));
  }
}

const listOf = (fs: StoredFixing[]) => fs.filter((f) => f.value !== null).map((f) => ({ fixingTime: f.fixingTime, revision: f.revision }));

/** Five CN constituents at three providers, prices in force from 2026-08-01. */
async function seedSheets(db: Db): Promise<void> {
  await addFx(db, "USD", "7.1", "2026-08-01T00:00:00Z");
  await addSheet(db, { provider: "deepseek", as_of: "2026-08-01T00:00:00Z", models: [
    { model: "chat", input: "2", cached_input: "0.2", output: "3" },
    { model: "reasoner", input: "4", output: "16" },
  ] });
  await moonshot(db, "2026-08-01T00:00:00Z", "4", "16");
  await addSheet(db, { provider: "zhipu", as_of: "2026-08-01T00:00:00Z", currency: "USD", unit: "per_token", models: [
    { model: "glm", input: "0.0000006", output: "0.0000022" },
    { model: "glm-air", input: "0.0000002", output: "0.0000011" },
  ] });
}

async function moonshot(db: Db, asOf: string, input: string, output: string): Promise<void> {
  await addSheet(db, { provider: "moonshot", as_of: asOf, models: [{ model: "k2", input, cached_input: "1", output }] });
}

/** One day of usage per model ending at t, the mix moving with d so each day's value differs. */
async function dailyUsage(db: Db, t: string, d: number): Promise<void> {
  const k = BigInt(d);
  const volumes: [string, string, bigint, bigint, bigint?][] = [
    ["deepseek", "chat", 9_000_000_000n + k * 137_000_000n, 1_000_000_000n, 5_000_000_000n],
    ["deepseek", "reasoner", 2_000_000_000n, 500_000_000n + k * 41_000_000n],
    ["moonshot", "k2", 1_000_000_000n + k * 29_000_000n, 300_000_000n],
    ["zhipu", "glm", 800_000_000n, 200_000_000n + k * 7_000_000n],
    ["zhipu", "glm-air", 500_000_000n + ((k * 53_000_000n) % 400_000_000n), 100_000_000n],
  ];
  for (const [p, m, i, o, c] of volumes) await addUsage(db, day(p, m, t, String(i), String(o), c === undefined ? undefined : String(c)));
}

// September's fixings are computed on a clock in early October, before September's cut-off
// (10-05 16:00 Shanghai), as the scheduler would have: after it the settlement is final.
const OCTOBER_1 = new Date("2026-10-01T00:00:00Z");

const final = (db: Db, t: string, extra: { reason?: string; signer?: ReturnType<typeof signerFromPem>; now?: Date } = {}) =>
  computeFixing(db, { index: "CTPI", at: t, kind: "final", now: OCTOBER_1, ...extra });

describeEachEngine("Settlement price: the mean of the month's final fixings, latest revision of each, provisional until the month's last fixing", (ctx) => {
  it("a month of fixings with one restated mid-month gives the mean of the latest revisions, provisional until the last fixing of the month, with its fixing list", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    const published = new Published();
    for (let d = 0; d < 29; d++) {
      const t = at(SEP_1, d);
      await dailyUsage(db, t, d);
      published.add(await final(db, t));
    }
    const september = () => published.in("2026-08-31T16:00:00Z", "2026-09-30T16:00:00Z");
    let s = await latest(db, "2026-09");
    expect(s.provisional).toBe(true);
    expect(s.value).toBe(expectedMean(september().map((f) => f.value)));
    expect(s.fixings).toEqual(listOf(september()));
    expect(s.fixing_count).toBe(29);
    expect(new Set(september().map((f) => f.value)).size).toBeGreaterThan(20); // the days really differ

    // A late moonshot sheet in force from 09-14 restates the 09-15 fixing as revision 2.
    const mid = at(SEP_1, 14);
    const before = published.in(mid, at(mid, 1))[0]!;
    await moonshot(db, "2026-09-14T00:00:00Z", "3.5", "14");
    const restated = published.add(await final(db, mid, { reason: "late price sheet" }));
    expect(restated.revision).toBe(2);
    // The later finals chain their levels from it: each gets a new revision (cascade).
    expect(restated.chained?.map((c) => c.fixingTime)).toEqual(Array.from({ length: 14 }, (_, i) => at(mid, i + 1)));
    for (const c of restated.chained ?? []) published.add(c);
    expect(restated.value).not.toBe(before.value);
    s = await latest(db, "2026-09");
    expect(s.provisional).toBe(true);
    expect(s.value).toBe(expectedMean(september().map((f) => f.value)));
    expect(s.fixings).toContainEqual({ fixingTime: mid, revision: 2 });
    expect(s.fixings).not.toContainEqual({ fixingTime: mid, revision: 1 });
    expect(s.reason).toBe(`fixing ${mid} revision 2: late price sheet`);

    // The month's last fixing (09-30 16:00 Asia/Shanghai) ends the provisional state.
    const last = at(SEP_1, 29);
    await dailyUsage(db, last, 29);
    published.add(await final(db, last));
    s = await latest(db, "2026-09");
    expect(s.provisional).toBe(false);
    expect(september()).toHaveLength(30);
    expect(s.value).toBe(expectedMean(september().map((f) => f.value)));
    expect(s.fixings).toEqual(listOf(september()));
    expect(s.fixings[0]).toEqual({ fixingTime: SEP_1, revision: 1 });
    expect(s.fixings[29]).toEqual({ fixingTime: "2026-09-30T08:00:00Z", revision: 1 });
    // one revision per fixing computed: 29 + the restatement + the last day
    expect(s.revision).toBe(31);
  });

  it("indicative fixings are not averaged and add no settlement revision", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await dailyUsage(db, SEP_1, 0);
    const f = await final(db, SEP_1);
    await computeFixing(db, { index: "CTPI", at: "2026-09-01T09:15:00Z", kind: "indicative", now: OCTOBER_1 });
    const all = await settlements(db, "2026-09");
    expect(all).toHaveLength(1);
    expect(all[0]!.fixings).toEqual([{ fixingTime: SEP_1, revision: 1 }]);
    expect(all[0]!.value).toBe(f.value);
  });

  it("each index settles on its own fixings", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await dailyUsage(db, SEP_1, 0);
    const ctpi = await final(db, SEP_1);
    const out = await computeFixing(db, { index: "CTPI-OUT", at: SEP_1, kind: "final", now: OCTOBER_1 });
    expect((await latest(db, "2026-09", "CTPI")).value).toBe(ctpi.value);
    expect((await latest(db, "2026-09", "CTPI-OUT")).value).toBe(out.value);
    expect(out.value).not.toBe(ctpi.value);
  });
});

describeEachEngine("Settlement price: insufficient fixings count with their carried value; those with no value yet are left out", (ctx) => {
  it("an insufficient fixing counts with the value it carries, and one with no value yet is left out", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    // 09-01: zhipu lists nothing -> 3 constituents, insufficient, no ok fixing to carry: no value.
    await addSheet(db, { provider: "zhipu", as_of: "2026-08-31T00:00:00Z", models: [] });
    await dailyUsage(db, SEP_1, 0);
    const d1 = await final(db, SEP_1);
    expect([d1.status, d1.value]).toEqual(["insufficient", null]);
    let s = await latest(db, "2026-09");
    expect([s.value, s.fixing_count, s.fixings, s.provisional]).toEqual([null, 0, [], true]);

    // 09-02: zhipu is back -> ok.
    await addSheet(db, { provider: "zhipu", as_of: at(SEP_1, 0.5), currency: "USD", unit: "per_token", models: [
      { model: "glm", input: "0.0000006", output: "0.0000022" },
      { model: "glm-air", input: "0.0000002", output: "0.0000011" },
    ] });
    await dailyUsage(db, at(SEP_1, 1), 1);
    const d2 = await final(db, at(SEP_1, 1));
    expect(d2.status).toBe("ok");
    // 09-03: moonshot lists nothing -> 4 constituents at 2 providers: insufficient, carrying 09-02.
    await addSheet(db, { provider: "moonshot", as_of: at(SEP_1, 1.5), models: [] });
    await dailyUsage(db, at(SEP_1, 2), 2);
    const d3 = await final(db, at(SEP_1, 2));
    expect([d3.status, d3.value]).toEqual(["insufficient", d2.value]);
    // 09-04: moonshot is back at another price -> ok with a different value.
    await moonshot(db, at(SEP_1, 2.5), "4.2", "15");
    await dailyUsage(db, at(SEP_1, 3), 3);
    const d4 = await final(db, at(SEP_1, 3));
    expect(d4.status).toBe("ok");
    expect(d4.value).not.toBe(d2.value);

    s = await latest(db, "2026-09");
    expect(s.value).toBe(expectedMean([d1.value, d2.value, d3.value, d4.value]));
    expect(s.value).not.toBe(expectedMean([d2.value, d4.value])); // the carried value really counts
    expect(s.fixings).toEqual([
      { fixingTime: at(SEP_1, 1), revision: 1 },
      { fixingTime: at(SEP_1, 2), revision: 1 },
      { fixingTime: at(SEP_1, 3), revision: 1 },
    ]);
    expect(s.fixing_count).toBe(3);
  });

  it("a fixing that leaves value, provisional state and fixing list unchanged adds no settlement revision", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await addSheet(db, { provider: "zhipu", as_of: "2026-08-31T00:00:00Z", models: [] });
    await dailyUsage(db, SEP_1, 0);
    await final(db, SEP_1);
    const again = await final(db, SEP_1, { reason: "recompute" }); // still no value: nothing to average
    expect(again.revision).toBe(2);
    expect(await settlements(db, "2026-09")).toHaveLength(1);
  });
});

describeEachEngine("Settlement price: the calendar month is taken in the index's fixing time zone (Asia/Shanghai)", (ctx) => {
  // Under 1.1 a final is computed only at 16:00 Shanghai (08:00Z), where the UTC and local
  // dates agree; fixings stored at other times (as 1.0 allowed) still belong to the month
  // of their local date. Those are written straight into the table.
  it("a fixing belongs to the month of its local time: 2026-09-30T08:00Z to September, 2026-09-30T16:00Z to October", async () => {
    const { db } = await ctx.fresh();
    const def = await definitionAt(db, "CTPI", SEP_1);
    const times = {
      lastOfAugust: "2026-08-31T15:59:59Z", // 23:59:59 on 08-31 in Shanghai
      firstOfSeptember: "2026-08-31T16:00:00Z", // 00:00 on 09-01 in Shanghai
      septemberFixing: "2026-09-30T08:00:00Z", // 16:00 on 09-30: September's last fixing
      lateSeptember: "2026-09-30T15:59:59.5Z", // 23:59:59.5 on 09-30
      firstOfOctober: "2026-09-30T16:00:00Z", // 00:00 on 10-01 in Shanghai
    };
    const values: Record<string, string> = {
      lastOfAugust: "4.000000",
      firstOfSeptember: "4.100000",
      septemberFixing: "3.900000",
      lateSeptember: "4.300000",
      firstOfOctober: "4.400000",
    };
    for (const [name, t] of Object.entries(times)) {
      await insertFixing(db, { index: "CTPI", fixingTime: t, value: values[name]!, level: "1000", computedAt: t });
    }
    for (const month of ["2026-08", "2026-09", "2026-10"]) await db.transaction((tx) => settleMonth(tx, def, { month, reason: "test" }));

    const august = await latest(db, "2026-08");
    expect(august.fixings).toEqual([{ fixingTime: times.lastOfAugust, revision: 1 }]);
    expect(august.provisional).toBe(true); // 2026-08-31T08:00Z is not there

    const september = await latest(db, "2026-09");
    expect(september.fixings.map((f) => f.fixingTime)).toEqual([times.firstOfSeptember, times.septemberFixing, times.lateSeptember]);
    expect(september.value).toBe(expectedMean([values.firstOfSeptember!, values.septemberFixing!, values.lateSeptember!]));
    expect(september.provisional).toBe(false);

    const october = await latest(db, "2026-10");
    expect(october.fixings).toEqual([{ fixingTime: times.firstOfOctober, revision: 1 }]);
    expect(october.value).toBe(values.firstOfOctober);
    expect(october.provisional).toBe(true);
  });

  it("September stays provisional until its 09-30 16:00 Shanghai fixing, whatever came before it", async () => {
    const { db } = await ctx.fresh();
    const def = await definitionAt(db, "CTPI", SEP_1);
    await seedSheets(db);
    await dailyUsage(db, "2026-09-29T00:00:00Z", 0);
    await insertFixing(db, { index: "CTPI", fixingTime: "2026-09-30T07:59:59Z", value: "4.000000", level: "1000", computedAt: "2026-09-30T07:59:59Z" });
    await db.transaction((tx) => settleMonth(tx, def, { month: "2026-09", reason: "test" }));
    expect((await latest(db, "2026-09")).provisional).toBe(true);
    await final(db, "2026-09-30T08:00:00Z");
    expect((await latest(db, "2026-09")).provisional).toBe(false);
  });
});

describeEachEngine("Settlement price: rounded half-even to 6 decimals", (ctx) => {
  // Published fixing values with an exact tie in their mean cannot be produced on purpose
  // from price sheets, so these two months' fixings are written straight into the table.
  it("a mean that falls exactly between two 6-decimal values goes to the even one", async () => {
    const { db } = await ctx.fresh();
    const def = await definitionAt(db, "CTPI", SEP_1);
    const cases: [string, string[], string][] = [
      ["2026-09", ["2.000001", "2.000002"], "2.000002"], // 2.0000015 -> even 2
      ["2026-10", ["2.000002", "2.000003"], "2.000002"], // 2.0000025 -> even 2
      ["2026-11", ["1.000000", "1.000000", "1.000001"], "1.000000"], // 1.000000333...
      ["2026-12", ["1.000001", "1.000001", "1.000000"], "1.000001"], // 1.000000666...
    ];
    for (const [month, values, expected] of cases) {
      for (const [i, value] of values.entries()) {
        await insertFixing(db, { index: "CTPI", fixingTime: `${month}-0${i + 2}T08:00:00Z`, value, level: "1000", computedAt: `${month}-0${i + 2}T08:00:01Z` });
      }
      const stored = await db.transaction((tx) => settleMonth(tx, def, { month, reason: "test" }));
      expect(stored?.value).toBe(expected);
      expect(expectedMean(values)).toBe(expected);
    }
  });
});

describeEachEngine("Settlement price: signed over the ciyuan-settlement/1 text", (ctx) => {
  it("the stored signature verifies with node:crypto over the ciyuan-settlement/1 text, and the key is recorded", async () => {
    const { db } = await ctx.fresh();
    const pem = generateKeyPem();
    const signer = signerFromPem(pem);
    await seedSheets(db);
    const fs: StoredFixing[] = [];
    for (let d = 0; d < 3; d++) {
      await dailyUsage(db, at(SEP_1, d), d);
      fs.push(await final(db, at(SEP_1, d), { signer }));
    }
    const s = await latest(db, "2026-09");
    expect(s.kid).toBe(signer.kid);
    const text = [
      "ciyuan-settlement/1",
      "CTPI",
      "2026-09",
      expectedMean(fs.map((f) => f.value)),
      "true",
      `${SEP_1} 1`,
      `${at(SEP_1, 1)} 1`,
      `${at(SEP_1, 2)} 1`,
    ].join("\n");
    expect(text).toMatch(/\n\d+\.\d{6}\ntrue\n2026-09-01T08:00:00Z 1\n/);
    const publicKey = createPublicKey(createPrivateKey(pem));
    expect(verify(null, Buffer.from(text, "utf8"), publicKey, Buffer.from(s.sig!, "base64url"))).toBe(true);
    expect(verify(null, Buffer.from(text.replace("true", "false"), "utf8"), publicKey, Buffer.from(s.sig!, "base64url"))).toBe(false);
    const [key] = await rows<{ public_key: string }>(db, sql`SELECT public_key FROM signing_keys WHERE kid = ${signer.kid}`);
    expect(key!.public_key).toBe(publicKey.export({ type: "spki", format: "pem" }).toString());
  });

  it("without a signer the settlement is stored unsigned", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await dailyUsage(db, SEP_1, 0);
    await final(db, SEP_1);
    const s = await latest(db, "2026-09");
    expect([s.kid, s.sig]).toEqual([null, null]);
  });
});

describeEachEngine("Settlement price: a restated fixing restates the settlement as a new revision, never an overwrite", (ctx) => {
  it("restating a fixing adds settlement revision n+1 and leaves revision n exactly as it was", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await dailyUsage(db, SEP_1, 0);
    const d1 = await final(db, SEP_1);
    await dailyUsage(db, at(SEP_1, 1), 1);
    const d2 = await final(db, at(SEP_1, 1));
    const before = await settlements(db, "2026-09");
    expect(before.map((s) => s.revision)).toEqual([1, 2]);
    expect(before[1]!.value).toBe(expectedMean([d1.value, d2.value]));

    await moonshot(db, "2026-08-31T12:00:00Z", "3.6", "14.5");
    const r = await final(db, SEP_1, { reason: "corrected moonshot sheet" });
    // 09-02 chains its level from 09-01 (and the corrected sheet is in force for it too):
    // the cascade gives it revision 2.
    expect(r.chained).toEqual([expect.objectContaining({ fixingTime: at(SEP_1, 1), revision: 2 })]);
    const d2r = r.chained![0]!;
    const after = await settlements(db, "2026-09");
    expect(after.slice(0, 2)).toEqual(before);
    expect(after).toHaveLength(3);
    expect(after[2]).toMatchObject({
      revision: 3,
      value: expectedMean([r.value, d2r.value]),
      reason: `fixing ${SEP_1} revision 2: corrected moonshot sheet`,
      fixings: [{ fixingTime: SEP_1, revision: 2 }, { fixingTime: at(SEP_1, 1), revision: 2 }],
    });
    expect(after[2]!.value).not.toBe(before[1]!.value);
  });

  it("the database refuses to update or delete a settlement or its fixing list", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    await dailyUsage(db, SEP_1, 0);
    await final(db, SEP_1);
    await expect(db.execute(sql`UPDATE settlements SET value = 1`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM settlements`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM settlement_fixings`)).rejects.toThrow();
  });

  it("fixings of one month computed at the same time number their settlement revisions one after the other", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    for (let d = 0; d < 4; d++) await dailyUsage(db, at(SEP_1, d), d);
    const done = await Promise.all([0, 1, 2, 3].map((d) => final(db, at(SEP_1, d))));
    const all = await settlements(db, "2026-09");
    // Each settlement is computed after its fixing commits, under the month's lock, and sees
    // every final committed before it; one that finds nothing new adds no revision.
    expect(all.map((s) => s.revision)).toEqual(all.map((_, i) => i + 1));
    const last = all.at(-1)!;
    expect(last.fixings.map((f) => f.fixingTime)).toEqual(done.map((f) => f.fixingTime));
    const counts = all.map((s) => s.fixing_count);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(new Set(counts).size).toBe(counts.length);
    expect(counts.at(-1)).toBe(4);
  });
});

describeEachEngine("Settlement price [1.1]: coverage — expected, used and missing days, complete", (ctx) => {
  const coverage = async (db: Db, now: string) => (await loadSettlement(db, { index: "CTPI", month: "2026-09", now: new Date(now) }))!.coverage;

  it("a day is expected once its 16:00 Asia/Shanghai has passed; a day without a final is missing", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    for (let d = 0; d < 10; d++) {
      if (d === 4) continue; // no final on 09-05
      await dailyUsage(db, at(SEP_1, d), d);
      await final(db, at(SEP_1, d));
    }
    expect(await coverage(db, "2026-09-10T08:00:00Z")).toMatchObject({
      fixingsExpected: 10, fixingsUsed: 9, fixingsMissing: ["2026-09-05"], complete: false, final: false,
    });
    // 09-11's final time has not passed at 07:59:59Z: not yet expected, so not missing.
    expect(await coverage(db, "2026-09-11T07:59:59Z")).toMatchObject({ fixingsExpected: 10, fixingsMissing: ["2026-09-05"] });
    const later = await coverage(db, "2026-10-02T00:00:00Z");
    expect(later.fixingsExpected).toBe(30);
    expect(later.fixingsMissing).toEqual(["2026-09-05", ...Array.from({ length: 20 }, (_, i) => `2026-09-${String(11 + i).padStart(2, "0")}`)]);
    expect(later.complete).toBe(false);
  });

  it("complete = the month is over and no day is missing", async () => {
    const { db } = await ctx.fresh();
    const def = await definitionAt(db, "CTPI", SEP_1);
    for (let d = 0; d < 30; d++) {
      await insertFixing(db, { index: "CTPI", fixingTime: at(SEP_1, d), value: "4.000000", level: "1000", computedAt: at(SEP_1, d) });
    }
    await db.transaction((tx) => settleMonth(tx, def, { month: "2026-09", reason: "test", now: OCTOBER_1 }));
    expect(await coverage(db, "2026-09-30T08:00:00Z")).toMatchObject({ fixingsExpected: 30, fixingsUsed: 30, fixingsMissing: [], complete: false });
    expect(await coverage(db, "2026-09-30T16:00:00Z")).toMatchObject({ fixingsExpected: 30, fixingsMissing: [], complete: true });
  });
});

describeEachEngine("Settlement price [1.1]: final at the cut-off (16:00 Shanghai on the 5th of the next month), restated_after_cutoff", (ctx) => {
  const CUTOFF = "2026-10-05T08:00:00Z";

  it("before the cut-off a restatement adds a settlement revision; after it, the settlement stays and names the restated fixing", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    for (let d = 0; d < 3; d++) {
      await dailyUsage(db, at(SEP_1, d), d);
      await final(db, at(SEP_1, d));
    }
    expect(await settlements(db, "2026-09")).toHaveLength(3);
    // One second before the cut-off: the restatement restates the settlement.
    await moonshot(db, "2026-08-31T12:00:00Z", "3.6", "14.5");
    await restateFixing(db, { index: "CTPI", at: SEP_1, reason: "corrected sheet", now: new Date(Date.parse(CUTOFF) - 1000) });
    const before = await settlements(db, "2026-09");
    expect(before).toHaveLength(4);
    expect(before[3]!.fixings[0]).toEqual({ fixingTime: SEP_1, revision: 2 });

    // At the cut-off: the fixing gets revision 3 as usual, the settlement does not change.
    await moonshot(db, "2026-08-31T13:00:00Z", "3.7", "14.6");
    const r3 = await restateFixing(db, { index: "CTPI", at: SEP_1, reason: "another correction", now: new Date(CUTOFF) });
    expect(r3.revision).toBe(3);
    expect(await settlements(db, "2026-09")).toEqual(before);

    const view = (await loadSettlement(db, { index: "CTPI", month: "2026-09", now: new Date(CUTOFF) }))!;
    expect(view.revision).toBe(4);
    expect(view.coverage).toMatchObject({ cutoff: CUTOFF, final: true });
    // 09-01 and the finals chained from it (cascade) were restated after the cut-off.
    expect(view.coverage.restatedAfterCutoff).toEqual([
      { fixingTime: SEP_1, settledRevision: 2, revision: 3 },
      { fixingTime: at(SEP_1, 1), settledRevision: 2, revision: 3 },
      { fixingTime: at(SEP_1, 2), settledRevision: 2, revision: 3 },
    ]);
    // Before the cut-off the same revision is not final, and names nothing.
    const earlier = (await loadSettlement(db, { index: "CTPI", month: "2026-09", now: new Date(Date.parse(CUTOFF) - 1000) }))!;
    expect(earlier.coverage).toMatchObject({ final: false, restatedAfterCutoff: [] });
    // An earlier revision is never final.
    const first = (await loadSettlement(db, { index: "CTPI", month: "2026-09", revision: 1, now: new Date(CUTOFF) }))!;
    expect(first.coverage.final).toBe(false);
  });

  it("a month first settled after its cut-off (history backfilled later) gets one settlement, final at once", async () => {
    const { db } = await ctx.fresh();
    const def = await definitionAt(db, "CTPI", SEP_1);
    await insertFixing(db, { index: "CTPI", fixingTime: SEP_1, value: "4.000000", level: "1000", computedAt: SEP_1 });
    const now = new Date("2026-12-01T00:00:00Z");
    expect(await db.transaction((tx) => settleMonth(tx, def, { month: "2026-09", reason: "test", now }))).not.toBeNull();
    await insertFixing(db, { index: "CTPI", fixingTime: at(SEP_1, 1), value: "5.000000", level: "1000", computedAt: at(SEP_1, 1) });
    expect(await db.transaction((tx) => settleMonth(tx, def, { month: "2026-09", reason: "test", now }))).toBeNull();
    expect((await loadSettlement(db, { index: "CTPI", month: "2026-09", now }))!.coverage.final).toBe(true);
  });
});

describeEachEngine("Settlement price [1.1]: a backfill settles each month once", (ctx) => {
  it("a backfill of September adds one settlement revision (not thirty); a rerun adds none", async () => {
    const { db } = await ctx.fresh();
    await seedSheets(db);
    for (let d = 0; d < 30; d++) await dailyUsage(db, at(SEP_1, d), d);
    const r = await backfill(db, { index: "CTPI", from: "2026-09-01", to: "2026-09-30", now: OCTOBER_1 });
    expect(r.computed).toHaveLength(30);
    const all = await settlements(db, "2026-09");
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ revision: 1, provisional: false, fixing_count: 30, reason: "backfill 2026-09-01..2026-09-30" });
    expect(all[0]!.value).toBe(expectedMean(r.computed.map((f) => f.value)));
    await backfill(db, { index: "CTPI", from: "2026-09-01", to: "2026-09-30", now: OCTOBER_1 });
    expect(await settlements(db, "2026-09")).toHaveLength(1);
  });
});

describe("expectedMean (the test's own reference)", () => {
  it("rounds ties to even", () => {
    expect(expectedMean(["0.0000005", "0"])).toBe("0.000000");
    expect(expectedMean([null])).toBeNull();
  });
});
