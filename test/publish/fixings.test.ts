import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";
import { get, n } from "./http.ts";
import { servedHistory } from "./seed.ts";

const times = (r: { json: any }) => r.json.data.map((f: { fixing_time: string }) => f.fixing_time);

describeEachEngine("publish: GET /v1/indices/{code}/fixings", (ctx) => {
  const server = servedHistory(ctx);
  const url = (query = "") => `${server.base()}/v1/indices/CTPI/fixings${query}`;

  describe("final fixings in the range, oldest first, {\"data\":[...]}", () => {
    it("lists every final fixing oldest first, latest revision of each, no indicatives", async () => {
      const r = await get(url());
      expect(r.status).toBe(200);
      expect(times(r)).toEqual(["2026-09-29T08:00:00Z", "2026-09-30T08:00:00Z", "2026-10-01T08:00:00Z"]);
      expect(r.json.data.map((f: { revision: number }) => f.revision)).toEqual([1, 2, 1]);
      expect(r.json.data.every((f: { kind: string }) => f.kind === "final")).toBe(true);
      expect(r.json.data[0].constituents).toBeUndefined();
    });

    it("from and to are inclusive; a date to runs through the end of that day UTC", async () => {
      expect(times(await get(url("?from=2026-09-30&to=2026-09-30")))).toEqual(["2026-09-30T08:00:00Z"]);
      expect(times(await get(url("?from=2026-09-30T08:00:00Z&to=2026-10-01T08:00:00Z")))).toEqual([
        "2026-09-30T08:00:00Z",
        "2026-10-01T08:00:00Z",
      ]);
      expect(times(await get(url("?to=2026-10-01T07:59:59.999999Z")))).toEqual(["2026-09-29T08:00:00Z", "2026-09-30T08:00:00Z"]);
      expect(times(await get(url("?from=2026-09-30T08:00:00.000001Z")))).toEqual(["2026-10-01T08:00:00Z"]);
    });

    it("reads an offset instant, including a + that the query string decoded as a space", async () => {
      expect(times(await get(url("?from=2026-10-01T16:00:00%2B08:00")))).toEqual(["2026-10-01T08:00:00Z"]);
      expect(times(await get(url("?from=2026-10-01T16:00:00+08:00")))).toEqual(["2026-10-01T08:00:00Z"]);
    });

    it("an empty range is {\"data\":[]}", async () => {
      const r = await get(url("?from=2030-01-01"));
      expect(r.status).toBe(200);
      expect(r.text).toBe(`{"data":[]}`);
    });

    it("ignores unknown query parameters", async () => {
      expect(times(await get(url("?from=2026-10-01&utm_source=x&page=2")))).toEqual(["2026-10-01T08:00:00Z"]);
    });

    it("rejects a from after to, and a malformed date, with 400", async () => {
      for (const q of ["?from=2026-10-02&to=2026-10-01", "?from=2026-02-30", "?to=yesterday", "?from=2026-10-01T08:00:00", "?to=2026-10-01T25:00:00Z"]) {
        const r = await get(url(q));
        expect(r.status, q).toBe(400);
        expect(r.json.error.code, q).toBe("bad_request");
      }
    });
  });

  describe("?kind=indicative lists the indicative fixings instead (what the dashboard draws as the latest day's series)", () => {
    it("gives only the indicatives in the range; kind=final is the default", async () => {
      const r = await get(url("?kind=indicative&from=2026-10-01T08:00:00Z"));
      expect(r.status).toBe(200);
      expect(times(r)).toEqual(["2026-10-01T09:15:00Z"]);
      expect(r.json.data[0].kind).toBe("indicative");
      expect(n(r.json.data[0].value)).toBe("2.500000");
      expect(times(await get(url("?kind=indicative&to=2026-10-01T09:00:00Z")))).toEqual([]);
      expect(times(await get(url("?kind=final&from=2026-10-01")))).toEqual(["2026-10-01T08:00:00Z"]);
    });

    it("CSV too, with the kind column saying so", async () => {
      const r = await get(url("?kind=indicative&format=csv"));
      const records = parseCsv(r.text, { columns: true }) as { kind: string; fixing_time: string }[];
      expect(records.map((f) => [f.fixing_time, f.kind])).toEqual([["2026-10-01T09:15:00Z", "indicative"]]);
    });

    it("a kind that is neither is a 400", async () => {
      const r = await get(url("?kind=preliminary"));
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("bad_request");
    });
  });

  describe("Accept: text/csv or ?format=csv for CSV (RFC 4180 with a header row)", () => {
    it("?format=csv gives a header row and one CRLF-terminated record per fixing", async () => {
      const r = await get(url("?format=csv"));
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = r.text.split("\r\n");
      expect(lines[0]).toBe(
        "index,fixing_time,kind,status,value,level,currency,unit,p25,p50,p75,methodology_version,revision," +
          "computed_at,inputs_sha256,reason,constituent_count,provider_count,carried_from_fixing_time,carried_from_revision",
      );
      expect(lines.at(-1)).toBe("");
      const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      expect(records.map((x) => x.fixing_time)).toEqual(["2026-09-29T08:00:00Z", "2026-09-30T08:00:00Z", "2026-10-01T08:00:00Z"]);
      expect(records[0]).toMatchObject({ value: "2.345000", level: "1000.000000", p25: "1.100000", unit: "1M tokens", revision: "1" });
      expect(records[2]).toMatchObject({ status: "insufficient", p25: "", carried_from_fixing_time: "2026-09-30T08:00:00Z", carried_from_revision: "2" });
    });

    it("Accept: text/csv gives the same CSV; Accept: application/json or */* gives JSON", async () => {
      const csv = await get(url(), { Accept: "text/csv" });
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(csv.text).toBe((await get(url("?format=csv"))).text);
      expect((await get(url(), { Accept: "*/*" })).headers.get("content-type")).toMatch(/^application\/json/);
      expect((await get(url(), { Accept: "text/csv;q=0.5, application/json" })).headers.get("content-type")).toMatch(/^application\/json/);
      expect((await get(url("?format=json"), { Accept: "text/csv" })).headers.get("content-type")).toMatch(/^application\/json/);
    });

    it("a cell starting with = + - or @ that is not a number is prefixed with '", async () => {
      const r = await get(url("?format=csv"));
      const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      expect(records[1]!.reason).toBe(`'=HYPERLINK("http://evil.example") late usage, "quoted"`);
      expect(records[2]!.reason).toBe("'-5% providers left");
      expect(records[0]!.reason).toBe("scheduled");
    });

    it("an empty range is the header row alone; a bad format is 400", async () => {
      const r = await get(url("?format=csv&from=2030-01-01"));
      expect(r.text.split("\r\n")).toEqual([expect.stringMatching(/^index,fixing_time,/), ""]);
      expect((await get(url("?format=xml"))).status).toBe(400);
    });
  });

  describe("a long range streams page by page, complete and in order", () => {
    it("returns all 1201 fixings of a long history in JSON and CSV", async () => {
      const database = await ctx.fresh();
      await database.db.execute(sql`
        INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status, value, level,
          currency, constituent_count, provider_count, methodology_version, inputs_sha256, reason, computed_at, data_origin)
        SELECT 'CTPI', 1, t, 'final', 1, 'ok', 2.5, 1000, 'CNY', 5, 3, '1', 'x', 'scheduled', t, 'real'
        FROM generate_series('2020-01-01T08:00:00Z'::timestamptz, '2023-04-15T08:00:00Z'::timestamptz, interval '1 day') AS t`);
      const running = await serveForTest(database);
      try {
        const r = await get(`${running.url}/v1/indices/CTPI/fixings`);
        expect(r.json.data).toHaveLength(1201);
        const all = times(r) as string[];
        expect(all[0]).toBe("2020-01-01T08:00:00Z");
        expect(all.at(-1)).toBe("2023-04-15T08:00:00Z");
        expect([...all].sort()).toEqual(all);
        expect(new Set(all).size).toBe(1201);
        expect(n(r.json.data[600].value)).toBe("2.500000");
        const csv = await get(`${running.url}/v1/indices/CTPI/fixings?format=csv`);
        expect(parseCsv(csv.text, { columns: true })).toHaveLength(1201);
      } finally {
        await running.close();
      }
    });
  });
});
