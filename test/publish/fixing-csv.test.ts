import { describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import { describeEachEngine } from "../support/engines.ts";
import { get } from "./http.ts";
import { BIG_TOKENS, servedHistory } from "./seed.ts";

describeEachEngine("publish: GET /v1/indices/{code}/fixings/{fixing_time} as CSV", (ctx) => {
  const server = servedHistory(ctx);
  const url = (time: string, query = "") => `${server.base()}/v1/indices/CTPI/fixings/${time}${query}`;
  const records = (text: string) => parseCsv(text, { columns: true }) as Record<string, string>[];

  describe("?format=csv or Accept: text/csv: the constituents, RFC 4180 with a header row", () => {
    it("has a header row and one CRLF-terminated record per constituent, in the JSON's order", async () => {
      const r = await get(url("2026-09-29T08:00:00Z", "?format=csv"));
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = r.text.split("\r\n");
      expect(lines[0]).toBe(
        "index,fixing_time,kind,revision,provider,model,weight,price,input_price,output_price," +
          "input_tokens,cached_input_tokens,output_tokens,capped,held,sheet_id",
      );
      expect(lines).toHaveLength(6);
      expect(lines.at(-1)).toBe("");
      const rows = records(r.text);
      expect(rows.map((x) => x.provider)).toEqual(["alibaba", "deepseek", "moonshot", "zhipu"]);
      expect(rows[1]).toEqual({
        index: "CTPI", fixing_time: "2026-09-29T08:00:00Z", kind: "final", revision: "1", provider: "deepseek",
        model: "deepseek-chat", weight: "0.25000000", price: "2.000000", input_price: "1.000002", output_price: "3.000000",
        input_tokens: BIG_TOKENS, cached_input_tokens: "9007199254740993", output_tokens: "5", capped: "true", held: "", sheet_id: "11",
      });
      expect(rows[2]).toMatchObject({ capped: "true", held: "input;output" });
      expect(rows[0]).toMatchObject({ weight: "0.37654322", capped: "false" });
    });

    it("Accept: text/csv gives the same CSV and Vary: Accept; JSON stays the default", async () => {
      const csv = await get(url("2026-09-29T08:00:00Z"), { Accept: "text/csv" });
      expect(csv.text).toBe((await get(url("2026-09-29T08:00:00Z", "?format=csv"))).text);
      expect(csv.headers.get("vary")).toMatch(/Accept/);
      const json = await get(url("2026-09-29T08:00:00Z"), { Accept: "*/*" });
      expect(json.headers.get("content-type")).toMatch(/^application\/json/);
      expect(json.json.constituents).toHaveLength(4);
    });

    it("?revision=N and ?as_of select the revision the CSV shows", async () => {
      const one = records((await get(url("2026-09-30T08:00:00Z", "?format=csv&revision=1"))).text);
      expect(one.map((x) => [x.revision, x.price])).toEqual([["1", "2.400000"]]);
      const latest = records((await get(url("2026-09-30T08:00:00Z", "?format=csv"))).text);
      expect(latest.map((x) => [x.revision, x.price])).toEqual([["2", "2.410000"]]);
    });
  });

  describe("one table per answer: ?table=exclusions gives the exclusions", () => {
    it("lists each exclusion with its reason, under the fixing's key", async () => {
      const r = await get(url("2026-09-29T08:00:00Z", "?format=csv&table=exclusions"));
      expect(r.text.split("\r\n")[0]).toBe("index,fixing_time,kind,revision,provider,model,reason");
      expect(records(r.text)).toEqual([
        { index: "CTPI", fixing_time: "2026-09-29T08:00:00Z", kind: "final", revision: "1", provider: "baidu", model: "ernie-4", reason: "no_volume" },
        { index: "CTPI", fixing_time: "2026-09-29T08:00:00Z", kind: "final", revision: "1", provider: "openai", model: "gpt-5", reason: "not_in_universe" },
      ]);
    });

    it("a fixing without exclusions is the header row alone; an unknown table is 400", async () => {
      const r = await get(url("2026-09-30T08:00:00Z", "?format=csv&table=exclusions"));
      expect(r.text).toBe("index,fixing_time,kind,revision,provider,model,reason\r\n");
      const bad = await get(url("2026-09-30T08:00:00Z", "?format=csv&table=weights"));
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe("bad_request");
    });
  });

  describe("errors stay JSON", () => {
    it("an unknown fixing asked as CSV is a JSON 404", async () => {
      const r = await get(url("2026-09-28T08:00:00Z", "?format=csv"));
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("not_found");
    });
  });
});
