/** FX files in our own formats: CSV `currency,cny_per_unit,as_of` and ciyuan.fx/1 JSON. */
import { parse as parseJson } from "lossless-json";
import { cellsByName, csvFailure, headerProblem, parseCsvText, toRow, type ParsedRecord } from "./csv.ts";
import { jsonErrorLine, stripBom, isObject, type RecordUnit } from "./text.ts";
import { InputError } from "../errors.ts";

export const FX_COLUMNS = ["currency", "cny_per_unit", "as_of"] as const;
export const FX_SCHEMA = "ciyuan.fx/1";

export function fxCsvUnits(location: string, text: string): RecordUnit[] {
  let records: ParsedRecord[];
  try {
    records = parseCsvText(stripBom(text));
  } catch (err) {
    const failure = csvFailure(err);
    if (!failure) throw err;
    throw new InputError(location, failure.line, undefined, failure.reason);
  }
  const [first, ...rest] = records.map(toRow);
  if (!first) throw new InputError(location, undefined, "header", "missing (the file is empty)");
  const problem = headerProblem(first.cells, FX_COLUMNS);
  if (problem) throw new InputError(location, first.line, "header", problem);
  return rest.map((row) => {
    const fields = cellsByName(first.cells, row);
    if (typeof fields === "string") throw new InputError(location, row.line, "row", fields);
    return { line: row.line, path: "", seq: row.line, fields };
  });
}

export function fxJsonUnits(location: string, text: string): RecordUnit[] {
  const body = stripBom(text);
  let doc: unknown;
  try {
    doc = parseJson(body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputError(location, jsonErrorLine(body, message), undefined, `not valid JSON: ${message}`);
  }
  if (!isObject(doc)) throw new InputError(location, undefined, undefined, "not a JSON object");
  if (doc.schema !== FX_SCHEMA) throw new InputError(location, undefined, "schema", `must be "${FX_SCHEMA}"`);
  if (!Array.isArray(doc.rates)) throw new InputError(location, undefined, "rates", "missing (an array of rates)");
  return doc.rates.map((rate, i) => {
    if (!isObject(rate)) throw new InputError(location, undefined, `rates[${i}]`, "not a JSON object");
    return { line: undefined, path: `rates[${i}]`, seq: i + 1, fields: rate };
  });
}
