import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, rows, type Database, type Db } from "../../src/db/index.ts";
import { computeFixingIfAbsent } from "../../src/engine/index.ts";
import { Scheduler, dueFinalFixings, startSchedule, finalTimesBetween, indicativeSlot, type SchedulerOptions } from "../../src/schedule/index.ts";
import { seedBasket } from "../engine/fixture.ts";
import { describeEachEngine, freshPostgresUrl } from "../support/engines.ts";
import { testSigner } from "../support/serve.ts";

const SHANGHAI = { fixingLocalTime: "16:00", fixingTz: "Asia/Shanghai" };
const MINUTE = 60_000;
const DAY = 86_400_000;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString().replace(".000Z", "Z");

/** A clock a test moves by hand. */
function clock(start: string) {
  let t = Date.parse(start);
  return { now: () => new Date(t), set: (iso: string) => void (t = Date.parse(iso)) };
}

/** pino writing JSON lines into an array, as it writes them to stdout in production. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

async function fixingTimes(db: Db, code: string, kind: string) {
  const r = await rows<{ t: string; n: number }>(
    db,
    sql`SELECT to_char(fixing_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t, count(*)::int AS n
        FROM fixings WHERE index_code = ${code} AND kind = ${kind} GROUP BY fixing_time ORDER BY fixing_time`,
  );
  return r;
}

describe("Final fixing daily at 16:00 Asia/Shanghai (08:00 UTC): when fixings are due", () => {
  it("final fixing times between two moments are each day's 08:00Z, after < T <= until, oldest first", () => {
    expect(finalTimesBetween(SHANGHAI, "2026-09-29T08:00:00Z", "2026-10-01T08:00:00Z")).toEqual(["2026-09-30T08:00:00Z", "2026-10-01T08:00:00Z"]);
    expect(finalTimesBetween(SHANGHAI, "2026-09-29T08:00:00Z", "2026-10-01T07:59:59Z")).toEqual(["2026-09-30T08:00:00Z"]);
    // 23:30Z is already the next calendar day in Shanghai; its 16:00 is still ahead
    expect(finalTimesBetween(SHANGHAI, "2026-09-30T08:00:00Z", "2026-09-30T23:30:00Z")).toEqual([]);
  });

  it("catch-up: every final fixing missed since the last one, capped at the catch-up window", () => {
    expect(dueFinalFixings(SHANGHAI, "2026-09-28T08:00:00Z", "2026-10-01T09:00:00Z")).toEqual([
      "2026-09-29T08:00:00Z", "2026-09-30T08:00:00Z", "2026-10-01T08:00:00Z",
    ]);
    expect(dueFinalFixings(SHANGHAI, "2026-10-01T08:00:00Z", "2026-10-01T09:00:00Z")).toEqual([]);
    const capped = dueFinalFixings(SHANGHAI, "2025-01-01T08:00:00Z", "2026-10-01T09:00:00Z", 60);
    expect(capped).toHaveLength(60);
    expect(capped[0]).toBe("2026-08-03T08:00:00Z");
    expect(dueFinalFixings(SHANGHAI, null, "2026-10-01T09:00:00Z", 60)).toEqual(capped);
  });

  it("indicative fixings every 15 minutes: the quarter hour a moment falls in", () => {
    expect(indicativeSlot("2026-10-01T09:00:00Z")).toBe("2026-10-01T09:00:00Z");
    expect(indicativeSlot("2026-10-01T09:14:59.999Z")).toBe("2026-10-01T09:00:00Z");
    expect(indicativeSlot("2026-10-01T09:15:00Z")).toBe("2026-10-01T09:15:00Z");
    expect(indicativeSlot("2026-10-01T23:59:00Z")).toBe("2026-10-01T23:45:00Z");
  });
});

describeEachEngine("schedule: the scheduler on an injected clock", (ctx) => {
  const scheduler = (db: Db, c: ReturnType<typeof clock>, extra: Partial<SchedulerOptions> = {}) =>
    new Scheduler({ db, log: capturedLog().log, now: c.now, indices: ["CTPI"], catchUpDays: 1, ...extra });

  describe("Final fixing daily at 16:00 Asia/Shanghai (08:00 UTC)", () => {
    it("computes the final fixing at 08:00Z and not a minute before, signed", async () => {
      const { db } = await ctx.fresh();
      await seedBasket(db);
      const c = clock("2026-09-30T08:30:00Z");
      const s = scheduler(db, c, { indicatives: false, signer: testSigner });
      await s.tick(); // start: yesterday's final is in the catch-up window
      c.set("2026-10-01T07:59:00Z");
      expect((await s.tick()).computed).toEqual([]);
      c.set("2026-10-01T08:00:00Z");
      const r = await s.tick();
      expect(r.computed.map((f) => [f.fixingTime, f.kind, f.revision, f.status])).toEqual([["2026-10-01T08:00:00Z", "final", 1, "ok"]]);
      c.set("2026-10-01T08:01:00Z");
      expect((await s.tick()).computed).toEqual([]);
      expect(await fixingTimes(db, "CTPI", "final")).toEqual([{ t: "2026-09-30T08:00:00Z", n: 1 }, { t: "2026-10-01T08:00:00Z", n: 1 }]);
      const [signed] = await rows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM fixing_signatures`);
      expect(signed!.n).toBe(2);
    });
  });

  describe("Indicative fixings every 15 minutes are computed the same way and marked indicative", () => {
    it("ticking every minute from 09:00 to 10:00 gives indicatives at 09:00, 09:15, 09:30, 09:45 and 10:00, each once", async () => {
      const { db } = await ctx.fresh();
      await seedBasket(db);
      const c = clock("2026-10-01T09:00:00Z");
      const s = scheduler(db, c);
      for (let t = "2026-10-01T09:00:00Z"; t <= "2026-10-01T10:00:00Z"; t = plus(t, MINUTE)) {
        c.set(t);
        await s.tick();
      }
      expect(await fixingTimes(db, "CTPI", "indicative")).toEqual(
        ["09:00", "09:15", "09:30", "09:45", "10:00"].map((hm) => ({ t: `2026-10-01T${hm}:00Z`, n: 1 })),
      );
      // indicatives never enter the level chain: the one final of the day is the only final
      expect(await fixingTimes(db, "CTPI", "final")).toEqual([{ t: "2026-10-01T08:00:00Z", n: 1 }]);
    });
  });

  describe("On start, missed final fixings since the last one are computed (catch-up), oldest first", () => {
    it("after six days down, the next tick computes the six missed finals oldest first, and nothing twice", async () => {
      const { db } = await ctx.fresh();
      await seedBasket(db);
      const c = clock("2026-09-25T09:00:00Z");
      await scheduler(db, c, { indicatives: false }).tick();
      expect(await fixingTimes(db, "CTPI", "final")).toEqual([{ t: "2026-09-25T08:00:00Z", n: 1 }]);
      // a new process after downtime
      c.set("2026-10-01T12:00:00Z");
      const restarted = scheduler(db, c, { indicatives: false, catchUpDays: 60 });
      const r = await restarted.tick();
      const expected = ["26", "27", "28", "29", "30"].map((d) => `2026-09-${d}T08:00:00Z`).concat("2026-10-01T08:00:00Z");
      expect(r.computed.map((f) => f.fixingTime)).toEqual(expected);
      const ids = r.computed.map((f) => BigInt(f.id));
      expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
      expect((await restarted.tick()).computed).toEqual([]);
      expect((await scheduler(db, c, { indicatives: false, catchUpDays: 60 }).tick()).computed).toEqual([]);
      const finals = await fixingTimes(db, "CTPI", "final");
      expect(finals).toHaveLength(7);
      expect(finals.every((f) => f.n === 1)).toBe(true);
    });
  });

  describe("startSchedule: the scheduler on a node-cron minute timer, catch-up at start", () => {
    it("runs the catch-up tick at start (ready) and stop() ends the timer", async () => {
      const { db } = await ctx.fresh();
      await seedBasket(db);
      const c = clock("2026-10-01T09:20:00Z");
      const running = startSchedule({ db, log: capturedLog().log, now: c.now, indices: ["CTPI"], catchUpDays: 2 });
      await running.ready;
      await running.stop();
      expect(await fixingTimes(db, "CTPI", "final")).toEqual([{ t: "2026-09-30T08:00:00Z", n: 1 }, { t: "2026-10-01T08:00:00Z", n: 1 }]);
      expect(await fixingTimes(db, "CTPI", "indicative")).toEqual([{ t: "2026-10-01T09:15:00Z", n: 1 }]);
    });
  });

  describe("A fixing that throws is logged (pino, JSON) and the scheduler keeps running", () => {
    it("one index failing leaves the others computed, logs one JSON error line, and is retried on the next tick", async () => {
      const { db } = await ctx.fresh();
      await seedBasket(db);
      const { log, lines } = capturedLog();
      let failures = 1;
      const c = clock("2026-10-01T08:05:00Z");
      const s = new Scheduler({
        db, log, now: c.now, indices: ["CTPI", "CTPI-IN", "CTPI-OUT"], catchUpDays: 1, indicatives: false,
        compute: async (d, req) => {
          if (req.index === "CTPI-IN" && failures-- > 0) throw new Error("connection reset");
          return computeFixingIfAbsent(d, req);
        },
      });
      const first = await s.tick();
      expect(first.failed).toBe(1);
      expect(first.computed.map((f) => f.index)).toEqual(["CTPI", "CTPI-OUT"]);
      const errors = lines.filter((l) => l.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ index: "CTPI-IN", kind: "final", msg: "schedule: final fixing failed", err: { message: "connection reset" } });
      c.set("2026-10-01T08:06:00Z");
      const second = await s.tick();
      expect(second.computed.map((f) => [f.index, f.fixingTime])).toEqual([["CTPI-IN", "2026-10-01T08:00:00Z"]]);
      expect(second.failed).toBe(0);
    });
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("Exactly one final fixing per index and T with two schedulers on one Postgres", () => {
  let a: Database;
  let b: Database;
  beforeAll(async () => {
    const url = await freshPostgresUrl();
    a = await openDatabase({ databaseUrl: url });
    await migrate(a);
    b = await openDatabase({ databaseUrl: url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("two schedulers ticking together at each day's 08:00Z for 200 simulated days store one final fixing per T", async () => {
    await seedBasket(a.db, "2026-03-01T08:00:00Z");
    const c = clock("2026-03-01T08:00:00Z");
    const opts = { now: c.now, indices: ["CTPI"], catchUpDays: 1, indicatives: false, signer: testSigner };
    const one = new Scheduler({ db: a.db, log: capturedLog().log, ...opts });
    const two = new Scheduler({ db: b.db, log: capturedLog().log, ...opts });
    let computed = 0;
    let skipped = 0;
    for (let d = 0; d < 200; d++) {
      c.set(plus("2026-03-01T08:00:00Z", d * DAY));
      const [r1, r2] = await Promise.all([one.tick(), two.tick()]);
      expect(r1.failed + r2.failed).toBe(0);
      computed += r1.computed.length + r2.computed.length;
      skipped += r1.skipped + r2.skipped;
    }
    expect(computed).toBe(200);
    expect(skipped).toBe(200);
    const finals = await fixingTimes(a.db, "CTPI", "final");
    expect(finals).toHaveLength(200);
    expect(finals.every((f) => f.n === 1)).toBe(true);
    expect(finals[0]!.t).toBe("2026-03-01T08:00:00Z");
    expect(finals[199]!.t).toBe("2026-09-16T08:00:00Z");
  });
});
