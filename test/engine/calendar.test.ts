// Rulebook [1.1] "Calendar": a final fixing exists only at 16:00 Asia/Shanghai (08:00Z)
// of a calendar day, an indicative one only on a quarter hour, and neither after the
// moment of computation. Such a request is refused, never stored, never signed.
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { backfill, computeFixing, definitionAt, isFinalTime, isQuarterHour } from "../../src/engine/index.ts";
import { CiyuanError } from "../../src/errors.ts";
import { describeEachEngine } from "../support/engines.ts";
import { T, seedBasket } from "./fixture.ts";

const CTPI = { code: "CTPI", fixingLocalTime: "16:00", fixingTz: "Asia/Shanghai" };

describe("Calendar: which instants are fixing times", () => {
  const instants = fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-12-31T23:59:59Z"), noInvalidDate: true });

  it("a final is exactly 08:00:00.000Z of some day (16:00 in Shanghai, which keeps no summer time)", () => {
    fc.assert(
      fc.property(instants, (d) => {
        const utc = d.toISOString();
        expect(isFinalTime(CTPI, utc)).toBe(utc.slice(11) === "08:00:00.000Z");
      }),
    );
    // and every day has one, including leap days and year ends
    for (const day of ["2028-02-29", "2026-12-31", "2027-01-01"]) expect(isFinalTime(CTPI, `${day}T08:00:00Z`)).toBe(true);
  });

  it("an indicative is on a quarter hour, to the millisecond", () => {
    fc.assert(
      fc.property(instants, (d) => {
        const onQuarter = d.getUTCMinutes() % 15 === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0;
        expect(isQuarterHour(CTPI, d.toISOString())).toBe(onQuarter);
      }),
    );
  });
});

describeEachEngine("Calendar: nothing off the calendar or in the future is computed, stored or signed", (ctx) => {
  const refusal = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      if (err instanceof CiyuanError) return err.code;
      throw err;
    }
    return "computed";
  };
  const fixingCount = async () => (await rows<{ n: number }>(ctx.db, sql`SELECT count(*)::int AS n FROM fixings`))[0]!.n;
  const settlementCount = async () => (await rows<{ n: number }>(ctx.db, sql`SELECT count(*)::int AS n FROM settlements`))[0]!.n;

  it("a final in 2030, a final at 10:07 and an indicative at 08:07 are refused; the calendar's own times are computed", async () => {
    await seedBasket(ctx.db, T);
    const cases: [string, "final" | "indicative", string][] = [
      ["2030-01-01T08:00:00Z", "final", "future_fixing"],
      ["2030-01-01T08:15:00Z", "indicative", "future_fixing"],
      [T.replace("08:00:00", "10:07:00"), "final", "off_calendar"],
      [T.replace("08:00:00", "08:00:01"), "final", "off_calendar"],
      [T.replace("08:00:00", "08:07:00"), "indicative", "off_calendar"],
    ];
    for (const [at, kind, code] of cases) {
      expect({ at, kind, refused: await refusal(computeFixing(ctx.db, { index: "CTPI", at, kind })) }).toEqual({ at, kind, refused: code });
    }
    expect(await fixingCount()).toBe(0);
    expect(await settlementCount()).toBe(0);
    await computeFixing(ctx.db, { index: "CTPI", at: T, kind: "final" });
    await computeFixing(ctx.db, { index: "CTPI", at: T.replace("08:00:00", "08:45:00"), kind: "indicative" });
    expect(await fixingCount()).toBe(2);
  });

  it("a backfill whose last day is still ahead is refused whole, before it computes anything", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db, T);
    const to = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    expect(await refusal(backfill(db, { index: "CTPI", from: T.slice(0, 10), to }))).toBe("future_fixing");
    expect((await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM fixings`))[0]!.n).toBe(0);
  });

  it("a time is judged in the index's own zone and definition", async () => {
    const def = await definitionAt(ctx.db, "CTPI", T);
    expect(def.fixingTz).toBe("Asia/Shanghai");
    expect(isFinalTime(def, "2026-10-01T16:00:00+08:00")).toBe(true);
    expect(isFinalTime(def, "2026-10-01T16:00:00Z")).toBe(false);
  });
});
