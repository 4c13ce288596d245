/**
 * Issue 11: an input file that is not UTF-8 text — a NUL byte, UTF-16, binary, bytes that
 * are not UTF-8 — is `FILE: not a UTF-8 text file`, never a database error, and nothing of
 * it is stored: for prices, usage and FX, by `ciyuan import` and by the collectors alike.
 * Values in a file that is text but that Postgres cannot hold (an escaped NUL, year 0000)
 * are the field's error, and every error stays on one line.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectSource } from "../../src/collect/index.ts";
import { openDatabase, rows, type Db } from "../../src/db/index.ts";
import { InputError } from "../../src/errors.ts";
import { importFx, importFxFile, importPriceFile, importPrices, importUsage, importUsageFile, type ImportOutcome } from "../../src/normalise/index.ts";
import { parseSourcesConfig } from "../../src/sources/config.ts";
import { runCli } from "../support/cli.ts";
import { describeEachEngine, engineNames, freshCliEnv } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";
import { ECB_DAILY, USAGE_HEADER, counts, sheetText, type Counts } from "./helpers.ts";

const T = { timeout: 120_000 };
const P1 = "2026-09-01T00:00:00+08:00,2026-09-02T00:00:00+08:00";
const NOT_TEXT = "not a UTF-8 text file";

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
/** A PNG's first bytes, then bytes of every value, as a picture given by mistake would be. */
const binary = () => Buffer.concat([PNG, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))]);
const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]);
/** `text` with `bytes` put in at `at`. */
const withBytes = (text: string, at: number, bytes: number[]) => Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]);

const SHEET = sheetText({ provider: "nottext" });
const USAGE = `${USAGE_HEADER}\nnottext,m1,${P1},1000,100,500\nnottext,m2,${P1},2000,,700\n`;
const USAGE_JSON = `{"schema":"ciyuan.usage/1","records":[{"provider":"nottext","model":"m1","period_start":"2026-09-01T00:00:00Z","period_end":"2026-09-02T00:00:00Z","input_tokens":1,"output_tokens":1}]}`;
const FX = "currency,cny_per_unit,as_of\nUSD,7.1,2026-09-01T00:00:00+08:00\n";
const FX_JSON = `{"schema":"ciyuan.fx/1","rates":[{"currency":"USD","cny_per_unit":7.1,"as_of":"2026-09-01T00:00:00+08:00"}]}`;

/** A usage CSV of about 1.2 MB (the file is read 64 KB at a time), with `bad` in the middle of line 10,000. */
function bigUsage(bad: number[]): Buffer {
  const lines = Array.from({ length: 20_000 }, (_, i) => `big,m${i},${P1},${i + 1},0,${i + 1}`);
  const head = `${USAGE_HEADER}\n${lines.slice(0, 9_998).join("\n")}\nbig,m`;
  return Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(`x,${P1},1,0,1\n${lines.slice(9_999).join("\n")}\n`)]);
}

type Kind = "prices" | "usage" | "fx";
const IMPORT_FILE: Record<Kind, (db: Db, file: string) => Promise<ImportOutcome>> = {
  prices: (db, file) => importPriceFile(db, file),
  usage: (db, file) => importUsageFile(db, file),
  fx: (db, file) => importFxFile(db, file),
};

/** Each kind's files that are not text: [name, bytes]. */
const NOT_TEXT_FILES: Record<Kind, [string, Buffer][]> = {
  prices: [
    ["nul.json", withBytes(SHEET, 40, [0])],
    ["utf16le.json", utf16le(SHEET)],
    ["utf16be.json", utf16be(SHEET)],
    ["picture.json", binary()],
    ["latin1.csv", Buffer.from("provider,country,as_of,currency,unit,model,input,cached_input,output\nnottext,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,mod\u00e8le,2,,3\n", "latin1")],
  ],
  usage: [
    ["nul.csv", withBytes(USAGE, USAGE.indexOf("m2"), [0])],
    ["utf16le.csv", utf16le(USAGE)],
    ["utf16le.json", utf16le(USAGE_JSON)],
    ["picture.csv", binary()],
    ["big-bad-utf8.csv", bigUsage([0xc3, 0x28])],
    ["big-nul.csv", bigUsage([0x00])],
    ["big-cut-char.csv", bigUsage([0xe6, 0xa8])], // 模 without its last byte
  ],
  fx: [
    ["nul.csv", withBytes(FX, FX.indexOf("7.1"), [0])],
    ["utf16le.json", utf16le(FX_JSON)],
    ["utf16le.xml", utf16le(fs.readFileSync(ECB_DAILY, "utf8"))],
    ["picture.xml", binary()],
    ["bad-utf8.json", withBytes(FX_JSON, FX_JSON.indexOf("USD"), [0xff])],
  ],
};

describeEachEngine("input that is not UTF-8 text", (ctx) => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-not-text-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer | string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  /** The import throws exactly `FILE: not a UTF-8 text file` and no row of any input table changes. */
  async function expectNotText(run: () => Promise<unknown>, location: string): Promise<void> {
    const before = await counts(ctx.db);
    const err = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, location).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${location}: ${NOT_TEXT}`);
    expect(await counts(ctx.db)).toEqual(before);
  }

  describe("a NUL byte, UTF-16, binary or bytes that are not UTF-8: `FILE: not a UTF-8 text file`, nothing stored", () => {
    for (const kind of ["prices", "usage", "fx"] as const) {
      it(`${kind}: ${NOT_TEXT_FILES[kind].map(([n]) => n).join(", ")}`, async () => {
        for (const [name, bytes] of NOT_TEXT_FILES[kind]) {
          const file = write(`${kind}-${name}`, bytes);
          await expectNotText(() => IMPORT_FILE[kind](ctx.db, file), file);
        }
      });
    }

    it("text handed to the importers (collectors, callers) is held to the same rule: a NUL is not text", async () => {
      await expectNotText(() => importPrices(ctx.db, { location: "given.json", text: SHEET.replace("m1", "m\u00001") }), "given.json");
      await expectNotText(() => importFx(ctx.db, { location: "given.csv", text: FX.replace("USD", "US\u0000D") }), "given.csv");
    });

    it("usage streamed in small chunks: bad UTF-8 or a NUL anywhere, even a character cut across chunks, is found", async () => {
      for (const [name, bad] of [["chunks-bad.csv", [0xc3, 0x28]], ["chunks-nul.csv", [0]], ["chunks-cut.csv", [0xe6, 0xa8]]] as const) {
        const bytes = bigUsage([...bad]);
        // 7-byte chunks: every record, and the bad bytes, straddle chunk boundaries.
        const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
        await expectNotText(() => importUsage(ctx.db, { location: name, stream: Readable.from(chunks), format: "csv" }), name);
      }
    });

    it("the bytes are judged before anything: the payload of a file that is not text is not recorded either", async () => {
      const [payloads] = await rows<{ n: string }>(ctx.db, sql`select count(*) as n from payloads where location like ${`${dir}%`}`);
      expect(payloads!.n).toBe("0");
    });
  });

  describe("UTF-8 text is taken: a BOM is stripped, characters cut by chunk boundaries are whole", () => {
    it("a UTF-8 BOM before a sheet, a usage CSV and an FX file", async () => {
      const bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
      expect(await importPriceFile(ctx.db, write("bom.json", bom(sheetText({ provider: "bom" }))))).toMatchObject({ stored: 1, rejected: [] });
      expect(await importUsageFile(ctx.db, write("bom.csv", bom(USAGE.replaceAll("nottext", "bom"))))).toMatchObject({ stored: 2 });
      expect(await importFxFile(ctx.db, write("bom-fx.csv", bom(FX)))).toMatchObject({ stored: 1 });
    });

    it("a 1.2 MB usage CSV of multi-byte model names, streamed 7 bytes at a time, is all stored", async () => {
      const lines = Array.from({ length: 20_000 }, (_, i) => `\u591a\u5b57\u8282,\u6a21\u578b${i}\u{1F4A5},${P1},${i + 1},0,1`);
      const bytes = Buffer.from(`${USAGE_HEADER}\n${lines.join("\n")}\n`);
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
      expect(await importUsage(ctx.db, { location: "wide.csv", stream: Readable.from(chunks), format: "csv" })).toMatchObject({ stored: 20_000 });
      const [r] = await rows<{ model: string }>(ctx.db, sql`select model from usage_records where model like ${"\u6a21\u578b19999%"}`);
      expect(r!.model).toBe("\u6a21\u578b19999\u{1F4A5}");
    });
  });

  describe("text Postgres cannot hold is the field's error, not a database error", () => {
    it("an escaped NUL (\\u0000) in a sheet's provider or model quarantines the sheet, naming the field", async () => {
      const file = write("escaped-nul.json", `[${sheetText({ provider: "a\u0000b" })}, ${sheetText({ provider: "escnul" }, `[{"model": "m\\u0000", "input": 1, "output": 2}]`)}]`);
      const outcome = await importPriceFile(ctx.db, file);
      expect(outcome.stored).toBe(0);
      expect(outcome.rejected.map((r) => r.message)).toEqual([
        `${file}: sheet ?@2026-09-29T00:00:00+08:00 (#1): provider: contains a NUL character`,
        `${file}: sheet escnul@2026-09-29T00:00:00+08:00: models[0].model: contains a NUL character`,
      ]);
    });

    it("an escaped NUL in a usage record's model is that record's error", async () => {
      const file = write("escaped-nul-usage.json", USAGE_JSON.replace('"m1"', '"m\\u00001"'));
      await expect(importUsageFile(ctx.db, file)).rejects.toThrow(`${file}: records[0].model: contains a NUL character`);
    });

    it("an instant in year 0000 or after 9999 (UTC) is out of range, for a sheet and an FX rate", async () => {
      const sheet = write("year0.json", sheetText({ provider: "year0", as_of: "0000-06-01T00:00:00Z" }));
      expect((await importPriceFile(ctx.db, sheet)).rejected.map((r) => r.message)).toEqual([
        `${sheet}: sheet year0@0000-06-01T00:00:00Z: as_of: out of range (years 0001 to 9999)`,
      ]);
      const fx = write("year0.csv", "currency,cny_per_unit,as_of\nUSD,7.1,0001-01-01T00:00:00+08:00\n");
      const before = await counts(ctx.db);
      await expect(importFxFile(ctx.db, fx)).rejects.toThrow(`${fx}:2: as_of: out of range (years 0001 to 9999)`);
      expect(await counts(ctx.db)).toEqual(before);
    });
  });

  describe("every input error is one line", () => {
    it("a parser's message quoting the line break it stopped at is written with the break escaped", async () => {
      const fx = write("break.json", '{"schema":"ciyuan.fx/1","rates":[{"currency":"US\nD"}]}');
      const err = (await importFxFile(ctx.db, fx).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(new RegExp(`^${fx.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1: not valid JSON: .*\\\\n`));
      expect(err.message).not.toMatch(/[\r\n]/);
      const sheet = write("break-sheet.json", '{"schema":"ciyuan.price-sheet/1","provider":"x\ny"}');
      const [message] = (await importPriceFile(ctx.db, sheet)).rejected.map((r) => r.message);
      expect(message).toMatch(/not valid JSON: .*\\n/);
      expect(message).not.toMatch(/[\r\n]/);
    });
  });

  describe("a collected body that is not text fails its source with the same line", () => {
    let server: MisbehavingServer;
    beforeAll(async () => {
      server = await startMisbehavingServer();
      server.on("utf16-sheet", (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(utf16le(sheetText({ provider: "collected" }))));
      server.on("nul-fx", (_req, res) => res.writeHead(200, { "Content-Type": "text/csv" }).end(withBytes(FX, 40, [0])));
      server.on("binary-usage", (_req, res) => res.writeHead(200, { "Content-Type": "text/csv" }).end(binary()));
    });
    afterAll(() => server.close());

    it("a UTF-16 price sheet, an FX CSV with a NUL, a binary usage body: `failed`, nothing but the raw payload kept", T, async () => {
      const cases = [
        ["sheet", "price-sheet", "/utf16-sheet"],
        ["fx-feed", "fx", "/nul-fx"],
        ["usage-feed", "usage", "/binary-usage"],
      ] as const;
      for (const [name, kind, route] of cases) {
        const doc = { schema: "ciyuan.sources/1", sources: [{ name, kind, url: server.url(route), timeout_ms: 2000, retries: 0 }] };
        const source = parseSourcesConfig("test", doc).sources[0]!;
        const before = await counts(ctx.db);
        const result = await collectSource(ctx.db, source, { now: new Date("2026-10-01T00:00:00Z") });
        expect(result).toMatchObject({ outcome: "failed", detail: `parse: ${source.url}: ${NOT_TEXT}` });
        // The fetched body is on record (by its sha256; no text to keep), nothing else.
        expect(await counts(ctx.db)).toEqual({ ...before, payloads: before.payloads + 1 });
        const [payload] = await rows<{ content: string | null }>(ctx.db, sql`select content from payloads where id = ${result.payloadId}::bigint`);
        expect(payload!.content).toBeNull();
      }
    });
  });
});

for (const engine of engineNames) {
  describe(`ciyuan import of a file that is not text [${engine}]`, () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const tables = async (): Promise<Counts> => {
      const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
      try {
        return await counts(database.db);
      } finally {
        await database.close();
      }
    };
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-not-text-cli-"));
      env = await freshCliEnv(engine, path.join(dir, "data"));
      expect((await runCli(["migrate"], env)).code).toBe(0);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const kind of ["prices", "usage", "fx"] as const) {
      it(`import ${kind}: \`FILE: not a UTF-8 text file\` and the file's summary, no stack trace, exit 1, nothing stored`, T, async () => {
        const files = NOT_TEXT_FILES[kind].filter(([name]) => !name.startsWith("big-") || name === "big-bad-utf8.csv").map(([name, bytes]) => {
          const p = path.join(dir, `${kind}-${name}`);
          fs.writeFileSync(p, bytes);
          return p;
        });
        const before = await tables();
        const r = await runCli(["import", kind, ...files], env);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr.split("\n").filter(Boolean)).toEqual(files.flatMap((f) => [`${f}: ${NOT_TEXT}`, `${f}: rejected whole, nothing stored`]));
        expect(await tables()).toEqual(before);
      });
    }
  });
}
