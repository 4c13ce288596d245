/**
 * The files of the malformed-input drill (issue 11): small valid price, usage and FX files
 * from test/fixtures, each broken by fast-check the ways real files go wrong. Text damage
 * first (numbers made huge or absurd, fields deleted, duplicated or replaced by random JSON,
 * escaped NULs, odd strings and instants, random CSV rows, lines dropped or repeated), then,
 * for some, damage to the bytes (bit flips, truncation, a NUL, bad UTF-8, UTF-16, latin-1,
 * binary). A file may also come out whole, or under another extension. Same seed, same files.
 *
 * Shared by scripts/drill-inputs.ts (10,000 files) and test/normalise/drill-inputs.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { isLosslessNumber, parse, stringify } from "lossless-json";

export type InputKind = "prices" | "usage" | "fx";
type Format = "json" | "csv" | "xml";

/** One generated file: what to import it as, where it came from and what was done to it. */
export type DrillFile = { kind: InputKind; seed: string; ext: string; bytes: Buffer; how: string[] };

type Seed = { kind: InputKind; name: string; format: Format; text: string };

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test/fixtures");

// ---------------------------------------------------------------------------------------
// The valid files everything starts from.

type SheetDoc = { provider: string; country: string; as_of: string; currency: string; unit: string; models: Record<string, unknown>[] };

/** Sheets as our CSV price form: one row per model. */
function sheetsCsv(docs: SheetDoc[]): string {
  const cell = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  const rows = docs.flatMap((d) =>
    d.models.map((m) => [d.provider, d.country, d.as_of, d.currency, d.unit, m.model, m.input, m.cached_input, m.output].map(cell).join(",")),
  );
  return ["provider,country,as_of,currency,unit,model,input,cached_input,output", ...rows].join("\n") + "\n";
}

/** A CSV of plain cells as JSON records, numeric columns as JSON numbers. */
function csvRecords(csv: string, numeric: string[]): string[] {
  const [head, ...lines] = csv.trim().split("\n");
  const names = head!.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    const pairs = names.flatMap((n, i) => (cells[i] === "" ? [] : [`${JSON.stringify(n)}: ${numeric.includes(n) ? cells[i] : JSON.stringify(cells[i])}`]));
    return `{${pairs.join(", ")}}`;
  });
}

function loadSeeds(): Seed[] {
  const read = (p: string) => fs.readFileSync(path.join(FIXTURES, p), "utf8");
  const sheetsDir = "worked-example/sheets";
  const sheets = fs
    .readdirSync(path.join(FIXTURES, sheetsDir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), text: read(`${sheetsDir}/${f}`) }));
  const deepseek = read("prices/deepseek.2025-12-20.json");
  const usageCsv = read("worked-example/usage.csv");
  const fxCsv = read("worked-example/fx.csv");
  const docs = [deepseek, ...sheets.slice(0, 3).map((s) => s.text)].map((t) => JSON.parse(t) as SheetDoc);
  const usageNumbers = ["input_tokens", "cached_input_tokens", "output_tokens"];
  return [
    { kind: "prices", name: "deepseek", format: "json", text: deepseek },
    ...sheets.map((s): Seed => ({ kind: "prices", name: s.name, format: "json", text: s.text })),
    { kind: "prices", name: "four-sheets", format: "json", text: `[${sheets.slice(0, 4).map((s) => s.text.trim()).join(",\n")}]\n` },
    { kind: "prices", name: "sheets-csv", format: "csv", text: sheetsCsv(docs) },
    { kind: "usage", name: "usage", format: "csv", text: usageCsv },
    { kind: "usage", name: "usage-json", format: "json", text: `{"schema": "ciyuan.usage/1", "records": [\n${csvRecords(usageCsv, usageNumbers).join(",\n")}\n]}\n` },
    { kind: "fx", name: "fx", format: "csv", text: fxCsv },
    { kind: "fx", name: "fx-json", format: "json", text: `{"schema": "ciyuan.fx/1", "rates": [\n${csvRecords(fxCsv, ["cny_per_unit"]).join(",\n")}\n]}\n` },
    { kind: "fx", name: "ecb-daily", format: "xml", text: read("real/fx/ecb/eurofxref-daily.2026-07-06.xml") },
  ];
}

export const SEEDS: readonly Seed[] = loadSeeds();
const EXT: Record<Format, string> = { json: ".json", csv: ".csv", xml: ".xml" };

// ---------------------------------------------------------------------------------------
// Values a mutation puts in.

const NUMBERS = [
  "1e400", "-1e400", "1e-400", "1e308", "2e308", "1e9", "1000000000", "1000000001", "1e18", "999999999999999999",
  "1000000000000000000", "9223372036854775808", "99999999999999999999999999999", "9".repeat(400), "0", "-0", "0.0",
  "-1", "-0.5", "0.0000000001", "0.000001", "0.0000009", "1000000", "1000001", "1.5", "1.", ".5", "+1", "01",
  "0x1F", "1_000", "1,5", "NaN", "Infinity", "-Infinity", "null", "true", '"2"', "", "\u0661\u0662", "1e", "1e+",
];
const INSTANTS = [
  "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "10000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z", "2026-02-30T00:00:00Z", "2026-09-29T24:00:00+08:00", "2026-09-29T23:59:60Z",
  "2026-09-29T00:00:00+16:00", "2026-09-29T00:00:00-15:59", "2026-09-29", "2026-09-29T00:00:00", "2026-09-29 00:00:00Z",
  "2026-09-29T00:00:00.123456789Z", "1969-12-31T23:59:59Z", "now", "", "2026-W40-1", "0000-01-01", "0001-01-01", "10000-01-01",
  "2026-02-29", "+002026-09-29T00:00:00Z", "-002026-09-29T00:00:00Z",
];
const STRINGS = [
  "", " ", "\t", "a\nb", "a\r\nb", "\u00a0deepseek\u00a0", "deepseek\u200b", "\ud800", "\udfff", "x".repeat(100_000),
  "=1+1", "@SUM(A1)", "\u{1F4A5}", "\u6a21\u578b", "DeepSeek", "CNY", "cny", "XXX", "RMB", "per_token", "per_10m_tokens",
  "ciyuan.price-sheet/2", "ciyuan.usage/1", "ciyuan.fx/1", "US", "cn", "CHN", "'; DROP TABLE price_sheets;--", '"', "\\", ",",
  "\u0085", "\u2028", "\ufeff", "\ufffd", ...INSTANTS,
];
const BAD_UTF8 = [[0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xe4, 0xb8], [0xfe, 0xff]];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);

/** A CSV cell: plain, quoted, odd or random, as written in the file. */
const csvCell: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NUMBERS.filter((n) => !n.includes('"'))),
  fc.constantFrom(...INSTANTS),
  fc.constantFrom(...STRINGS).map((s) => `"${s.replaceAll('"', '""')}"`),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);

// ---------------------------------------------------------------------------------------
// Text mutations: (text, format) -> text.

type TextMutation = { label: string; apply: (text: string, format: Format) => string };

const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const STRING_LITERAL = /"(?:[^"\\\n]|\\.)*"/g;
const DATE_TIME = /\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const XML_ATTRIBUTE = /\s[\w:]+=(?:'[^']*'|"[^"]*")/g;

/** Replaces the n-th match of `re` (cyclically) with what `by` makes of it; no match, no change. */
function replaceNth(text: string, re: RegExp, n: number, by: (match: string) => string): string {
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return text;
  const m = matches[n % matches.length]!;
  return text.slice(0, m.index) + by(m[0]) + text.slice(m.index! + m[0].length);
}

const lines = (text: string) => text.split("\n");

type JsonPath = (string | number)[];

/** Every node of a lossless-json document below its root (numbers are leaves). */
function jsonPaths(doc: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  if (doc === null || typeof doc !== "object" || isLosslessNumber(doc)) return out;
  const entries: [string | number, unknown][] = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : Object.entries(doc);
  for (const [k, v] of entries) {
    out.push([...at, k]);
    jsonPaths(v, [...at, k], out);
  }
  return out;
}

/** The parent of the path's node and its key, to set or delete it. */
function parentOf(doc: unknown, p: JsonPath): [Record<string | number, unknown>, string | number] {
  let node = doc as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  return [node, p.at(-1)!];
}

/** A JSON edit on the n-th node, or `fallback` when the text is not JSON (already damaged). */
function jsonEdit(text: string, n: number, edit: (parent: Record<string | number, unknown>, key: string | number) => void, fallback: () => string): string {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return fallback();
  }
  const paths = jsonPaths(doc);
  if (paths.length === 0) return fallback();
  const [parent, key] = parentOf(doc, paths[n % paths.length]!);
  edit(parent, key);
  return stringify(doc, null, 1) ?? text;
}

function dropLine(text: string, n: number): string {
  const ls = lines(text);
  ls.splice(n % ls.length, 1);
  return ls.join("\n");
}

/** The CSV's cells as a grid (the seeds' CSV has no quotes; a damaged one is split as it is). */
const grid = (text: string) => lines(text).map((l) => l.split(","));
const ungrid = (g: string[][]) => g.map((r) => r.join(",")).join("\n");

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...NUMBERS)).map(([n, v]) => ({
    label: `number ${v.length > 20 ? `${v.slice(0, 8)}...(${v.length})` : v}`,
    apply: (t: string) => replaceNth(t, NUMBER_TOKEN, n, () => v),
  })),
  fc.nat().map((n) => ({
    label: "delete-field",
    apply: (t: string, f: Format) => {
      if (f === "json") return jsonEdit(t, n, (p, k) => (Array.isArray(p) ? p.splice(k as number, 1) : delete p[k]), () => dropLine(t, n));
      if (f === "xml") return replaceNth(t, XML_ATTRIBUTE, n, () => "");
      const g = grid(t);
      const col = n % Math.max(1, g[0]!.length);
      return ungrid(g.map((r) => r.filter((_, i) => i !== col)));
    },
  })),
  fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([n, v]) => ({
    label: "duplicate-field",
    apply: (t: string, f: Format) => {
      if (f === "json") return replaceNth(t, /"[\w$]+"\s*:/g, n, (key) => `${key} ${JSON.stringify(v) ?? "null"}, ${key}`);
      if (f === "xml") return replaceNth(t, XML_ATTRIBUTE, n, (a) => a + a);
      const g = grid(t);
      const col = n % Math.max(1, g[0]!.length);
      return ungrid(g.map((r) => (col < r.length ? [...r.slice(0, col + 1), ...r.slice(col)] : r)));
    },
  })),
  fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 }), csvCell).map(([n, v, cell]) => ({
    label: "random-value",
    apply: (t: string, f: Format) => {
      if (f === "json") return jsonEdit(t, n, (p, k) => void (p[k] = v), () => replaceNth(t, STRING_LITERAL, n, () => JSON.stringify(v) ?? "null"));
      if (f === "xml") return replaceNth(t, XML_ATTRIBUTE, n, (a) => a.replace(/=.*$/s, `="${cell.replace(/"/g, "&quot;")}"`));
      const g = grid(t);
      const cells = g.flatMap((r, i) => r.map((_, j) => [i, j] as const));
      const [i, j] = cells[n % cells.length]!;
      g[i]![j] = cell;
      return ungrid(g);
    },
  })),
  fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"), fc.json()).map((doc) => ({
    label: "random-json",
    apply: () => doc,
  })),
  fc.tuple(fc.nat(), fc.array(fc.array(csvCell, { maxLength: 10 }), { minLength: 1, maxLength: 5 })).map(([n, rows]) => ({
    label: "random-csv-rows",
    apply: (t: string) => {
      const ls = lines(t);
      ls.splice(n % (ls.length + 1), 0, ...rows.map((r) => r.join(",")));
      return ls.join("\n");
    },
  })),
  fc.nat().map((n) => ({
    label: "escaped-nul",
    apply: (t: string, f: Format) =>
      f === "xml" ? replaceNth(t, XML_ATTRIBUTE, n, (a) => a.replace(/=(['"])/, "=$1&#0;")) : replaceNth(t, STRING_LITERAL, n, (s) => `"\\u0000${s.slice(1)}`),
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...STRINGS)).map(([n, s]) => ({
    label: `string ${JSON.stringify(s.length > 20 ? `${s.slice(0, 8)}...(${s.length})` : s)}`,
    apply: (t: string, f: Format) => {
      if (f === "json") return replaceNth(t, STRING_LITERAL, n, () => JSON.stringify(s));
      if (f === "xml") return replaceNth(t, XML_ATTRIBUTE, n, (a) => a.replace(/=.*$/s, `='${s.replace(/[&<']/g, "")}'`));
      const g = grid(t);
      const cells = g.flatMap((r, i) => r.map((_, j) => [i, j] as const));
      const [i, j] = cells[n % cells.length]!;
      g[i]![j] = /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
      return ungrid(g);
    },
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...INSTANTS)).map(([n, at]) => ({
    label: `instant ${at || '""'}`,
    apply: (t: string) => replaceNth(t, DATE_TIME, n, () => at),
  })),
  fc.tuple(fc.nat(), fc.constantFrom("drop", "repeat", "swap", "blank")).map(([n, op]) => ({
    label: `line ${op}`,
    apply: (t: string) => {
      const ls = lines(t);
      const i = n % ls.length;
      if (op === "drop") ls.splice(i, 1);
      else if (op === "repeat") ls.splice(i, 0, ls[i]!);
      else if (op === "blank") ls.splice(i, 0, "   ");
      else if (i + 1 < ls.length) [ls[i], ls[i + 1]] = [ls[i + 1]!, ls[i]!];
      return ls.join("\n");
    },
  })),
  fc.constantFrom("crlf", "bom", "no-final-newline").map((op) => ({
    label: op,
    apply: (t: string) => (op === "crlf" ? t.replace(/\n/g, "\r\n") : op === "bom" ? `\ufeff${t}` : t.replace(/\s+$/, "")),
  })),
  fc.string({ maxLength: 40 }).map((tail) => ({ label: "trailing-text", apply: (t: string) => t + tail })),
);

// ---------------------------------------------------------------------------------------
// Byte mutations: bytes -> bytes.

type ByteMutation = { label: string; apply: (bytes: Buffer) => Buffer };

const insertAt = (b: Buffer, n: number, ins: number[] | Buffer) => {
  const at = n % (b.length + 1);
  return Buffer.concat([b.subarray(0, at), Buffer.from(ins), b.subarray(at)]);
};

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => ({
    label: `flip x${flips.length}`,
    apply: (b: Buffer) => {
      const out = Buffer.from(b);
      for (const [n, mask] of flips) if (out.length > 0) out[n % out.length]! ^= mask;
      return out;
    },
  })),
  fc.nat().map((n) => ({ label: "truncate", apply: (b: Buffer) => b.subarray(0, n % (b.length + 1)) })),
  fc.nat().map((n) => ({ label: "nul-byte", apply: (b: Buffer) => insertAt(b, n, [0]) })),
  fc.tuple(fc.nat(), fc.constantFrom(...BAD_UTF8)).map(([n, seq]) => ({
    label: `bad-utf8 ${seq.map((x) => x.toString(16)).join(" ")}`,
    apply: (b: Buffer) => insertAt(b, n, seq),
  })),
  fc.constantFrom("utf16le-bom", "utf16be-bom", "utf16le").map((enc) => ({
    label: enc,
    apply: (b: Buffer) => {
      const le = Buffer.from(b.toString("utf8"), "utf16le");
      if (enc === "utf16le") return le;
      if (enc === "utf16le-bom") return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
    },
  })),
  fc.nat().map((n) => ({
    label: "latin1",
    apply: (b: Buffer) => {
      const t = b.toString("utf8");
      const at = n % (t.length + 1);
      return Buffer.from(`${t.slice(0, at)}\u00e9${t.slice(at)}`, "latin1");
    },
  })),
  fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 4096 })).map(([png, bytes]) => ({
    label: png ? "binary png" : "binary",
    apply: () => (png ? Buffer.concat([PNG, bytes]) : Buffer.from(bytes)),
  })),
);

// ---------------------------------------------------------------------------------------
// A whole file.

const seedOf = (kind: InputKind) => fc.constantFrom(...SEEDS.filter((s) => s.kind === kind));

const fileArb: fc.Arbitrary<DrillFile> = fc
  .record({
    seed: fc.oneof({ weight: 4, arbitrary: seedOf("prices") }, { weight: 3, arbitrary: seedOf("usage") }, { weight: 3, arbitrary: seedOf("fx") }),
    text: fc.array(textMutation, { maxLength: 3 }),
    bytes: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: byteMutation }),
    ext: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(".json", ".csv", ".xml", ".txt", "") }),
  })
  .map(({ seed, text, bytes, ext }) => {
    let t = seed.text;
    for (const m of text) t = m.apply(t, seed.format);
    let b: Buffer = Buffer.from(t, "utf8");
    if (bytes) b = bytes.apply(b);
    const how = [...text.map((m) => m.label), ...(bytes ? [bytes.label] : [])];
    const chosenExt = ext ?? EXT[seed.format];
    if (ext !== null) how.push(`named ${ext || "(no extension)"}`);
    return { kind: seed.kind, seed: seed.name, ext: chosenExt, bytes: b, how };
  });

/** `count` files, the same for the same seed. */
export function drillFiles(count: number, seed: number): DrillFile[] {
  return fc.sample(fileArb, { numRuns: count, seed });
}
