/**
 * The straight way of a usage CSV into usage_records (normalise/usage-direct.ts): taken when
 * nothing needs comparing, left for the careful way whenever something does, and storing
 * exactly what the careful way would. usage_records is partitioned by ISO week of
 * period_end; the straight way makes the weeks as it meets them.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { importUsage } from "../../src/normalise/index.ts";
import { KeyHash, KeySet } from "../../src/normalise/usage-keys.ts";
import { weekOf, weekPartition } from "../../src/normalise/usage-weeks.ts";
import { describeEachEngine } from "../support/engines.ts";
import { USAGE_HEADER, counts, streamOf } from "./helpers.ts";

const csv = (...lines: string[]) => [USAGE_HEADER, ...lines].join("\n") + "\n";

/** Imports `text` as a file that can be read again: its outcome or error, and whether the careful way read it. */
async function attempt(db: Db, location: string, text: string) {
  let reopened = 0;
  const reopen = async () => {
    reopened++;
    return streamOf(text);
  };
  const result = await importUsage(db, { location, stream: streamOf(text), format: "csv", reopen }).then(
    (outcome) => ({ outcome }),
    (error: Error) => ({ error }),
  );
  return { ...result, careful: reopened > 0 };
}

async function importFile(db: Db, location: string, text: string) {
  const r = await attempt(db, location, text);
  if ("error" in r) throw r.error;
  return { outcome: r.outcome, careful: r.careful };
}

async function failure(db: Db, location: string, text: string) {
  const r = await attempt(db, location, text);
  return { message: "error" in r ? r.error.message : "accepted", careful: r.careful };
}

describeEachEngine("usage files: the straight way", (ctx) => {
  describe("a file of new keys is stored in one pass, every record version 1, in the week of its period_end", () => {
    it("stores each record in the partition of the ISO week (Monday 00:00 UTC) of its period_end", async () => {
      const text = csv(
        "wk,m1,2026-09-27T23:30:00Z,2026-09-27T23:45:00Z,10,1,5", // Sunday: the week of 09-21
        "wk,m1,2026-09-27T23:45:00Z,2026-09-28T00:00:00Z,20,2,5", // Monday 00:00: the week of 09-28
        "wk,m1,2026-09-28T07:15:00+08:00,2026-09-28T07:30:00+08:00,30,3,5", // 09-27 23:30 UTC: 09-21
        'wk,"m 2",2026-10-04T23:45:00Z,2026-10-05T00:00:00Z,40,,5', // a quoted cell: the scanner's slow path
      );
      const { outcome, careful } = await importFile(ctx.db, "weeks.csv", text);
      expect(careful).toBe(false);
      expect(outcome).toEqual({ location: "weeks.csv", stored: 4, unchanged: 0, rejected: [] });
      const placed = await rows<{ part: string; n: string; versions: string }>(
        ctx.db,
        sql`SELECT tableoid::regclass::text AS part, count(*)::text AS n, string_agg(DISTINCT version::text, ',') AS versions
            FROM usage_records WHERE provider = 'wk' GROUP BY 1 ORDER BY 1`,
      );
      expect(placed).toEqual([
        { part: "usage_records_w20260921", n: "2", versions: "1" },
        { part: "usage_records_w20260928", n: "1", versions: "1" },
        { part: "usage_records_w20261005", n: "1", versions: "1" },
      ]);
    });

    it("one batch names the file's payload (its sha256 and size); the ids are distinct and the sequence is past them", async () => {
      const text = csv("ids,m1,2026-09-01T00:00:00Z,2026-09-01T01:00:00Z,1,0,1", "ids,m2,2026-09-01T00:00:00Z,2026-09-01T01:00:00Z,2,0,1");
      expect((await importFile(ctx.db, "ids.csv", text)).careful).toBe(false);
      const [r] = await rows<{ batches: string; payloads: string; sha256: string; bytes: string; ids: string; distinct_ids: string; next: string; max_id: string }>(
        ctx.db,
        sql`SELECT count(DISTINCT u.batch_id)::text AS batches, count(DISTINCT b.payload_id)::text AS payloads,
                   min(p.sha256) AS sha256, min(p.bytes)::text AS bytes,
                   count(u.id)::text AS ids, count(DISTINCT u.id)::text AS distinct_ids, max(u.id)::text AS max_id,
                   (SELECT last_value FROM usage_records_id_seq)::text AS next
            FROM usage_records u JOIN input_batches b ON b.id = u.batch_id JOIN payloads p ON p.id = b.payload_id
            WHERE u.provider = 'ids'`,
      );
      const { createHash } = await import("node:crypto");
      expect(r).toMatchObject({ batches: "1", payloads: "1", ids: "2", distinct_ids: "2", bytes: String(Buffer.byteLength(text)) });
      expect(r!.sha256).toBe(createHash("sha256").update(text).digest("hex"));
      expect(BigInt(r!.next)).toBeGreaterThanOrEqual(BigInt(r!.max_id));
      // a careful import afterwards takes ids above them
      await importUsage(ctx.db, { location: "after.csv", stream: streamOf(csv("ids,m3,2026-09-01T00:00:00Z,2026-09-01T01:00:00Z,3,0,1")), format: "csv" });
      const [m] = await rows<{ id: string }>(ctx.db, sql`SELECT id::text FROM usage_records WHERE provider = 'ids' AND model = 'm3'`);
      expect(BigInt(m!.id)).toBeGreaterThan(BigInt(r!.max_id));
    });

    it("a file of three years makes its 158 weeks in one import", async () => {
      const lines: string[] = [];
      const start = Date.UTC(2021, 0, 1);
      for (let d = 0; d < 3 * 365; d++) {
        const from = new Date(start + d * 86_400_000).toISOString();
        const to = new Date(start + (d + 1) * 86_400_000).toISOString();
        lines.push(`years,m1,${from},${to},${d + 1},0,1`);
      }
      const { outcome, careful } = await importFile(ctx.db, "years.csv", csv(...lines));
      expect(careful).toBe(false);
      expect(outcome.stored).toBe(3 * 365);
      const [w] = await rows<{ n: string }>(ctx.db, sql`SELECT count(DISTINCT tableoid)::text AS n FROM usage_records WHERE provider = 'years'`);
      expect(w!.n).toBe("158"); // period_end from 2021-01-02 (the week of 2020-12-28) to 2024-01-01, a Monday
    });
  });

  describe("a week that holds other keys keeps the straight way", () => {
    it("another provider's records of the same week are joined with the stored ones and found new", async () => {
      const period = "2026-09-01T00:00:00Z,2026-09-01T01:00:00Z";
      expect((await importFile(ctx.db, "a.csv", csv(`prov-a,m1,${period},1,0,1`))).careful).toBe(false);
      const b = await importFile(ctx.db, "b.csv", csv(`prov-b,m1,${period},2,0,1`));
      expect(b).toEqual({ outcome: { location: "b.csv", stored: 1, unchanged: 0, rejected: [] }, careful: false });
    });
  });

  describe("anything to compare goes the careful way, which reads the file again", () => {
    const period = "2026-09-02T00:00:00Z,2026-09-02T01:00:00Z";
    it("a key repeated in the file with the same numbers is one record", async () => {
      const r = await importFile(ctx.db, "same.csv", csv(`rep,m1,${period},5,1,5`, `rep,m1,${period},5,1,5`));
      expect(r).toMatchObject({ outcome: { stored: 1, unchanged: 0 }, careful: true });
    });
    it("the same key with another offset is a repeat too", async () => {
      const r = await importFile(ctx.db, "offset.csv", csv(`off,m1,${period},5,1,5`, `off,m1,2026-09-02T08:00:00+08:00,2026-09-02T09:00:00+08:00,5,1,5`));
      expect(r).toMatchObject({ outcome: { stored: 1 }, careful: true });
    });
    it("a key repeated with other numbers rejects the file, naming both lines", async () => {
      const before = await counts(ctx.db);
      expect(await failure(ctx.db, "clash.csv", csv(`clash,m1,${period},5,1,5`, `clash,m1,${period},6,1,5`))).toEqual({
        message: "clash.csv:3: record: same provider, model and period as line 2 but different token counts",
        careful: true,
      });
      expect(await counts(ctx.db)).toEqual(before);
    });
    it("a stored key with the same numbers is unchanged; with other numbers it is corrected (version 2)", async () => {
      const text = csv(`again,m1,${period},5,1,5`, `again,m2,${period},7,1,5`);
      expect((await importFile(ctx.db, "again.csv", text)).careful).toBe(false);
      expect(await importFile(ctx.db, "again.csv", text)).toMatchObject({ outcome: { stored: 0, unchanged: 2 }, careful: true });
      const fix = await importFile(ctx.db, "fix.csv", csv(`again,m1,${period},9,1,5`, `again,m2,${period},7,1,5`));
      expect(fix).toMatchObject({ outcome: { stored: 1, unchanged: 1 }, careful: true });
      const v = await rows(ctx.db, sql`SELECT model, version, input_tokens FROM usage_records WHERE provider = 'again' ORDER BY model, version`);
      expect(v).toEqual([
        { model: "m1", version: 1, input_tokens: "5" },
        { model: "m1", version: 2, input_tokens: "9" },
        { model: "m2", version: 1, input_tokens: "7" },
      ]);
    });
    it("a bad record leaves nothing and is named by its line, whichever gate it fails", async () => {
      const before = await counts(ctx.db);
      expect(await failure(ctx.db, "cached.csv", csv(`bad,m1,${period},5,1,5`, `bad,m2,${period},5,6,5`))).toEqual({
        message: "cached.csv:3: cached_input_tokens: greater than input_tokens",
        careful: true,
      });
      expect(await failure(ctx.db, "syntax.csv", csv(`bad,m1,${period},5,1,5`, `bad,m2,${period},x,1,5`))).toEqual({
        message: "syntax.csv:3: input_tokens: not a non-negative integer",
        careful: true,
      });
      expect(await counts(ctx.db)).toEqual(before);
    });
  });
});

describeEachEngine("every stored batch says where it came from (origin)", (ctx) => {
  const origins = async (provider: string) =>
    (await rows<{ origin: string }>(ctx.db, sql`SELECT DISTINCT b.origin FROM usage_records u JOIN input_batches b ON b.id = u.batch_id WHERE u.provider = ${provider}`)).map((r) => r.origin);
  const period = "2026-09-03T00:00:00Z,2026-09-03T01:00:00Z";
  it("a file is `file`, the sample `sample`, a collector `collector:<source>`, on either way", async () => {
    await importFile(ctx.db, "o.csv", csv(`o-file,m1,${period},1,0,1`));
    expect(await origins("o-file")).toEqual(["file"]);
    await importUsage(ctx.db, { location: "s.csv", stream: streamOf(csv(`o-sample,m1,${period},1,0,1`)), format: "csv", source: "sample" });
    expect(await origins("o-sample")).toEqual(["sample"]);
    await importUsage(ctx.db, {
      location: "c.csv",
      stream: streamOf(csv(`o-coll,m1,${period},1,0,1`)),
      format: "csv",
      source: "acme-usage",
      reopen: async () => streamOf(csv(`o-coll,m1,${period},1,0,1`)),
    });
    expect(await origins("o-coll")).toEqual(["collector:acme-usage"]);
  });
});

describe("usage keys: a repeat is never missed", () => {
  const DAY = 86_400_000;
  it("KeySet.add says true exactly for a key added before, whatever the offset an instant was written with", () => {
    const key = fc.record({
      provider: fc.constantFrom("a", "b", "ab", "阿里"),
      model: fc.constantFrom("", "m", "bm", "m1"),
      start: fc.integer({ min: 0, max: 50 }),
      len: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), (keys) => {
        const set = new KeySet(4); // small, so that it grows
        const seen = new Set<string>();
        for (const k of keys) {
          const h = new KeyHash().reset();
          const p = Buffer.from(k.provider);
          const m = Buffer.from(k.model);
          h.bytes(p, 0, p.length);
          h.end();
          h.bytes(m, 0, m.length);
          h.end();
          h.instant(Date.UTC(2026, 0, 1) + k.start * 900_000);
          h.instant(Date.UTC(2026, 0, 1) + (k.start + k.len) * 900_000);
          const id = JSON.stringify([k.provider, k.model, k.start, k.len]);
          expect(set.add(h)).toBe(seen.has(id));
          seen.add(id);
        }
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
  it("weekOf gives the Monday on or before a day", () => {
    fc.assert(
      fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), (day) => {
        const monday = weekOf(day);
        expect(new Date(monday * DAY).getUTCDay()).toBe(1);
        expect(day - monday).toBeGreaterThanOrEqual(0);
        expect(day - monday).toBeLessThan(7);
      }),
      { seed: 20261207 },
    );
    expect(weekPartition(weekOf(Date.UTC(2026, 10, 30) / DAY))).toBe("usage_records_w20261130");
  });
});
