/**
 * COPY of usage rows into the staging table or straight into usage_records, inside the
 * caller's transaction, on either engine: on Postgres one `COPY ... FROM STDIN` fed as a stream (pg-copy-streams) on the
 * transaction's own connection; on PGlite `COPY ... FROM '/dev/blob'`, one blob per slice of
 * a few megabytes, so that memory stays flat however big the file.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { InputError } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { USAGE_STAGING } from "./store-usage.ts";

/** PGlite's transaction: the part used here. */
type PgliteTx = { query(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ affectedRows?: number }> };

/** Bytes of rows per PGlite COPY: large enough that a COPY's fixed cost vanishes. */
export const PGLITE_COPY_BYTES = 4 << 20;

/**
 * The driver connection behind a drizzle transaction (drizzle keeps it as `session.client`:
 * a pg client checked out for the transaction, or PGlite's transaction). Told apart by
 * shape, so that neither driver is loaded for the other engine.
 */
function connectionOf(tx: Db): { pg: pg.ClientBase } | { pglite: PgliteTx } {
  const client = (tx as unknown as { session?: { client?: Record<string, unknown> } }).session?.client;
  if (client && typeof client.query === "function") {
    if (typeof client.exec === "function" && typeof client.rollback === "function") return { pglite: client as unknown as PgliteTx };
    if (typeof client.release === "function" || "connection" in client) return { pg: client as unknown as pg.ClientBase };
  }
  throw new Error("import usage: call inside a transaction (no connection of its own found)");
}

/** A part of what a COPY is fed: rows, or work to do between two COPY statements. */
export type CopyItem = Buffer | { between: () => Promise<void> };

/** Where rows go: a table and the columns of each CSV row, in order (quoted here). */
export type CopyTarget = { table: string; columns: readonly string[] };

/**
 * Copies `rows` (CSV, each row `line,<cells in the order of columns>`) into the staging
 * table; returns how many rows it took. A failure of the database names the file.
 */
export function copyUsageRows(tx: Db, location: string, columns: readonly string[], rows: AsyncIterable<CopyItem>): Promise<number> {
  return copyRows(tx, location, { table: USAGE_STAGING, columns: ["line", ...columns] }, rows);
}

/**
 * Copies CSV rows into `target`, inside the caller's transaction; returns how many rows it
 * took. A `between` item ends the COPY statement under way, runs, and the rows after it go
 * into a new statement (usage_records' partitions are made so, between two statements).
 */
export async function copyRows(
  tx: Db,
  location: string,
  target: CopyTarget | (() => CopyTarget),
  items: AsyncIterable<CopyItem>,
): Promise<number> {
  // A function when the columns are known only once the first rows are out (a CSV header).
  const statement = (source: string) => {
    const { table, columns } = typeof target === "function" ? target() : target;
    return `COPY ${table} (${columns.map((c) => `"${c}"`).join(", ")}) FROM ${source} WITH (FORMAT csv)`;
  };
  const connection = connectionOf(tx);
  const it = items[Symbol.asyncIterator]();
  let copied = 0;
  try {
    if ("pg" in connection) {
      const { from: copyFrom } = await import("pg-copy-streams");
      let next = await it.next();
      while (!next.done) {
        const item = next.value;
        if (!Buffer.isBuffer(item)) {
          await item.between();
          next = await it.next();
          continue;
        }
        // One statement: this buffer and the ones after it, up to the next `between`.
        async function* statementRows(): AsyncGenerator<Buffer> {
          yield item as Buffer;
          for (;;) {
            next = await it.next();
            if (next.done || !Buffer.isBuffer(next.value)) return;
            yield next.value;
          }
        }
        const stream = connection.pg.query(copyFrom(statement("STDIN")));
        await pipeline(Readable.from(statementRows(), { objectMode: false }), stream);
        copied += stream.rowCount;
      }
      return copied;
    }
    // Rows are gathered in one buffer, reused: chunks die young, so memory stays flat.
    const batch = Buffer.allocUnsafe(PGLITE_COPY_BYTES);
    let size = 0;
    const copy = async (bytes: Uint8Array) => {
      const r = await connection.pglite.query(statement("'/dev/blob'"), [], { blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
      copied += r.affectedRows ?? 0;
    };
    const flush = async () => {
      if (size > 0) await copy(batch.subarray(0, size));
      size = 0;
    };
    for (let next = await it.next(); !next.done; next = await it.next()) {
      const chunk = next.value;
      if (!Buffer.isBuffer(chunk)) {
        await flush();
        await chunk.between();
        continue;
      }
      if (size + chunk.length > batch.length) await flush();
      if (chunk.length > batch.length) await copy(chunk);
      else size += chunk.copy(batch, size);
    }
    await flush();
    return copied;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as { message?: string; code?: string; where?: string };
    // Every cell was checked before it was sent, so this is not expected: still one line.
    if (typeof e.code === "string" && /^(22|23)/.test(e.code)) {
      throw new InputError(location, undefined, undefined, `rejected by the database: ${e.message}${e.where ? ` (${e.where})` : ""}`);
    }
    throw err;
  }
}
