import { describe, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines.ts";
import { get } from "./http.ts";
import { servedHistory } from "./seed.ts";

describeEachEngine("publish: HTTP errors and CORS", (ctx) => {
  const server = servedHistory(ctx);
  const at = (path: string) => `${server.base()}${path}`;

  const expectError = async (path: string, status: number, code: string) => {
    const r = await get(at(path));
    expect(r.status, path).toBe(status);
    expect(r.headers.get("content-type"), path).toMatch(/^application\/json/);
    expect(Object.keys(r.json), path).toEqual(["error"]);
    expect(Object.keys(r.json.error), path).toEqual(["code", "message"]);
    expect(r.json.error.code, path).toBe(code);
    expect(r.json.error.message, path).not.toContain("\n");
    return r.json.error.message as string;
  };

  describe("Errors: {\"error\":{\"code\",\"message\"}}, 404 for an unknown index or fixing", () => {
    it("unknown index on every route", async () => {
      for (const path of ["/v1/indices/NOPE/latest", "/v1/indices/NOPE/fixings", "/v1/indices/NOPE/fixings/2026-09-29T08:00:00Z"]) {
        expect(await expectError(path, 404, "unknown_index")).toBe("unknown index: NOPE");
      }
    });

    it("unknown fixing", async () => {
      const message = await expectError("/v1/indices/CTPI/fixings/2026-09-29T08:00:01Z", 404, "not_found");
      expect(message).toContain("CTPI");
      await expectError("/v1/indices/CTPI/fixings/2026-10-01T09:15:00Z", 404, "not_found"); // indicative only
    });

    it("unknown route", async () => {
      await expectError("/v2/indices", 404, "not_found");
      await expectError("/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z/extra", 404, "not_found");
    });
  });

  describe("400 for bad parameters, never a 500 for bad input", () => {
    it("bad dates and instants", async () => {
      for (const path of [
        "/v1/indices/CTPI/fixings/2026-09-29",
        "/v1/indices/CTPI/fixings/2026-09-29T08:00:00",
        "/v1/indices/CTPI/fixings/2026-02-30T08:00:00Z",
        "/v1/indices/CTPI/fixings/0000-01-01T00:00:00Z",
        "/v1/indices/CTPI/fixings/2026-09-29T08:00:00+16:00",
        "/v1/indices/CTPI/fixings/99999-09-29T08:00:00Z",
        "/v1/indices/CTPI/fixings/not-a-time",
        "/v1/indices/CTPI/fixings?from=2026-9-1",
        "/v1/indices/CTPI/fixings?to=2026-10-01T08:00:60Z",
        "/v1/indices/CTPI/fixings?from=" + "9".repeat(500),
      ]) {
        await expectError(path, 400, "bad_request");
      }
    });

    it("names the parameter in the message", async () => {
      expect(await expectError("/v1/indices/CTPI/fixings/yesterday", 400, "bad_request")).toMatch(/^fixing_time: /);
      expect(await expectError("/v1/indices/CTPI/fixings?to=x", 400, "bad_request")).toMatch(/^to: /);
    });

    it("malformed percent-encoding", async () => {
      await expectError("/v1/indices/CTPI/fixings?from=%E0%A4%A", 400, "bad_request");
      await expectError("/v1/indices/CTPI/fixings/%E0%A4%A", 400, "bad_request");
      await expectError("/v1/indices/CT%ZZPI/latest", 400, "bad_request");
      await expectError("/v1/indices/CTPI/fixings?from=%00", 400, "bad_request");
    });

    it("a huge or repeated parameter", async () => {
      await expectError("/v1/indices/CTPI/fixings/2026-09-30T08:00:00Z?revision=1" + "0".repeat(40), 400, "bad_request");
      await expectError("/v1/indices/CTPI/fixings?from=2026-09-30&from=2026-10-01", 400, "bad_request");
      await expectError("/v1/indices/" + "C".repeat(200) + "/latest", 400, "bad_request");
    });
  });

  describe("GET routes send Access-Control-Allow-Origin: *", () => {
    it("on answers, CSV and errors alike", async () => {
      for (const path of ["/v1/indices", "/v1/indices/CTPI/latest", "/v1/indices/CTPI/fixings?format=csv", "/v1/indices/NOPE/latest", "/v1/indices/CTPI/fixings?from=x", "/nowhere"]) {
        const r = await get(at(path));
        expect(r.headers.get("access-control-allow-origin"), path).toBe("*");
      }
    });

    it("answers a preflight request", async () => {
      const r = await fetch(at("/v1/indices"), {
        method: "OPTIONS",
        headers: { Origin: "https://example.org", "Access-Control-Request-Method": "GET" },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
    });
  });
});
