import { describe, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines.ts";
import { get, n } from "./http.ts";
import { BIG_TOKENS, servedHistory } from "./seed.ts";

describeEachEngine("publish: GET /v1/indices/{code}/fixings/{fixing_time}", (ctx) => {
  const server = servedHistory(ctx);
  const url = (time: string, query = "") => `${server.base()}/v1/indices/CTPI/fixings/${time}${query}`;

  describe("one fixing with its constituents and exclusions", () => {
    it("has the fixing object's fields, then constituents and exclusions", async () => {
      const r = await get(url("2026-09-29T08:00:00Z"));
      expect(r.status).toBe(200);
      expect(Object.keys(r.json)).toEqual([
        "index", "fixing_time", "kind", "status", "value", "level", "currency", "unit", "percentiles",
        "methodology_version", "revision", "computed_at", "inputs_sha256", "reason", "constituent_count",
        "provider_count", "carried_from", "data_origin", "coverage", "signature", "constituents", "exclusions",
      ]);
      // seeded straight into the table (test/publish/fixtures.ts): real, coverage not kept
      expect(r.json).toMatchObject({ data_origin: "real", coverage: null });
      expect(r.json).toMatchObject({ index: "CTPI", kind: "final", status: "ok", revision: 1, computed_at: "2026-09-29T08:00:05.123456Z" });
      expect(Object.keys(r.json.constituents[0])).toEqual([
        "provider", "model", "weight", "price", "input_price", "output_price", "input_tokens",
        "cached_input_tokens", "output_tokens", "capped", "held", "sheet_id", "origins", "estimated",
      ]);
      expect(r.json.exclusions).toEqual([
        { provider: "baidu", model: "ernie-4", reason: "no_volume" },
        { provider: "openai", model: "gpt-5", reason: "not_in_universe" },
      ]);
    });

    it("orders constituents by weight descending, then provider and model", async () => {
      const r = await get(url("2026-09-29T08:00:00Z"));
      expect(r.json.constituents.map((c: { provider: string }) => c.provider)).toEqual(["alibaba", "deepseek", "moonshot", "zhipu"]);
    });

    it("publishes weights rounded half-even to 8 decimals and prices to 6", async () => {
      const r = await get(url("2026-09-29T08:00:00Z"));
      const [alibaba, deepseek, moonshot, zhipu] = r.json.constituents;
      expect(n(alibaba.weight)).toBe("0.37654322"); // 0.376543215: tie, to even (2)
      expect(n(zhipu.weight)).toBe("0.12345678"); // 0.123456785: tie, to even (8)
      expect(n(deepseek.weight)).toBe("0.25000000");
      expect(n(deepseek.price)).toBe("2.000000"); // 2.0000005: tie, to even
      expect(n(deepseek.input_price)).toBe("1.000002"); // 1.0000015: tie, to even
      expect(n(deepseek.output_price)).toBe("3.000000");
      expect(moonshot).toMatchObject({ capped: true, held: ["input", "output"] });
      expect(alibaba).toMatchObject({ capped: false, held: [] });
      expect(n(deepseek.sheet_id)).toBe("11");
    });

    it("finds the fixing by an instant in any offset", async () => {
      const r = await get(url("2026-09-29T16:00:00%2B08:00"));
      expect(r.status).toBe(200);
      expect(r.json.fixing_time).toBe("2026-09-29T08:00:00Z");
    });
  });

  describe("numbers are JSON numbers written from their exact decimal value", () => {
    it("writes token counts above 2^53 digit for digit", async () => {
      const r = await get(url("2026-09-29T08:00:00Z"));
      expect(r.text).toContain(`"input_tokens":${BIG_TOKENS},"cached_input_tokens":9007199254740993,"output_tokens":5`);
    });

    it("writes value, level and percentiles with exactly 6 decimals (stored 1.1 is 1.100000)", async () => {
      const r = await get(url("2026-09-29T08:00:00Z"));
      expect(r.text).toContain(`"value":2.345000,"level":1000.000000`);
      expect(r.text).toContain(`"percentiles":{"p25":1.100000,"p50":2.000000,"p75":3.250000}`);
    });
  });

  describe("?revision=N or ?as_of=ISO for an earlier revision; the latest by default", () => {
    it("serves the latest revision by default", async () => {
      const r = await get(url("2026-09-30T08:00:00Z"));
      expect(r.json.revision).toBe(2);
      expect(n(r.json.value)).toBe("2.410000");
      expect(r.json.reason).toMatch(/late usage/);
    });

    it("?revision=1 serves revision 1 with its own constituents", async () => {
      const r = await get(url("2026-09-30T08:00:00Z", "?revision=1"));
      expect(r.json.revision).toBe(1);
      expect(n(r.json.value)).toBe("2.400000");
      expect(n(r.json.constituents[0].price)).toBe("2.400000");
    });

    it("?as_of serves the revision current at that moment (computed_at <= as_of)", async () => {
      const before = await get(url("2026-09-30T08:00:00Z", "?as_of=2026-10-02T09:00:00.654320Z"));
      expect(before.json.revision).toBe(1);
      const exactly = await get(url("2026-09-30T08:00:00Z", "?as_of=2026-10-02T09:00:00.654321Z"));
      expect(exactly.json.revision).toBe(2);
      const offset = await get(url("2026-09-30T08:00:00Z", "?as_of=2026-10-02T17:00:01%2B08:00"));
      expect(offset.json.revision).toBe(2);
    });

    it("answers 404 for a revision that does not exist or an as_of before the first revision", async () => {
      const missing = await get(url("2026-09-30T08:00:00Z", "?revision=3"));
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe("not_found");
      const early = await get(url("2026-09-30T08:00:00Z", "?as_of=2026-09-30T08:00:00Z"));
      expect(early.status).toBe(404);
    });

    it("answers 400 for a bad revision, a bad as_of, or both at once", async () => {
      for (const q of ["?revision=abc", "?revision=0", "?revision=-1", "?revision=1.5", "?revision=99999999999999999999", "?revision=1&revision=2", "?as_of=2026-10-02", "?as_of=soon", "?revision=1&as_of=2026-10-02T00:00:00Z"]) {
        const r = await get(url("2026-09-30T08:00:00Z", q));
        expect(r.status, q).toBe(400);
        expect(r.json.error.code, q).toBe("bad_request");
      }
    });
  });
});
