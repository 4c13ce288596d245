/**
 * Writing CSV: RFC 4180 (CRLF, header row) by csv-stringify; a text cell that a
 * spreadsheet would run as a formula is defused. Long tables are written batch by batch,
 * never as one string.
 */
import { stringify } from "csv-stringify/sync";
import { batches } from "./batches.ts";

export type CsvRecord<C extends string> = Record<C, string | null>;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell starting with = + - or @ that is not a number gets a leading `'`. */
export function defuseFormula(cell: string): string {
  return /^[=+\-@]/.test(cell) && !NUMBER.test(cell) ? `'${cell}` : cell;
}

export function csvText<C extends string>(columns: readonly C[], records: CsvRecord<C>[], header = true): string {
  return stringify(records, {
    header,
    columns: [...columns],
    record_delimiter: "windows",
    quote_record_delimiter: true,
    cast: { string: defuseFormula },
  });
}

/** The header with the first batch, then one chunk per batch; the header alone when empty. */
export async function* csvChunks<C extends string>(
  columns: readonly C[],
  records: AsyncIterable<CsvRecord<C>>,
  batchSize = 200,
): AsyncGenerator<string> {
  let header = true;
  for await (const batch of batches(records, batchSize)) {
    yield csvText(columns, batch, header);
    header = false;
  }
  if (header) yield csvText(columns, [], true);
}

export async function* mapped<T, U>(items: AsyncIterable<T>, f: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield f(item);
}
