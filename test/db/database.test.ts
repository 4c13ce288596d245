import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { describeEachEngine } from "../support/engines.ts";

describeEachEngine("one database layer, two engines", (ctx) => {
  it("applies the migrations and seeds CTPI, CTPI-IN and CTPI-OUT as data", async () => {
    const defs = await rows<{ code: string; versions: string }>(
      ctx.db,
      sql`select code, string_agg(version || ':' || methodology_version, ',' order by version) as versions
          from index_definitions group by code order by code`,
    );
    expect(defs.map((d) => d.code)).toEqual(["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]);
    // version 1 under methodology 1.0, version 2 (everything computed from 1.1 on) under 1.1
    expect(new Set(defs.map((d) => d.versions))).toEqual(new Set(["1:1,2:1.1"]));
  });

  it("returns numeric and bigint as exact decimal strings, never floats", async () => {
    const [r] = await rows<{ n: string; b: string }>(
      ctx.db,
      sql`select 0.1::numeric + 0.2::numeric as n, 9007199254740993::bigint as b`,
    );
    expect(r).toEqual({ n: "0.3", b: "9007199254740993" });
  });

  it("refuses to update or delete a seeded index definition (append-only in the database)", async () => {
    await expect(ctx.db.execute(sql`update index_definitions set cap = 1`)).rejects.toThrow();
    await expect(ctx.db.execute(sql`delete from index_definitions`)).rejects.toThrow();
  });
});
