import { sql } from "drizzle-orm";
import { Decimal } from "decimal.js";
import fc from "fast-check";
import { expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, addUsage, day, fixingRows } from "../support/seed.ts";
import { T } from "./fixture.ts";

/** Five constituents at three providers (a: m0 m1, b: m2 m3, c: m4), equal output volumes
 * (w = 0.2 each), with the given output prices. */
async function equalBasket(db: Db, outputs: string[]) {
  const owner = (j: number) => ["a", "a", "b", "b", "c"][j]!;
  for (const provider of ["a", "b", "c"]) {
    const models = outputs.flatMap((output, j) => (owner(j) === provider ? [{ model: `m${j}`, input: "1", output }] : []));
    await addSheet(db, { provider, as_of: "2026-09-01T00:00:00Z", models });
  }
  for (const j of outputs.keys()) await addUsage(db, day(owner(j), `m${j}`, T, "0", "1000"));
}

describeEachEngine("Dispersion: weighted percentiles, the smallest p_i whose cumulative weight >= q", (ctx) => {
  it("p25, p50, p75 of five equal weights over prices 1..5 are 2, 3, 4", async () => {
    const { db } = await ctx.fresh();
    await equalBasket(db, ["1", "2", "3", "4", "5"]);
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const { fixing } = await fixingRows(db, f.id);
    expect([fixing.p25, fixing.p50, fixing.p75]).toEqual(["2.000000", "3.000000", "4.000000"]);
  });

  it("tied prices share their cumulative weight", async () => {
    const { db } = await ctx.fresh();
    await equalBasket(db, ["1", "2", "2", "4", "5"]);
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    const { fixing } = await fixingRows(db, f.id);
    expect([fixing.p25, fixing.p50, fixing.p75]).toEqual(["2.000000", "2.000000", "4.000000"]);
  });
});

describeEachEngine("Rounding: exact decimal, published half-even to 6 places", (ctx) => {
  it("an exact tie rounds to the even neighbour (2.0000005 -> 2.000000), not away from zero as Postgres round() does", async () => {
    const { db } = await ctx.fresh();
    await equalBasket(db, ["2", "2", "2", "2", "2.0000025"]); // value = 0.2 x 10.0000025 = 2.0000005
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    expect(f.value).toBe("2.000000");
    const [pg] = await rows<{ r: string }>(db, sql`SELECT round(2.0000005, 6)::text AS r`);
    expect(pg!.r).toBe("2.000001");
  });

  it("the other tie direction: 2.0000015 -> 2.000002", async () => {
    const { db } = await ctx.fresh();
    await equalBasket(db, ["2", "2", "2", "2", "2.0000075"]);
    const f = await computeFixing(db, { index: "CTPI-OUT", at: T, kind: "final" });
    expect(f.value).toBe("2.000002");
  });

  it("round_half_even in the database handles negative ties and 8-place weights", async () => {
    const { db } = await ctx.fresh();
    const [r] = await rows<Record<string, string>>(
      db,
      sql`SELECT round_half_even(-2.5, 0)::text a, round_half_even(0.123456785, 8)::text b, round_half_even(0.123456775, 8)::text c`,
    );
    expect(r).toEqual({ a: "-2", b: "0.12345678", c: "0.12345678" });
  });

  it("round_half_even in the database equals decimal.js ROUND_HALF_EVEN on 3,000 random decimals, ties included", async () => {
    const { db } = await ctx.fresh();
    // Ties are made often on purpose: a digit string ending in 5 just past the rounding place.
    const decimal = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 14 }), fc.boolean())
      .map(([negative, digits, scale, tie]) => {
        const text = (tie ? digits * 10n + 5n : digits).toString().padStart(scale + 1, "0");
        const point = text.length - scale;
        return `${negative ? "-" : ""}${text.slice(0, point)}${scale > 0 ? `.${text.slice(point)}` : ""}`;
      });
    const cases = fc.sample(fc.tuple(decimal, fc.integer({ min: 0, max: 8 })), { numRuns: 3000, seed: 20261124 });
    const got = await rows<{ r: string }>(
      db,
      sql`SELECT round_half_even(x::numeric, d)::text AS r
          FROM unnest(${`{${cases.map(([x]) => x).join(",")}}`}::text[], ${`{${cases.map(([, d]) => d).join(",")}}`}::int[])
               WITH ORDINALITY AS c(x, d, i) ORDER BY i`,
    );
    const expected = cases.map(([x, d]) => new Decimal(x).toDecimalPlaces(d, Decimal.ROUND_HALF_EVEN).toFixed(d));
    expect(got.map((r) => r.r)).toEqual(expected);
  });
});
