import { describe, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines.ts";
import { get, n } from "./http.ts";
import { servedHistory } from "./seed.ts";

describeEachEngine("publish: index routes", (ctx) => {
  const server = servedHistory(ctx);

  describe("GET /v1/indices: the index definitions, each with its latest value", () => {
    it("lists every index by code with the spec's fields and its latest final value", async () => {
      const r = await get(`${server.base()}/v1/indices`);
      expect(r.status).toBe(200);
      const codes = r.json.data.map((d: { code: string }) => d.code);
      expect(codes).toEqual(["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]);
      const ctpi = r.json.data[0];
      expect(Object.keys(ctpi)).toEqual([
        "code", "name", "description", "currency", "unit", "methodology_version",
        "fixing_time_local", "fixing_tz", "latest",
      ]);
      expect(ctpi).toMatchObject({
        currency: "CNY", unit: "1M tokens", methodology_version: "1.1", fixing_time_local: "16:00", fixing_tz: "Asia/Shanghai",
      });
      expect(ctpi.latest.fixing_time).toBe("2026-10-01T08:00:00Z");
      expect(ctpi.latest.status).toBe("insufficient");
      expect(r.text).toContain(`"latest":{"fixing_time":"2026-10-01T08:00:00Z","value":2.410000,"level":1012.500000,"status":"insufficient"}`);
    });

    it("gives latest null for an index with no final fixing yet", async () => {
      const r = await get(`${server.base()}/v1/indices`);
      expect(r.json.data[1].latest).toBeNull();
    });
  });

  describe("GET /v1/indices/{code}/latest: the latest final fixing (?kind=indicative for the latest indicative)", () => {
    it("returns the latest final fixing, latest revision, without constituents", async () => {
      const r = await get(`${server.base()}/v1/indices/CTPI/latest`);
      expect(r.status).toBe(200);
      expect(Object.keys(r.json)).toEqual([
        "index", "fixing_time", "kind", "status", "value", "level", "currency", "unit", "percentiles",
        "methodology_version", "revision", "computed_at", "inputs_sha256", "reason", "constituent_count",
        "provider_count", "carried_from", "data_origin", "coverage", "signature",
      ]);
      expect(r.json).toMatchObject({ index: "CTPI", fixing_time: "2026-10-01T08:00:00Z", kind: "final", currency: "CNY", unit: "1M tokens" });
      expect(r.json.constituents).toBeUndefined();
      expect(r.json.exclusions).toBeUndefined();
    });

    it("an insufficient fixing carries the previous ok value and level and names that fixing", async () => {
      const r = await get(`${server.base()}/v1/indices/CTPI/latest`);
      expect(r.json.status).toBe("insufficient");
      expect(n(r.json.value)).toBe("2.410000");
      expect(n(r.json.level)).toBe("1012.500000");
      expect(r.json.percentiles).toEqual({ p25: null, p50: null, p75: null });
      expect(r.text).toContain(`"carried_from":{"fixing_time":"2026-09-30T08:00:00Z","revision":2}`);
    });

    it("?kind=indicative returns the latest indicative fixing", async () => {
      const r = await get(`${server.base()}/v1/indices/CTPI/latest?kind=indicative`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ kind: "indicative", fixing_time: "2026-10-01T09:15:00Z", carried_from: null });
      expect(r.text).toContain(`"value":2.500000`);
    });

    it("answers 404 for a known index with no fixing yet, and 400 for an unknown kind", async () => {
      const none = await get(`${server.base()}/v1/indices/CTPI-IN/latest`);
      expect(none.status).toBe(404);
      expect(none.json.error).toEqual({ code: "not_found", message: "no final fixing of CTPI-IN yet" });
      const bad = await get(`${server.base()}/v1/indices/CTPI/latest?kind=weekly`);
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe("bad_request");
      expect(bad.json.error.message).toMatch(/^kind: /);
    });

    it("validates path and query with the route's own schemas, as every route does: bad code, repeated kind, unknown parameters ignored", async () => {
      const badCode = await get(`${server.base()}/v1/indices/ctpi%00/latest`);
      expect(badCode.status).toBe(400);
      expect(badCode.json.error.message).toMatch(/^code: /);
      const twice = await get(`${server.base()}/v1/indices/CTPI/latest?kind=final&kind=final`);
      expect(twice.status).toBe(400);
      expect(twice.json.error.message).toMatch(/^kind: /);
      const extra = await get(`${server.base()}/v1/indices/CTPI/latest?utm_source=x`);
      expect(extra.status).toBe(200);
      expect(extra.json.kind).toBe("final");
    });

    it("answers If-None-Match with 304 and a conditional request with Authorization is not stored by caches", async () => {
      const first = await fetch(`${server.base()}/v1/indices/CTPI/latest`);
      const etag = first.headers.get("ETag")!;
      expect(first.headers.get("Cache-Control")).toBe("public, no-cache");
      const again = await fetch(`${server.base()}/v1/indices/CTPI/latest`, { headers: { "If-None-Match": etag } });
      expect(again.status).toBe(304);
      const authorized = await fetch(`${server.base()}/v1/indices/CTPI/latest`, { headers: { Authorization: "Bearer x" } });
      expect(authorized.headers.get("Cache-Control")).toBe("no-store");
    });
  });
});
