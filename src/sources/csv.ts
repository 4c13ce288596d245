/**
 * What every CSV input shares: csv-parse options, physical line numbers, a header that
 * must name exactly the expected columns.
 */
import { CsvError, type Options } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";

export const CSV_OPTIONS = {
  info: true,
  bom: true,
  trim: true,
  skip_empty_lines: true,
  // A short or long row is reported by us against its line, not as a parser failure.
  relax_column_count: true,
  record_delimiter: ["\r\n", "\n"],
} satisfies Options;

/** One parsed record: its cells and the physical line it starts on (header is line 1). */
export type CsvRow = { line: number; endLine: number; cells: string[] };

export type ParsedRecord = { record: string[]; info: { lines: number } };

/** A small CSV held in memory (price sheets, FX), parsed whole. */
export function parseCsvText(text: string): ParsedRecord[] {
  return parseSync(text, CSV_OPTIONS) as unknown as ParsedRecord[];
}

export function toRow({ record, info }: ParsedRecord): CsvRow {
  // info.lines is the line a record ends on; a quoted field may span lines.
  const inner = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
  return { line: info.lines - inner, endLine: info.lines, cells: record };
}

/** Why a header row does not name exactly `columns` (any order), or null when it does. */
export function headerProblem(header: string[], columns: readonly string[]): string | null {
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length) return `missing column ${missing.map((c) => JSON.stringify(c)).join(", ")}`;
  const unknown = header.filter((c) => !columns.includes(c));
  if (unknown.length) return `unknown column ${unknown.map((c) => JSON.stringify(c)).join(", ")}`;
  if (new Set(header).size !== header.length) return "a column is named twice";
  return null;
}

/** A row's cells by column name; a string reason when the row has the wrong width. */
export function cellsByName(header: string[], row: CsvRow): Record<string, string> | string {
  if (row.cells.length !== header.length) return `expected ${header.length} fields, got ${row.cells.length}`;
  return Object.fromEntries(header.map((name, i) => [name, row.cells[i]!]));
}

/** A csv-parse failure (unclosed quote...) as a line and a reason. */
export function csvFailure(err: unknown): { line: number | undefined; reason: string } | null {
  if (!(err instanceof CsvError)) return null;
  const lines = (err as CsvError & { lines?: number }).lines;
  return { line: lines, reason: `not valid CSV: ${err.message}` };
}
