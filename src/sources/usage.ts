/**
 * Usage files as a stream of records with where they came from. The CSV is read as a
 * stream, record by record: a usage file can be gigabytes and is never held whole.
 */
import { Readable, pipeline } from "node:stream";
import { parse } from "csv-parse";
import { parse as parseJson } from "lossless-json";
import { CSV_OPTIONS, cellsByName, csvFailure, headerProblem, toRow, type ParsedRecord } from "./csv.ts";
import { decodeText, formatByContent, jsonErrorLine, stripBom, isObject, type RecordUnit } from "./text.ts";
import { InputError } from "../errors.ts";

export const USAGE_COLUMNS = [
  "provider",
  "model",
  "period_start",
  "period_end",
  "input_tokens",
  "cached_input_tokens",
  "output_tokens",
] as const;
export const USAGE_SCHEMA = "ciyuan.usage/1";

export type UsageUnit = RecordUnit;

const ignore = () => {};

/** CSV records, validated for shape (header, width) only. */
export async function* usageCsvUnits(location: string, stream: NodeJS.ReadableStream): AsyncGenerator<UsageUnit> {
  const parser = parse(CSV_OPTIONS);
  // pipeline() tears the source down too when we stop reading early (a bad record).
  pipeline(stream as Readable, parser, ignore);
  let header: string[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<ParsedRecord>) {
      const row = toRow(record);
      if (!header) {
        header = row.cells;
        const problem = headerProblem(header, USAGE_COLUMNS);
        if (problem) throw new InputError(location, row.line, "header", problem);
        continue;
      }
      const fields = cellsByName(header, row);
      if (typeof fields === "string") throw new InputError(location, row.line, "row", fields);
      yield { line: row.line, path: "", seq: row.line, fields };
    }
  } catch (err) {
    const failure = csvFailure(err);
    throw failure ? new InputError(location, failure.line, undefined, failure.reason) : err;
  } finally {
    parser.destroy();
  }
  if (!header) throw new InputError(location, undefined, "header", "missing (the file is empty)");
}

/** `{"schema":"ciyuan.usage/1","records":[...]}`; numbers kept as exact text. */
export async function* usageJsonUnits(location: string, stream: NodeJS.ReadableStream): AsyncGenerator<UsageUnit> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const text = stripBom(decodeText(location, Buffer.concat(chunks)));
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputError(location, jsonErrorLine(text, message), undefined, `not valid JSON: ${message}`);
  }
  if (!isObject(doc)) throw new InputError(location, undefined, undefined, "not a JSON object");
  if (doc.schema !== USAGE_SCHEMA) throw new InputError(location, undefined, "schema", `must be "${USAGE_SCHEMA}"`);
  if (!Array.isArray(doc.records)) throw new InputError(location, undefined, "records", "missing (an array of records)");
  let seq = 0;
  for (const record of doc.records) {
    seq++;
    const path = `records[${seq - 1}]`;
    if (!isObject(record)) throw new InputError(location, undefined, path, "not a JSON object");
    yield { line: undefined, path, seq, fields: record };
  }
}

/** The format of a usage stream, from its first bytes; the stream is handed back whole. */
export async function sniffUsageFormat(stream: NodeJS.ReadableStream): Promise<{ format: "csv" | "json"; stream: Readable }> {
  const it = (stream as Readable)[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? "" : Buffer.from(first.value as Buffer).toString("utf8", 0, 64);
  async function* replay() {
    if (!first.done) yield first.value as Buffer;
    yield* { [Symbol.asyncIterator]: () => it };
  }
  return { format: formatByContent(head) === "json" ? "json" : "csv", stream: Readable.from(replay(), { objectMode: false }) };
}
