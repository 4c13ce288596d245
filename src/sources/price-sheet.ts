/**
 * Splits a price-sheet file into sheets, the unit of acceptance: a JSON document, each
 * element of a JSON array of documents, or each (provider, as_of) group of CSV rows.
 * Nothing is validated here beyond what it takes to find the sheets.
 */
import { parse as parseJson, stringify as stringifyJson } from "lossless-json";
import { csvFailure, headerProblem, parseCsvText, toRow, type CsvRow, type ParsedRecord } from "./csv.ts";
import { detectFormat, jsonErrorLine, stripBom } from "./text.ts";
import { parseOffsetInstant } from "../values/instant.ts";

/** The `schema` a JSON price sheet names (formats-and-interfaces.md). */
export const SHEET_SCHEMA = "ciyuan.price-sheet/1";
export const PRICE_CSV_COLUMNS = ["provider", "country", "as_of", "currency", "unit", "model", "input", "cached_input", "output"] as const;

/** One JSON sheet document, numbers kept as LosslessNumber (exact text). */
export type JsonSheetUnit = { kind: "json"; location: string; ordinal: number; raw: string; doc: unknown };
/** One (provider, as_of) group of CSV rows, with the header. */
export type CsvSheetUnit = { kind: "csv"; location: string; file: string; header: string[]; rows: CsvRow[]; raw: string };
/** A file whose sheets cannot even be found (bad JSON, bad CSV header): rejected whole. */
export type BrokenUnit = { kind: "broken"; location: string; raw: string; reason: string };
export type SheetUnit = JsonSheetUnit | CsvSheetUnit | BrokenUnit;

export function parsePriceSheets(location: string, text: string, format?: "json" | "csv"): SheetUnit[] {
  const body = stripBom(text);
  const f = format ?? detectFormat(location, body);
  return f === "json" ? jsonSheets(location, body) : csvSheets(location, body);
}

function jsonSheets(location: string, text: string): SheetUnit[] {
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const line = jsonErrorLine(text, message);
    return [{ kind: "broken", location: line ? `${location}:${line}` : location, raw: text, reason: `not valid JSON: ${message}` }];
  }
  if (!Array.isArray(doc)) return [{ kind: "json", location, ordinal: 1, raw: text, doc }];
  if (doc.length === 0) return [{ kind: "broken", location, raw: text, reason: "no sheets: the JSON array is empty" }];
  // lossless-json writes numbers back exactly as they were written.
  return doc.map((d, i) => ({ kind: "json", location, ordinal: i + 1, raw: stringifyJson(d) ?? "null", doc: d }));
}

function csvSheets(location: string, text: string): SheetUnit[] {
  let records: ParsedRecord[];
  try {
    records = parseCsvText(text);
  } catch (err) {
    const failure = csvFailure(err);
    if (!failure) throw err;
    return [{ kind: "broken", location: failure.line ? `${location}:${failure.line}` : location, raw: text, reason: failure.reason }];
  }
  const [first, ...rest] = records.map(toRow);
  if (!first) return [{ kind: "broken", location, raw: text, reason: "no sheets: the file is empty" }];
  const header = first.cells;
  const problem = headerProblem(header, PRICE_CSV_COLUMNS);
  if (problem) return [{ kind: "broken", location: `${location}:${first.line}`, raw: text, reason: `header: ${problem}` }];
  if (rest.length === 0) return [{ kind: "broken", location, raw: text, reason: "no sheets: the file has a header only" }];

  const lines = text.split(/\r?\n/);
  const linesOf = (row: CsvRow) => lines.slice(row.line - 1, row.endLine).join("\n");
  const providerAt = header.indexOf("provider");
  const asOfAt = header.indexOf("as_of");
  const groups = new Map<string, CsvRow[]>();
  for (const row of rest) {
    const asOf = row.cells[asOfAt] ?? "";
    const instant = parseOffsetInstant(asOf);
    // Rows whose as_of is written differently but names the same moment are one sheet.
    const key = JSON.stringify([row.cells[providerAt] ?? "", instant.ok ? instant.utc : asOf]);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()].map((rows) => ({
    kind: "csv",
    location: `${location}:${rows[0]!.line}`,
    file: location,
    header,
    rows,
    raw: [linesOf(first), ...rows.map(linesOf)].join("\n") + "\n",
  }));
}
