/**
 * GET /v1/indices/{code}: one index's definition, published as the data the engine uses
 * (index_definitions, versioned), with what GET /v1/indices lists per index.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/index.ts";
import { definitionAt } from "../../src/engine/index.ts";
import { IndexDefinition } from "../../src/publish/routes/v1/indices/definition.ts";
import { INDICATIVE_MINUTES } from "../../src/schedule/times.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";
import { get, n, type Got } from "./http.ts";
import { servedHistory } from "./seed.ts";

const KEYS = [
  "code", "name", "description", "currency", "unit", "methodology_version", "fixing_time_local", "fixing_tz", "latest",
  "definition_version", "valid_from", "universe", "weighting", "price_basis", "cap", "sufficiency", "usage_window",
  "base_level", "late_data_days", "fixing_times",
];

/** A 200 answer, its shape checked with the route's own schema (no field more, none less). */
function checked(r: Got) {
  expect(r.status, r.text).toBe(200);
  expect(Object.keys(r.json)).toEqual(KEYS);
  return IndexDefinition.strict().parse(JSON.parse(r.text));
}

const NOW = new Date();

describeEachEngine("publish: one index's definition", (ctx) => {
  const server = servedHistory(ctx);
  const definition = async (code: string) => get(`${server.base()}/v1/indices/${code}`);

  describe("the stored definition in force, as the engine reads it", () => {
    it("CTPI: CN providers, weighted by total tokens at the blended price, cap 0.25, 5 constituents from 3 providers", async () => {
      const r = await definition("CTPI");
      const body = checked(r);
      expect(body).toMatchObject({
        code: "CTPI",
        name: "Ciyuan Token Price Index",
        description: "Volume-weighted blended price of one million tokens at Chinese providers, CNY",
        currency: "CNY",
        unit: "1M tokens",
        methodology_version: "1.1",
        definition_version: 2,
        valid_from: "2020-01-01T00:00:00Z",
        universe: { provider_country: "CN" },
        weighting: "total",
        price_basis: "blended",
        sufficiency: { min_constituents: 5, min_providers: 3 },
        usage_window: "7 days",
        late_data_days: 3,
        fixing_time_local: "16:00",
        fixing_tz: "Asia/Shanghai",
        fixing_times: {
          final: { local_time: "16:00", time_zone: "Asia/Shanghai" },
          indicative: { every_minutes: 15, time_zone: "Asia/Shanghai" },
        },
      });
      // Stored numerics as exact decimals, digit for digit.
      expect(r.text).toContain(`"cap":0.25,`);
      expect(r.text).toContain(`"base_level":1000,`);
    });

    it("every field agrees with the definition the engine computes fixings under now", async () => {
      for (const code of ["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]) {
        const r = await definition(code);
        const body = checked(r);
        const def = await definitionAt(ctx.db, code, NOW.toISOString());
        expect(body, code).toMatchObject({
          code: def.code,
          currency: def.currency,
          methodology_version: def.methodologyVersion,
          definition_version: def.version,
          universe: { provider_country: def.universeCountry },
          weighting: def.weighting,
          sufficiency: { min_constituents: def.minConstituents, min_providers: def.minProviders },
          usage_window: def.usageWindow,
          late_data_days: def.lateDataDays,
          fixing_times: {
            final: { local_time: def.fixingLocalTime, time_zone: def.fixingTz },
            indicative: { every_minutes: INDICATIVE_MINUTES, time_zone: def.fixingTz },
          },
        });
        expect(n(r.json.cap), code).toBe(def.cap);
        expect(n(r.json.base_level), code).toBe(def.baseLevel);
      }
    });

    it("the price basis follows the weighting; the global family has every provider in its universe", async () => {
      const basis = async (code: string) => {
        const b = checked(await definition(code));
        return [b.weighting, b.price_basis, b.universe.provider_country, b.currency];
      };
      expect(await basis("CTPI-IN")).toEqual(["input", "effective_input", "CN", "CNY"]);
      expect(await basis("CTPI-OUT")).toEqual(["output", "output", "CN", "CNY"]);
      expect(await basis("GTPI")).toEqual(["total", "blended", null, "USD"]);
      expect(await basis("GTPI-IN")).toEqual(["input", "effective_input", null, "USD"]);
    });
  });

  describe("what GET /v1/indices lists per index, in the same fields", () => {
    it("equals the list's entry for every index, latest fixing included", async () => {
      const list = await get(`${server.base()}/v1/indices`);
      expect(list.status).toBe(200);
      for (const entry of list.json.data as { code: string }[]) {
        const r = await definition(entry.code);
        checked(r);
        const listed = Object.fromEntries(Object.keys(entry).map((k) => [k, r.json[k]]));
        expect(listed, entry.code).toEqual(entry);
      }
    });

    it("latest is the latest final fixing (latest revision), null before the first", async () => {
      const ctpi = await definition("CTPI");
      expect(ctpi.text).toContain(`"latest":{"fixing_time":"2026-10-01T08:00:00Z","value":2.410000,"level":1012.500000,"status":"insufficient"}`);
      expect(checked(await definition("CTPI-IN")).latest).toBeNull();
    });
  });

  describe("errors and routing", () => {
    it("404 unknown_index for an unknown code; 400 for a code that is not one", async () => {
      const unknown = await definition("NOPE");
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toEqual({ code: "unknown_index", message: "unknown index: NOPE" });
      const bad = await definition("ctpi%00");
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe("bad_request");
      expect(bad.json.error.message).toMatch(/^code: /);
    });

    it("does not shadow the routes below it: /latest, /fixings, /attribution and the list still answer", async () => {
      for (const path of ["/v1/indices", "/v1/indices/CTPI/latest", "/v1/indices/CTPI/fixings", "/v1/indices/CTPI/attribution"]) {
        const r = await get(`${server.base()}${path}`);
        expect(r.status, path).toBe(200);
        expect(Object.keys(r.json), path).not.toContain("universe");
      }
      const deeper = await get(`${server.base()}/v1/indices/CTPI/nothing-here`);
      expect(deeper.status).toBe(404);
      expect(deeper.json.error.code).toBe("not_found");
    });

    it("is in the OpenAPI document with its schema and examples", async () => {
      const doc = (await get(`${server.base()}/openapi.json`)).json;
      for (const path of ["/v1/indices/{code}", "/v1/indices/{code}/attribution"]) {
        const op = doc.paths[path]?.get;
        expect(op, path).toBeDefined();
        expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(["200", "400", "404"]));
      }
      const schemas = doc.components.schemas;
      expect(n(schemas.IndexDefinition.properties.cap.example)).toBe("0.25");
      expect(schemas.Attribution.properties.mix_effect_pct.example).toBeDefined();
    });
  });
});

async function addVersion(db: Db, code: string, version: number, validFrom: string, over: { cap: string; minProviders: number; methodology: string }) {
  await db.execute(sql`INSERT INTO index_definitions
      (code, version, name, description, currency, universe_country, weighting, cap, min_constituents, min_providers,
       fixing_local_time, fixing_tz, usage_window, base_level, methodology_version, valid_from)
    VALUES (${code}, ${version}, 'Ciyuan Token Price Index', 'a later version', 'CNY', 'CN', 'total', ${over.cap}::numeric,
       5, ${over.minProviders}, '16:00', 'Asia/Shanghai', '7 days', 1000, ${over.methodology}, ${validFrom}::timestamptz)`);
}

describeEachEngine("publish: a definition is versioned data; the one in force is shown", (ctx) => {
  it("a version valid from a later date is shown from that date on, as the engine uses it", async () => {
    const database = await ctx.fresh();
    const { db } = database;
    await addVersion(db, "CTPI", 3, "2027-01-01T00:00:00Z", { cap: "0.300", minProviders: 4, methodology: "1.2" });
    for (const [clock, version, cap, providers] of [
      ["2026-12-31T23:59:59Z", 2, "0.25", 3],
      ["2027-01-01T00:00:00Z", 3, "0.300", 4],
    ] as const) {
      const server = await serveForTest(database, { now: () => new Date(clock) });
      try {
        const r = await get(`${server.url}/v1/indices/CTPI`);
        const body = checked(r);
        expect(body.definition_version, clock).toBe(version);
        expect(n(r.json.cap), clock).toBe(cap);
        expect(body.sufficiency.min_providers, clock).toBe(providers);
        expect((await definitionAt(db, "CTPI", clock)).version, clock).toBe(version);
      } finally {
        await server.close();
      }
    }
  });

  it("before any version is in force: the highest version, whose valid_from says when it starts", async () => {
    const database = await ctx.fresh();
    const { db } = database;
    await addVersion(db, "CTPI-NEXT", 1, "2030-01-01T00:00:00Z", { cap: "0.2", minProviders: 3, methodology: "1.1" });
    await addVersion(db, "CTPI-NEXT", 2, "2031-01-01T00:00:00Z", { cap: "0.2", minProviders: 4, methodology: "1.1" });
    const server = await serveForTest(database, { now: () => new Date("2026-12-08T00:00:00Z") });
    try {
      const body = checked(await get(`${server.url}/v1/indices/CTPI-NEXT`));
      expect(body).toMatchObject({ code: "CTPI-NEXT", definition_version: 2, valid_from: "2031-01-01T00:00:00Z", latest: null });
    } finally {
      await server.close();
    }
  });
});
