/**
 * GET /v1/indices/{code}/attribution (operations-and-users.md section 8): price versus mix
 * between the first final ok fixing at or after `from` and the last at or before `to`.
 * Every ratio is checked against the spec's formula computed here independently, with
 * BigInt rationals over the published decimal text and half-even rounding written below.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Db } from "../../src/db/index.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { Attribution } from "../../src/publish/routes/v1/indices/attribution.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addUsage, day } from "../support/seed.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { T, at, seedBasket, usage } from "../engine/fixture.ts";
import { insertFixing } from "./fixtures.ts";
import { get, n, type Got } from "./http.ts";

// ---- exact arithmetic of the test's own --------------------------------------------------

/** A decimal string as the rational num / 10^scale. */
function rational(text: string): { num: bigint; den: bigint } {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[3] ?? "";
  const num = BigInt(m[2]! + frac) * (m[1] === "-" ? -1n : 1n);
  return { num, den: 10n ** BigInt(frac.length) };
}

/** num / den (den > 0) rounded half-even to 6 decimals, as decimal text with 6 places. */
function halfEven6(num: bigint, den: bigint): string {
  if (den <= 0n) throw new Error("denominator must be positive");
  const scaled = num * 1_000_000n;
  let q = scaled / den; // truncated toward zero
  const r = scaled - q * den;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > den || (twice === den && q % 2n !== 0n)) q += r < 0n ? -1n : 1n;
  const negative = q < 0n;
  const digits = (negative ? -q : q).toString().padStart(7, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** The spec's three ratios from the published value and level texts. */
function expected(valueFrom: string, valueTo: string, levelFrom: string, levelTo: string) {
  const vf = rational(valueFrom);
  const vt = rational(valueTo);
  const lf = rational(levelFrom);
  const lt = rational(levelTo);
  // a / b - 1 = (a - b) / b, with a = x.num / x.den
  const ratioMinusOne = (a: { num: bigint; den: bigint }, b: { num: bigint; den: bigint }) =>
    halfEven6(a.num * b.den - b.num * a.den, b.num * a.den);
  // (vt / vf) / (lt / lf) - 1 = (vt x lf) / (vf x lt) - 1
  const top = { num: vt.num * lf.num, den: vt.den * lf.den };
  const bottom = { num: vf.num * lt.num, den: vf.den * lt.den };
  return {
    value_change_pct: ratioMinusOne(vt, vf),
    price_effect_pct: ratioMinusOne(lt, lf),
    mix_effect_pct: ratioMinusOne(top, bottom),
  };
}

describe("the test's own half-even rounding", () => {
  it("rounds ties to the even digit and everything else to the nearest", () => {
    expect(halfEven6(5n, 10_000_000n)).toBe("0.000000");
    expect(halfEven6(15n, 10_000_000n)).toBe("0.000002");
    expect(halfEven6(-5n, 10_000_000n)).toBe("0.000000");
    expect(halfEven6(-15n, 10_000_000n)).toBe("-0.000002");
    expect(halfEven6(1n, 3n)).toBe("0.333333");
    expect(halfEven6(-2n, 3n)).toBe("-0.666667");
    expect(halfEven6(5n, 1n)).toBe("5.000000");
  });
});

// ---- helpers ------------------------------------------------------------------------------

const KEYS = [
  "index", "from_fixing", "to_fixing", "from_revision", "to_revision", "value_from", "value_to",
  "level_from", "level_to", "value_change_pct", "price_effect_pct", "mix_effect_pct",
];

/** A 200 answer: its shape checked with the route's own schema, its numbers with the spec's formulas. */
function checked(r: Got) {
  expect(r.status, r.text).toBe(200);
  const body = Attribution.strict().parse(JSON.parse(r.text));
  expect(Object.keys(r.json)).toEqual(KEYS);
  const text = (k: string) => n(r.json[k]);
  const want = expected(text("value_from"), text("value_to"), text("level_from"), text("level_to"));
  for (const [k, v] of Object.entries(want)) expect(text(k), k).toBe(v);
  return { body, text };
}

function served(ctx: { readonly db: Db; readonly database: Database }, seed: (db: Db) => Promise<void>) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    await seed(ctx.db);
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return (path: string) => get(`${server!.url}${path}`);
}

const F = (date: string) => `${date}T08:00:00Z`;

/**
 * CTPI finals (latest revision decides):
 *   09-01 ok 2.000000 / 1000.000000
 *   09-02 ok 2.100000 / 1000.000000   prices unchanged, mix moved
 *   09-03 insufficient (carrying 09-02)
 *   09-04 revision 1 insufficient, revision 2 ok 1.987654 / 987.654321
 *   09-05 revision 1 ok 2.500000 / 1100, revision 2 insufficient: skipped
 *   09-06 ok 2.222222 / 1012.345678
 * and an indicative on 09-06 that never counts. GTPI: half-even ties.
 */
async function seedHistory(db: Db): Promise<void> {
  const ok = (index: string, date: string, value: string, level: string, revision = 1) =>
    insertFixing(db, { index, fixingTime: F(date), revision, value, level, computedAt: F(date) });
  await ok("CTPI", "2026-09-01", "2.000000", "1000.000000");
  const d2 = await ok("CTPI", "2026-09-02", "2.100000", "1000.000000");
  await insertFixing(db, {
    index: "CTPI", fixingTime: F("2026-09-03"), status: "insufficient", value: "2.100000", level: "1000.000000",
    computedAt: F("2026-09-03"), carriedFromId: d2,
  });
  await insertFixing(db, {
    index: "CTPI", fixingTime: F("2026-09-04"), status: "insufficient", value: "2.100000", level: "1000.000000",
    computedAt: F("2026-09-04"), carriedFromId: d2,
  });
  const d4 = await ok("CTPI", "2026-09-04", "1.987654", "987.654321", 2);
  await ok("CTPI", "2026-09-05", "2.500000", "1100.000000");
  await insertFixing(db, {
    index: "CTPI", fixingTime: F("2026-09-05"), revision: 2, status: "insufficient", value: "1.987654", level: "987.654321",
    computedAt: "2026-09-07T00:00:00Z", reason: "late usage", carriedFromId: d4,
  });
  await ok("CTPI", "2026-09-06", "2.222222", "1012.345678");
  await insertFixing(db, {
    index: "CTPI", fixingTime: "2026-09-06T09:15:00Z", kind: "indicative", value: "9.000000", level: "9000.000000",
    computedAt: "2026-09-06T09:15:01Z",
  });
  // GTPI: +0.0000005 is a tie rounded to the even 0.000000; +0.0000015 a tie rounded to 0.000002.
  await ok("GTPI", "2026-09-01", "2.000000", "1000.000000");
  await ok("GTPI", "2026-09-02", "2.000001", "1000.000500");
  await ok("GTPI", "2026-09-03", "2.000003", "1000.001500");
  await ok("GTPI", "2026-09-04", "1.999999", "999.999500");
}

describeEachEngine("publish: price versus mix attribution", (ctx) => {
  const fetchPath = served(ctx, seedHistory);
  const attribution = (query: string, code = "CTPI") => fetchPath(`/v1/indices/${code}/attribution${query}`);

  describe("value_change_pct, price_effect_pct, mix_effect_pct from the published value and level", () => {
    it("prices unchanged, mix moved: price effect 0, the whole move is mix", async () => {
      const { text, body } = checked(await attribution("?from=2026-09-01&to=2026-09-02"));
      expect(body).toMatchObject({ index: "CTPI", from_fixing: F("2026-09-01"), to_fixing: F("2026-09-02"), from_revision: 1, to_revision: 1 });
      expect(text("price_effect_pct")).toBe("0.000000");
      expect(text("mix_effect_pct")).toBe("0.050000");
      expect(text("value_change_pct")).toBe("0.050000");
    });

    it("both moving: the three ratios as the spec defines them, rounded half-even to 6 decimals", async () => {
      const { text } = checked(await attribution("?from=2026-09-02&to=2026-09-06"));
      expect([text("value_from"), text("value_to"), text("level_from"), text("level_to")]).toEqual([
        "2.100000", "2.222222", "1000.000000", "1012.345678",
      ]);
      // 2.222222 / 2.1 - 1 = 0.0582009523..., 1012.345678 / 1000 - 1 = 0.012345678,
      // (2.222222 / 2.1) / 1.012345678 - 1 = 0.0452963...
      expect(text("value_change_pct")).toBe("0.058201");
      expect(text("price_effect_pct")).toBe("0.012346");
      expect(text("mix_effect_pct")).toBe("0.045296");
    });

    it("publishes the numbers digit for digit (exact decimals in the JSON text)", async () => {
      const r = await attribution("?from=2026-09-01&to=2026-09-02");
      expect(r.text).toContain(`"value_from":2.000000,"value_to":2.100000,"level_from":1000.000000,"level_to":1000.000000`);
      expect(r.text).toContain(`"price_effect_pct":0.000000`);
    });

    it("a tie is rounded to the even sixth decimal, both ways", async () => {
      const up = checked(await attribution("?from=2026-09-01&to=2026-09-02", "GTPI"));
      expect(up.text("value_change_pct")).toBe("0.000000"); // 0.0000005
      expect(up.text("price_effect_pct")).toBe("0.000000"); // 0.0000005
      const odd = checked(await attribution("?from=2026-09-01&to=2026-09-03", "GTPI"));
      expect(odd.text("value_change_pct")).toBe("0.000002"); // 0.0000015
      expect(odd.text("price_effect_pct")).toBe("0.000002");
      const down = checked(await attribution("?from=2026-09-01&to=2026-09-04", "GTPI"));
      expect(down.text("value_change_pct")).toBe("0.000000"); // -0.0000005
      expect(down.text("price_effect_pct")).toBe("0.000000");
      const fall = checked(await attribution("?from=2026-09-03&to=2026-09-04", "GTPI"));
      expect(fall.text("value_change_pct")).toBe("-0.000002"); // 1.999999 / 2.000003 - 1 = -0.0000019999...
    });

    it("one ok fixing in the range: from and to are the same fixing, every ratio 0", async () => {
      const { body, text } = checked(await attribution("?from=2026-09-03&to=2026-09-04"));
      expect(body).toMatchObject({ from_fixing: F("2026-09-04"), to_fixing: F("2026-09-04"), from_revision: 2, to_revision: 2 });
      for (const k of ["value_change_pct", "price_effect_pct", "mix_effect_pct"]) expect(text(k)).toBe("0.000000");
    });
  });

  describe("the fixings compared: final, ok on their latest revision, first at or after from, last at or before to", () => {
    it("skips an insufficient fixing at the start of the range", async () => {
      const { body } = checked(await attribution("?from=2026-09-03&to=2026-09-06"));
      expect(body.from_fixing).toBe(F("2026-09-04"));
      expect(body.to_fixing).toBe(F("2026-09-06"));
    });

    it("skips a fixing restated to insufficient at the end of the range, and counts one restated to ok", async () => {
      const { body, text } = checked(await attribution("?from=2026-09-02&to=2026-09-05"));
      expect(body).toMatchObject({ from_fixing: F("2026-09-02"), to_fixing: F("2026-09-04"), to_revision: 2 });
      expect(text("value_to")).toBe("1.987654");
    });

    it("instants are inclusive bounds; a fixing just before from is not used", async () => {
      const exactly = checked(await attribution(`?from=${F("2026-09-01")}&to=${F("2026-09-02")}`));
      expect([exactly.body.from_fixing, exactly.body.to_fixing]).toEqual([F("2026-09-01"), F("2026-09-02")]);
      const after = checked(await attribution("?from=2026-09-01T08:00:01Z&to=2026-09-06T07:59:59Z"));
      expect([after.body.from_fixing, after.body.to_fixing]).toEqual([F("2026-09-02"), F("2026-09-04")]);
      const offset = checked(await attribution("?from=2026-09-02T16:00:00%2B08:00&to=2026-09-02T16:00:00%2B08:00"));
      expect([offset.body.from_fixing, offset.body.to_fixing]).toEqual([F("2026-09-02"), F("2026-09-02")]);
    });

    it("without from: from the first final ok fixing; without to: up to the latest; an indicative never counts", async () => {
      const all = checked(await attribution(""));
      expect([all.body.from_fixing, all.body.to_fixing]).toEqual([F("2026-09-01"), F("2026-09-06")]);
      expect(all.text("value_to")).toBe("2.222222");
      const fromOnly = checked(await attribution("?from=2026-09-05"));
      expect([fromOnly.body.from_fixing, fromOnly.body.to_fixing]).toEqual([F("2026-09-06"), F("2026-09-06")]);
      const toOnly = checked(await attribution("?to=2026-09-03"));
      expect([toOnly.body.from_fixing, toOnly.body.to_fixing]).toEqual([F("2026-09-01"), F("2026-09-02")]);
    });
  });

  describe("errors", () => {
    it("404 no_ok_fixing when the range holds no final ok fixing", async () => {
      const onlyInsufficient = await attribution("?from=2026-09-03&to=2026-09-03");
      expect(onlyInsufficient.status).toBe(404);
      expect(onlyInsufficient.json.error.code).toBe("no_ok_fixing");
      expect(onlyInsufficient.json.error.message).toBe("no final ok fixing of CTPI between 2026-09-03 and 2026-09-03");
      const empty = await attribution("?from=2027-01-01");
      expect(empty.status).toBe(404);
      expect(empty.json.error.code).toBe("no_ok_fixing");
      const never = await attribution("", "CTPI-IN");
      expect(never.status).toBe(404);
      expect(never.json.error).toEqual({ code: "no_ok_fixing", message: "no final ok fixing of CTPI-IN yet" });
    });

    it("404 unknown_index for an unknown code, as every index route", async () => {
      const r = await attribution("", "NOPE");
      expect(r.status).toBe(404);
      expect(r.json.error).toEqual({ code: "unknown_index", message: "unknown index: NOPE" });
    });

    it("400 bad_request for from after to, a bad date or instant, an instant without offset, a repeated parameter", async () => {
      for (const query of [
        "?from=2026-09-05&to=2026-09-04",
        "?from=2026-09-02T08:00:01Z&to=2026-09-02T08:00:00Z",
        "?from=2026-02-30",
        "?to=yesterday",
        "?from=2026-09-01T16:00:00",
        "?from=2026-09-01&from=2026-09-02",
      ]) {
        const r = await attribution(query);
        expect(r.status, query).toBe(400);
        expect(r.json.error.code, query).toBe("bad_request");
      }
      const reversed = await attribution("?from=2026-09-05&to=2026-09-04");
      expect(reversed.json.error.message).toBe("from (2026-09-05) is after to (2026-09-04)");
    });
  });
});

describeEachEngine("publish: attribution of fixings computed by the engine", (ctx) => {
  const T2 = at(T, 1);
  const fetchPath = served(ctx, async (db) => {
    // Day 1: the shared basket. Day 2: the same sheets (no price moves), the usage mix
    // shifted towards zhipu's glm: the level holds, the value moves.
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    await usage(db, T2);
    await addUsage(db, day("zhipu", "glm", T2, "90000000000", "1000"));
    await computeFixing(db, { index: "CTPI", at: T2, kind: "final" });
  });

  it("prices unchanged and the mix moved: price effect 0, mix effect the whole (non-zero) change", async () => {
    const { body, text } = checked(await fetchPath(`/v1/indices/CTPI/attribution?from=${T}&to=${T2}`));
    expect([body.from_fixing, body.to_fixing]).toEqual([T, T2]);
    expect([text("level_from"), text("level_to")]).toEqual(["1000.000000", "1000.000000"]);
    expect(text("price_effect_pct")).toBe("0.000000");
    expect(text("mix_effect_pct")).not.toBe("0.000000");
    expect(text("mix_effect_pct")).toBe(text("value_change_pct"));
    // The values are those /fixings publishes for the same fixings.
    const published = await fetchPath(`/v1/indices/CTPI/fixings?from=${T}&to=${T2}`);
    expect(published.json.data.map((f: { value: unknown }) => n(f.value))).toEqual([text("value_from"), text("value_to")]);
  });
});
