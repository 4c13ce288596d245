import { describe, expect, it } from "vitest";
import { signFixing } from "../../src/engine/seal.ts";
import { fixingPayload, generateKeyPem, signerFromPem, verifySignature } from "../../src/signing/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, testKeyPem, testSigner } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get, n } from "./http.ts";
import { servedHistory } from "./seed.ts";

const FIXING_FIELDS = [
  "index", "fixing_time", "kind", "status", "value", "level", "currency", "unit", "percentiles",
  "methodology_version", "revision", "computed_at", "inputs_sha256", "reason", "constituent_count",
  "provider_count", "carried_from", "data_origin", "coverage", "signature",
];

/** The signed text of a published fixing object, rebuilt from its JSON. */
function signedText(f: any): string {
  return fixingPayload({
    index: f.index,
    fixingTime: f.fixing_time,
    kind: f.kind,
    revision: f.revision,
    status: f.status,
    value: f.value === null ? null : n(f.value),
    level: f.level === null ? null : n(f.level),
    p25: f.percentiles.p25 === null ? null : n(f.percentiles.p25),
    p50: f.percentiles.p50 === null ? null : n(f.percentiles.p50),
    p75: f.percentiles.p75 === null ? null : n(f.percentiles.p75),
    methodologyVersion: f.methodology_version,
    inputsSha256: f.inputs_sha256,
  });
}

describeEachEngine("publish: GET /v1/indices/{code}/fixings/{fixing_time}/revisions", (ctx) => {
  const server = servedHistory(ctx);
  const url = (time: string, query = "", code = "CTPI") => `${server.base()}/v1/indices/${code}/fixings/${time}/revisions${query}`;

  describe("every revision of that fixing, oldest first, with reason and computed_at", () => {
    it("lists revisions 1 and 2 of a restated fixing, oldest first, as {\"data\":[...]}", async () => {
      const r = await get(url("2026-09-30T08:00:00Z"));
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(Object.keys(r.json)).toEqual(["data"]);
      expect(r.json.data.map((f: { revision: number }) => f.revision)).toEqual([1, 2]);
      expect(r.json.data.map((f: { reason: string }) => f.reason)).toEqual(["scheduled", '=HYPERLINK("http://evil.example") late usage, "quoted"']);
      expect(r.json.data.map((f: { computed_at: string }) => f.computed_at)).toEqual(["2026-09-30T08:00:01Z", "2026-10-02T09:00:00.654321Z"]);
      expect(r.json.data.map((f: any) => n(f.value))).toEqual(["2.400000", "2.410000"]);
    });

    it("each revision is the fixing object without constituents or exclusions", async () => {
      const r = await get(url("2026-09-30T08:00:00Z"));
      for (const f of r.json.data) {
        expect(Object.keys(f)).toEqual(FIXING_FIELDS);
        expect(f).toMatchObject({ index: "CTPI", fixing_time: "2026-09-30T08:00:00Z", kind: "final", status: "ok", currency: "CNY", unit: "1M tokens" });
      }
      expect(r.text).not.toContain("constituents");
    });

    it("each revision is the same object the single-fixing route serves for ?revision=N (without its details)", async () => {
      const r = await get(url("2026-09-30T08:00:00Z"));
      for (const f of r.json.data) {
        const one = await get(`${server.base()}/v1/indices/CTPI/fixings/2026-09-30T08:00:00Z?revision=${f.revision}`);
        const { constituents: _c, exclusions: _e, ...head } = one.json;
        expect(f).toEqual(head);
      }
    });

    it("a fixing never restated has one revision; an insufficient one names the fixing it carries", async () => {
      const r = await get(url("2026-10-01T08:00:00Z"));
      expect(r.json.data).toHaveLength(1);
      expect(r.json.data[0]).toMatchObject({ status: "insufficient", revision: 1, carried_from: { fixing_time: "2026-09-30T08:00:00Z", revision: 2 } });
    });

    it("finds the fixing by an instant in any offset", async () => {
      const r = await get(url("2026-09-30T16:00:00%2B08:00"));
      expect(r.json.data.map((f: { revision: number }) => f.revision)).toEqual([1, 2]);
    });

    it("?kind=indicative lists the revisions of an indicative fixing; final is the default", async () => {
      const indicative = await get(url("2026-10-01T09:15:00Z", "?kind=indicative"));
      expect(indicative.status).toBe(200);
      expect(indicative.json.data).toHaveLength(1);
      expect(indicative.json.data[0].kind).toBe("indicative");
      expect((await get(url("2026-10-01T09:15:00Z"))).status).toBe(404);
      expect((await get(url("2026-10-01T08:00:00Z", "?kind=indicative"))).status).toBe(404);
    });
  });

  describe("each revision carries its Ed25519 signature", () => {
    it("a revision without a stored signature is signed by the service's key, verifiably", async () => {
      const r = await get(url("2026-09-30T08:00:00Z"));
      for (const f of r.json.data) {
        expect(f.signature).toMatchObject({ kid: testSigner.kid, alg: "Ed25519" });
        expect(verifySignature(testSigner.publicKeyPem, signedText(f), f.signature.sig)).toBe(true);
      }
      expect(testKeyPem).toMatch(/PRIVATE KEY/);
    });

    it("a revision signed when it was computed carries that stored signature, not the service's", async () => {
      const database = await ctx.fresh();
      const other = signerFromPem(generateKeyPem(), "the key of the day");
      const first = await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:00Z", value: "2.5", level: "1000", computedAt: "2026-09-29T08:00:01Z" });
      await signFixing(database.db, first, other);
      await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:00Z", revision: 2, value: "2.6", level: "1040", computedAt: "2026-09-30T08:00:01Z", reason: "late usage" });
      const running = await serveForTest(database);
      try {
        const r = await get(`${running.url}/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z/revisions`);
        const [one, two] = r.json.data;
        expect(one.signature.kid).toBe(other.kid);
        expect(verifySignature(other.publicKeyPem, signedText(one), one.signature.sig)).toBe(true);
        expect(two.signature.kid).toBe(testSigner.kid);
        expect(two.reason).toBe("late usage");
        expect(running.unexpected).toEqual([]);
      } finally {
        await running.close();
      }
    });
  });

  describe("404 for an unknown index or fixing, 400 for bad parameters", () => {
    it("an unknown index is 404 unknown_index", async () => {
      const r = await get(url("2026-09-30T08:00:00Z", "", "NOPE"));
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("unknown_index");
    });

    it("a fixing time with no fixing is 404 not_found, also for an index without fixings", async () => {
      for (const u of [url("2026-09-30T08:00:01Z"), url("2026-09-30T08:00:00Z", "", "CTPI-IN")]) {
        const r = await get(u);
        expect(r.status, u).toBe(404);
        expect(r.json.error.code, u).toBe("not_found");
      }
    });

    it("a fixing time that is not an instant with offset, or an unknown kind, is 400", async () => {
      for (const u of [url("2026-09-30"), url("2026-09-30T08:00:00"), url("yesterday"), url("2026-09-30T08:00:00Z", "?kind=draft")]) {
        const r = await get(u);
        expect(r.status, u).toBe(400);
        expect(r.json.error.code, u).toBe("bad_request");
      }
    });
  });
});
