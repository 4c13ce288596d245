/**
 * The rulebook's usage gates: a bad record rejects the whole file with its line number;
 * the same numbers again change nothing; different numbers supersede (the old row stays).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { rows, type Db } from "../../src/db/index.ts";
import { importUsage, importUsageFile } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { USAGE_HEADER, counts, streamOf } from "./helpers.ts";

const P1 = "2026-09-01T00:00:00+08:00,2026-09-02T00:00:00+08:00";
const P2 = "2026-09-02T00:00:00+08:00,2026-09-03T00:00:00+08:00";
const csv = (...lines: string[]) => [USAGE_HEADER, ...lines].join("\n") + "\n";
const GOOD = [`acme,m1,${P1},1000,100,500`, `acme,m2,${P1},2000,,700`, `acme,m1,${P2},3000,0,900`];

/**
 * A CSV file that can be read again goes the straight way first (one COPY into
 * usage_records) and the careful way (staging, set-based merge) only when the straight way
 * cannot decide; a stream read once goes the careful way alone. Every rule below holds on
 * both ways.
 */
const WAYS = ["straight way first", "careful way only"] as const;
type Way = (typeof WAYS)[number];

function importerOf(way: Way) {
  const importText = (db: Db, location: string, text: string, format: "csv" | "json" = "csv") =>
    importUsage(db, {
      location,
      stream: streamOf(text),
      format,
      ...(way === "straight way first" ? { reopen: async () => streamOf(text) } : {}),
    });
  const importCsv = (db: Db, location: string, text: string) => importText(db, location, text);
  /** A bad file: exactly `message`, as an InputError, and not one row more anywhere. */
  async function expectFileRejected(db: Db, location: string, text: string, message: string, format: "csv" | "json" = "csv") {
    const before = await counts(db);
    const err = await importText(db, location, text, format).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(message);
    expect(await counts(db)).toEqual(before);
  }
  return { importCsv, expectFileRejected };
}

for (const way of WAYS) describeEachEngine(`usage gates (${way})`, (ctx) => {
  const { importCsv, expectFileRejected } = importerOf(way);
  it("accepts a good file (accepted data the rejections below must leave alone)", async () => {
    expect(await importCsv(ctx.db, "good.csv", csv(...GOOD))).toEqual({ location: "good.csv", stored: 3, unchanged: 0, rejected: [] });
  });

  describe("a usage record with negative or non-integer token counts is rejected with its line number, and with it the whole file", () => {
    it("a negative token count on line 4 names the file, line 4 and the field", async () => {
      await expectFileRejected(ctx.db, "neg.csv", csv(`new,m1,${P1},1,0,1`, `new,m2,${P1},1,0,1`, `new,m3,${P1},-5,0,1`, `new,m4,${P1},1,0,1`),
        "neg.csv:4: input_tokens: not a non-negative integer");
    });
    it("a non-integer token count is rejected", async () => {
      await expectFileRejected(ctx.db, "frac.csv", csv(`new,m1,${P1},10,0,12.5`), "frac.csv:2: output_tokens: not a non-negative integer");
    });
    it("a token count that is not a number is rejected", async () => {
      await expectFileRejected(ctx.db, "abc.csv", csv(`new,m1,${P1},ten,0,1`), "abc.csv:2: input_tokens: not a non-negative integer");
    });
    it("an empty input_tokens is rejected (only cached_input_tokens may be empty)", async () => {
      await expectFileRejected(ctx.db, "blank.csv", csv(`new,m1,${P1},,0,1`), "blank.csv:2: input_tokens: not a non-negative integer");
    });
    it("a count of 10^18 or more in one record is rejected (issue 11's bound), as is one too large for bigint", async () => {
      await expectFileRejected(ctx.db, "big.csv", csv(`new,m1,${P1},1000000000000000000,0,1`), "big.csv:2: input_tokens: 10^18 tokens or more in one record");
      await expectFileRejected(ctx.db, "big.csv", csv(`new,m1,${P1},9223372036854775808,0,1`), "big.csv:2: input_tokens: 10^18 tokens or more in one record");
    });
    it("in JSON, a non-integer count is rejected with its path", async () => {
      const text = `{"schema": "ciyuan.usage/1", "records": [
        {"provider": "new", "model": "m1", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": 10, "output_tokens": 1},
        {"provider": "new", "model": "m2", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": 10, "output_tokens": 1.5}]}`;
      await expectFileRejected(ctx.db, "frac.json", text, "frac.json: records[1].output_tokens: not a non-negative integer", "json");
    });
    it("in JSON, a count written as a string is rejected", async () => {
      const text = `{"schema": "ciyuan.usage/1", "records": [{"provider": "new", "model": "m1", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": "10", "output_tokens": 1}]}`;
      await expectFileRejected(ctx.db, "str.json", text, "str.json: records[0].input_tokens: not a non-negative integer", "json");
    });
  });

  describe("a usage record with period_end <= period_start is rejected", () => {
    it("period_end equal to period_start is rejected", async () => {
      await expectFileRejected(ctx.db, "eq.csv", csv(`new,m1,2026-09-01T00:00:00Z,2026-09-01T08:00:00+08:00,1,0,1`), "eq.csv:2: period_end: not after period_start");
    });
    it("period_end before period_start is rejected", async () => {
      await expectFileRejected(ctx.db, "before.csv", csv(GOOD[0]!, `new,m1,2026-09-02T00:00:00Z,2026-09-01T00:00:00Z,1,0,1`), "before.csv:3: period_end: not after period_start");
    });
    it("a period without an offset is rejected", async () => {
      await expectFileRejected(ctx.db, "local.csv", csv(`new,m1,2026-09-01T00:00:00,2026-09-02T00:00:00Z,1,0,1`),
        "local.csv:2: period_start: no UTC offset (ISO 8601 with offset required)");
    });
  });

  describe("a usage record with cached_input_tokens > input_tokens is rejected", () => {
    it("cached above input is rejected", async () => {
      await expectFileRejected(ctx.db, "cached.csv", csv(`new,m1,${P1},100,101,1`), "cached.csv:2: cached_input_tokens: greater than input_tokens");
    });
    it("cached equal to input is accepted", async () => {
      expect(await importCsv(ctx.db, "cached-eq.csv", csv(`eq,m1,${P1},100,100,1`))).toMatchObject({ stored: 1 });
    });
  });

  describe("a usage file must be well formed", () => {
    it("a CSV with a missing column is rejected at its header", async () => {
      await expectFileRejected(ctx.db, "cols.csv", "provider,model,period_start,period_end,input_tokens,output_tokens\nnew,m1,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,1\n",
        'cols.csv:1: header: missing column "cached_input_tokens"');
    });
    it("a row with a missing field is rejected with its line", async () => {
      await expectFileRejected(ctx.db, "short.csv", csv(GOOD[0]!, `new,m1,${P1},1,1`), "short.csv:3: row: expected 7 fields, got 6");
    });
    it("truncated JSON is rejected", async () => {
      const err = await importUsage(ctx.db, { location: "cut.json", stream: streamOf(`{"schema": "ciyuan.usage/1",\n "records": [{"provider"`), format: "json" }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/^cut\.json:2: not valid JSON: /);
    });
    it("JSON with another schema is rejected", async () => {
      await expectFileRejected(ctx.db, "v2.json", `{"schema": "ciyuan.usage/2", "records": []}`, 'v2.json: schema: must be "ciyuan.usage/1"', "json");
    });
    it("line numbers are physical lines: blank lines and CRLF count", async () => {
      const text = `${USAGE_HEADER}\r\n\r\nnew,m1,${P1},1,0,1\r\n\r\n\r\nnew,m2,${P1},-1,0,1\r\n`;
      await expectFileRejected(ctx.db, "crlf.csv", text, "crlf.csv:6: input_tokens: not a non-negative integer");
    });
  });

  describe("importing the same numbers again changes nothing", () => {
    it("the same file twice: every record unchanged, no row added", async () => {
      const before = await counts(ctx.db);
      expect(await importCsv(ctx.db, "good.csv", csv(...GOOD))).toEqual({ location: "good.csv", stored: 0, unchanged: 3, rejected: [] });
      expect(await counts(ctx.db)).toEqual(before);
    });
    it("a key repeated with the same numbers in one file is one record", async () => {
      expect(await importCsv(ctx.db, "rep.csv", csv(`rep,m1,${P1},5,1,5`, `rep,m1,${P1},5,1,5`))).toMatchObject({ stored: 1, unchanged: 0 });
    });
    it("the same period written with another offset is the same key", async () => {
      const utc = "2026-08-31T16:00:00Z,2026-09-01T16:00:00Z";
      expect(await importCsv(ctx.db, "utc.csv", csv(`acme,m1,${utc},1000,100,500`))).toMatchObject({ stored: 0, unchanged: 1 });
    });
  });

  describe("different numbers are a correction that supersedes the old record (the old one is kept)", () => {
    it("adds version 2 for the key and keeps version 1", async () => {
      const o = await importCsv(ctx.db, "fix.csv", csv(`acme,m1,${P1},1100,100,500`, GOOD[1]!));
      expect(o).toMatchObject({ stored: 1, unchanged: 1 });
      const versions = await rows(ctx.db, sql`select version, input_tokens from usage_records
        where provider = 'acme' and model = 'm1' and period_end = '2026-09-02T00:00:00+08:00' order by version`);
      expect(versions).toEqual([
        { version: 1, input_tokens: "1000" },
        { version: 2, input_tokens: "1100" },
      ]);
    });
    it("going back to the old numbers is another correction (version 3), compared with the latest version", async () => {
      expect(await importCsv(ctx.db, "back.csv", csv(GOOD[0]!))).toMatchObject({ stored: 1 });
      const [v] = await rows(ctx.db, sql`select max(version) as v from usage_records where provider = 'acme' and model = 'm1'
        and period_end = '2026-09-02T00:00:00+08:00'`);
      expect(v).toEqual({ v: 3 });
    });
    it("a key repeated in one file with different numbers rejects the file, naming both lines", async () => {
      await expectFileRejected(ctx.db, "clash.csv", csv(`new,m1,${P1},5,1,5`, GOOD[2]!, `new,m1,${P1},6,1,5`),
        "clash.csv:4: record: same provider, model and period as line 2 but different token counts");
    });
    it("a file repeating a few keys many times with other numbers is rejected as quickly as any (60,000 rows, 600 keys)", async () => {
      // Once planned as a nested loop of staged rows against keys: 300,000 rows took minutes.
      const lines: string[] = [];
      for (let i = 0; i < 60_000; i++) lines.push(`rep,m${i % 600},${P1},${1000 + i},1,5`);
      const started = Date.now();
      await expectFileRejected(ctx.db, "many.csv", csv(...lines),
        "many.csv:602: record: same provider, model and period as line 2 but different token counts");
      expect(Date.now() - started).toBeLessThan(20_000);
    }, 60_000);
  });

  describe("tokens may exceed 2^53: stored as bigint, exactly", () => {
    it("stores 9007199254740993 and 999999999999999999 (the largest count allowed) exactly", async () => {
      expect(await importCsv(ctx.db, "huge.csv", csv(`huge,m1,${P1},999999999999999999,9007199254740993,9007199254740993`))).toMatchObject({ stored: 1 });
      const [r] = await rows(ctx.db, sql`select input_tokens, cached_input_tokens, output_tokens from usage_records where provider = 'huge'`);
      expect(r).toEqual({ input_tokens: "999999999999999999", cached_input_tokens: "9007199254740993", output_tokens: "9007199254740993" });
    });
    it("reads exact big integers from JSON too", async () => {
      const text = `{"schema": "ciyuan.usage/1", "records": [{"provider": "hugej", "model": "m1", "period_start": "2026-09-01T00:00:00Z",
        "period_end": "2026-09-02T00:00:00Z", "input_tokens": 9007199254740993, "cached_input_tokens": null, "output_tokens": 12345678901234567}]}`;
      expect(await importUsage(ctx.db, { location: "huge.json", stream: streamOf(text) })).toMatchObject({ stored: 1 });
      const [r] = await rows(ctx.db, sql`select input_tokens, cached_input_tokens, output_tokens from usage_records where provider = 'hugej'`);
      expect(r).toEqual({ input_tokens: "9007199254740993", cached_input_tokens: null, output_tokens: "12345678901234567" });
    });
  });

  describe("a usage file is recorded once in payloads, without its content", () => {
    it("has the file's sha256 and size, and no content", async () => {
      const text = csv(`pay,m1,${P1},1,0,1`);
      await importCsv(ctx.db, "pay.csv", text);
      await importCsv(ctx.db, "pay.csv", text);
      const p = await rows(ctx.db, sql`select p.kind, p.bytes, p.content from payloads p where p.location = 'pay.csv'`);
      expect(p).toEqual([{ kind: "usage", bytes: String(Buffer.byteLength(text)), content: null }]);
    });
  });
});

describeEachEngine("usage files go through COPY: what the byte scan must get right", (ctx) => {
  const bytesOf = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
  async function importBytes(location: string, bytes: Buffer, chunk = 0) {
    const pieces = chunk > 0 ? Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)) : [bytes];
    return importUsage(ctx.db, { location, stream: Readable.from(pieces, { objectMode: false }), format: "csv" });
  }
  async function rejected(location: string, bytes: Buffer, message: string) {
    const before = await counts(ctx.db);
    const err = await importBytes(location, bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(message);
    expect(await counts(ctx.db)).toEqual(before);
  }
  const stored = (provider: string) =>
    rows(ctx.db, sql`select provider, model, period_start, period_end, version, input_tokens, cached_input_tokens, output_tokens
                     from usage_records where provider = ${provider} order by model, period_start, version`);

  it("a quoted field spanning lines counts its lines: the bad record after it has its physical line", async () => {
    await rejected("span.csv", bytesOf(csv(`q,"m\n1",${P1},1,0,1`, `q,m2,${P1},-1,0,1`)), "span.csv:4: input_tokens: not a non-negative integer");
    await rejected("span-crlf.csv", bytesOf(`${USAGE_HEADER}\r\nq,"m\r\n1",${P1},1,0,1\r\n\r\nq,m2,${P1},1,5,1\r\n`), "span-crlf.csv:5: cached_input_tokens: greater than input_tokens");
  });

  it("a NUL byte or bad UTF-8 is one line naming the file (not a UTF-8 text file), not a database error", async () => {
    await rejected("nul.csv", bytesOf(csv(`q,m1,${P1},1,0,1`), `q,m\u0000,${P1},1,0,1\n`), "nul.csv: not a UTF-8 text file");
    await rejected("utf.csv", bytesOf(csv(`q,m1,${P1},1,0,1`), "q,m", Buffer.from([0xc3, 0x28]), `,${P1},1,0,1\n`), "utf.csv: not a UTF-8 text file");
    await rejected("utf16.csv", Buffer.from(csv(`q,m1,${P1},1,0,1`), "utf16le"), "utf16.csv: not a UTF-8 text file");
  });

  it("an empty file, a header alone, white space lines and a last line without its line end", async () => {
    await rejected("empty.csv", Buffer.alloc(0), "empty.csv: header: missing (the file is empty)");
    await rejected("blank.csv", bytesOf("\n  \n"), "blank.csv: header: missing (the file is empty)");
    expect(await importBytes("head.csv", bytesOf(`${USAGE_HEADER}\n`))).toEqual({ location: "head.csv", stored: 0, unchanged: 0, rejected: [] });
    expect(await importBytes("tail.csv", bytesOf(`\n${USAGE_HEADER}\n \t \nws,m1,${P1},1,0,1\n   \nws,m2,${P1},1,,1`))).toMatchObject({ stored: 2 });
    await rejected("tail-bad.csv", bytesOf(`\n${USAGE_HEADER}\n \t \nws,m3,${P1},1,0,1\n   \nws,m4,${P1},1,,-1`), "tail-bad.csv:6: output_tokens: not a non-negative integer");
  });

  it("an unclosed quote is not valid CSV, at its line", async () => {
    await rejected("open.csv", bytesOf(csv(`q,m1,${P1},1,0,1`, `q,"m2,${P1},1,0,1`, `q,m3,${P1},1,0,1`)), "open.csv:3: not valid CSV: a quote opened on this line is never closed");
    await rejected("close.csv", bytesOf(csv(`q,m1,${P1},1,0,1`, `q,"m2"x,${P1},1,0,1`)), 'close.csv:3: not valid CSV: Invalid Closing Quote: got "x" at line 3 instead of delimiter, record delimiter, trimable character (if activated) or comment');
  });

  it("the first bad record wins, whichever check finds it (the scan or SQL)", async () => {
    // Line 3: period_end before period_start (found in SQL); line 4: not a number (found by the scan).
    await rejected("order.csv", bytesOf(csv(`q,m1,${P1},1,0,1`, `q,m2,${P2.split(",")[1]},${P1.split(",")[0]},1,0,1`, `q,m3,${P1},x,0,1`)),
      "order.csv:3: period_end: not after period_start");
    // Both on one record: period_end first, as the gates order them.
    await rejected("both.csv", bytesOf(csv(`q,m1,${P2.split(",")[1]},${P1.split(",")[0]},1,5,1`)), "both.csv:2: period_end: not after period_start");
  });

  it("columns in any order, spaces around cells, quotes, leading zeros, 24:00 and a BOM: the same records as csv-parse reads them", async () => {
    const text = bytesOf(
      Buffer.from([0xef, 0xbb, 0xbf]),
      "output_tokens,model,provider,period_end,period_start,cached_input_tokens,input_tokens\r\n",
      `7, "m 1" ,sp,2026-09-01T24:00:00+08:00,2026-09-01T00:00:00+08:00,,0010\r\n`,
      `"8",m2,"s""p",2026-09-02T00:00:00+0800,2026-09-01T00:00+08,2,3\r\n`,
      `9,模型,sp,2026-09-02T00:00:00+08:00,2026-09-01T00:00:00+08:00,0,4`,
    );
    expect(await importBytes("any.csv", text)).toMatchObject({ stored: 3 });
    expect(await stored("sp")).toEqual([
      { provider: "sp", model: "m 1", period_start: "2026-08-31 16:00:00+00", period_end: "2026-09-01 16:00:00+00", version: 1, input_tokens: "10", cached_input_tokens: null, output_tokens: "7" },
      { provider: "sp", model: "模型", period_start: "2026-08-31 16:00:00+00", period_end: "2026-09-01 16:00:00+00", version: 1, input_tokens: "4", cached_input_tokens: "0", output_tokens: "9" },
    ]);
    expect(await stored('s"p')).toEqual([
      { provider: 's"p', model: "m2", period_start: "2026-08-31 16:00:00+00", period_end: "2026-09-01 16:00:00+00", version: 1, input_tokens: "3", cached_input_tokens: "2", output_tokens: "8" },
    ]);
    // Fed one byte at a time (BOM, CRLF, quotes and UTF-8 split across chunks): the same records.
    expect(await importBytes("any.csv", text, 1)).toMatchObject({ stored: 0, unchanged: 3 });
  });

  it("an offset Postgres does not take (+16:00) is read as the gates read it, and stored in UTC", async () => {
    expect(await importBytes("far.csv", bytesOf(csv(`far,m1,2026-09-01T00:00:00+16:00,2026-09-02T00:00:00+16:00,1,0,1`)))).toMatchObject({ stored: 1 });
    expect((await stored("far"))[0]).toMatchObject({ period_start: "2026-08-31 08:00:00+00", period_end: "2026-09-01 08:00:00+00" });
  });

  it("a key stored before, repeated in the file with the stored numbers and then others: rejected, naming both lines", async () => {
    await importBytes("base.csv", bytesOf(csv(`rb,m1,${P1},5,1,5`)));
    await rejected("rb.csv", bytesOf(csv(`rb,m1,${P1},5,1,5`, `rb,m2,${P1},1,0,1`, `rb,m1,${P1},6,1,5`)),
      "rb.csv:4: record: same provider, model and period as line 2 but different token counts");
  });

  it("a correction names the record it supersedes; everything is written under one usage batch of the payload", async () => {
    await importBytes("c1.csv", bytesOf(csv(`sup,m1,${P1},5,1,5`, `sup,m2,${P1},5,1,5`)));
    await importBytes("c2.csv", bytesOf(csv(`sup,m1,${P1},6,1,5`, `sup,m2,${P1},5,1,5`, `sup,m3,${P1},1,0,1`)));
    const r = await rows<{ model: string; version: number; supersedes: string | null; prev: string | null; kind: string; location: string }>(
      ctx.db,
      sql`select u.model, u.version, u.supersedes, p.id as prev, b.kind, pl.location
          from usage_records u join input_batches b on b.id = u.batch_id join payloads pl on pl.id = b.payload_id and pl.id = u.payload_id
          left join usage_records p on p.id = u.supersedes
          where u.provider = 'sup' order by u.model, u.version`,
    );
    expect(r.map((x) => [x.model, x.version, x.supersedes === null ? null : x.supersedes === x.prev, x.kind, x.location])).toEqual([
      ["m1", 1, null, "usage", "c1.csv"],
      ["m1", 2, true, "usage", "c2.csv"],
      ["m2", 1, null, "usage", "c1.csv"],
      ["m3", 1, null, "usage", "c2.csv"],
    ]);
    const [v1] = await rows<{ id: string }>(ctx.db, sql`select id from usage_records where provider = 'sup' and model = 'm1' and version = 1`);
    const [v2] = await rows<{ supersedes: string }>(ctx.db, sql`select supersedes from usage_records where provider = 'sup' and model = 'm1' and version = 2`);
    expect(v2!.supersedes).toBe(v1!.id);
  });

  it("a file with nothing new opens no batch", async () => {
    const batches = async () => (await rows<{ n: string }>(ctx.db, sql`select count(*) as n from input_batches`))[0]!.n;
    const before = await batches();
    expect(await importBytes("c1.csv", bytesOf(csv(`sup,m1,${P1},6,1,5`, `sup,m2,${P1},5,1,5`)))).toMatchObject({ stored: 0, unchanged: 2 });
    expect(await batches()).toBe(before);
  });

  it("in JSON, a relation between fields is reported with the record's path", async () => {
    const text = `{"schema": "ciyuan.usage/1", "records": [
      {"provider": "js", "model": "m1", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": 10, "output_tokens": 1},
      {"provider": "js", "model": "m1", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": 11, "output_tokens": 1}]}`;
    const err = await importUsage(ctx.db, { location: "rep.json", stream: streamOf(text), format: "json" }).catch((e: Error) => e);
    expect((err as Error).message).toBe("rep.json: records[1]: same provider, model and period as records[0] but different token counts");
    const nul = `{"schema": "ciyuan.usage/1", "records": [{"provider": "js", "model": "m\\u0000", "period_start": "2026-09-01T00:00:00Z", "period_end": "2026-09-02T00:00:00Z", "input_tokens": 1, "output_tokens": 1}]}`;
    const e2 = await importUsage(ctx.db, { location: "nul.json", stream: streamOf(nul), format: "json" }).catch((e: Error) => e);
    expect((e2 as Error).message).toBe("nul.json: records[0].model: contains a NUL character");
  });
});

describeEachEngine("usage files are streamed, never held whole", (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-usage-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const LINES = 200_000;
  // Five-minute periods: 200k lines span 100 weeks (usage is stored by week), not 23 years.
  const STEP_MS = 5 * 60_000;
  const line = (i: number) => `gen,m${i % 50},${new Date(Date.UTC(2020, 0, 1) + i * STEP_MS).toISOString()},${new Date(Date.UTC(2020, 0, 1) + (i + 1) * STEP_MS).toISOString()},${1000 + i},${i % 1000},${500 + i}\n`;

  /** A lazy CSV source that remembers how far it was read. */
  function generated(bad?: number) {
    const state = { produced: 0 };
    async function* chunks() {
      yield `${USAGE_HEADER}\n`;
      for (let i = 0; i < LINES; i += 1000) {
        let chunk = "";
        for (let j = i; j < i + 1000; j++) chunk += j + 2 === bad ? `gen,bad,${P1},-1,0,1\n` : line(j);
        state.produced = i + 1000;
        yield chunk;
      }
    }
    return { state, stream: Readable.from(chunks(), { objectMode: false, highWaterMark: 16 * 1024 }) };
  }

  it(`imports a generated ${LINES}-line CSV from a file`, { timeout: 300_000 }, async () => {
    const file = path.join(dir, "big.csv");
    await pipeline(generated().stream, fs.createWriteStream(file));
    const o = await importUsageFile(ctx.db, file);
    expect(o).toMatchObject({ stored: LINES, unchanged: 0 });
    const [r] = await rows(ctx.db, sql`select count(*) as n, sum(input_tokens) as s from usage_records where provider = 'gen'`);
    // sum of 1000 + i for i in [0, LINES)
    expect(r).toEqual({ n: String(LINES), s: String(1000n * BigInt(LINES) + (BigInt(LINES) * BigInt(LINES - 1)) / 2n) });
  });

  it("stops reading at a bad record: the rest of the stream is never pulled", { timeout: 300_000 }, async () => {
    const { state, stream } = generated(50_000);
    const err = await importUsage(ctx.db, { location: "gen.csv", stream, format: "csv" }).catch((e: Error) => e);
    expect((err as Error).message).toBe("gen.csv:50000: input_tokens: not a non-negative integer");
    // Had the importer read the whole file first, all 200k lines would have been produced.
    expect(state.produced).toBeLessThan(LINES / 2);
  });
});
