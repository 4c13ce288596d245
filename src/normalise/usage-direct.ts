/**
 * The straight way of a usage CSV file into usage_records: one pass, one COPY stream (split
 * only where a new week's partition is made), no staging table. It is taken when it can
 * decide everything the careful way (store-usage.ts) decides without comparing records:
 *
 * - every record passes the gates of its own cells (the scanner) and of its row (the
 *   table's CHECK, during the COPY);
 * - no key repeats within the file (the scanner's key hashes, usage-keys.ts);
 * - no key is stored already: the file's records in weeks that had a partition before are
 *   joined with the stored records of those weeks; weeks made by this import hold nothing else.
 *
 * Then every record is version 1, and the COPY wrote exactly what the careful way would
 * store. Otherwise the transaction is rolled back and the caller takes the careful way,
 * which names the first bad record or sorts out the versions; a file with a problem is
 * read twice, a good one once.
 *
 * The rows carry their ids, payload, batch and version from the scanner: ids are taken as a
 * block from usage_records' sequence (usage imports take turns under the usage lock, the
 * only writers of the table), and the payload's id before its sha256 is known (the batch's
 * reference to it is checked at commit). The batch is opened before the COPY, so other
 * input writers wait for it: seconds for a million rows.
 *
 * No ANALYZE follows (it cost a quarter of a million-row import): autovacuum analyzes the
 * new partitions within a minute, and until then the planner reads their size from disk.
 */
import type { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { InputError } from "../errors.ts";
import { rows, type Db } from "../db/index.ts";
import { openBatch, originOf } from "./batches.ts";
import type { ImportOutcome } from "./outcome.ts";
import { lockInputs } from "./payload.ts";
import { copyRows, type CopyItem } from "./usage-copy.ts";
import { makeUsageWeeks, usageWeeks, weekOf, weeksCondition } from "./usage-weeks.ts";
import { UsageCsvScanner } from "./usage-scan.ts";

/** Why the straight way was left: the careful way decides. */
class TakeCarefulWay extends Error {}

/** Imports a usage CSV the straight way; null when the careful way must decide. */
export async function importUsageCsvDirect(db: Db, location: string, stream: Readable, source: string): Promise<ImportOutcome | null> {
  try {
    return await db.transaction(async (tx) => {
      await lockInputs(tx, "usage");
      const known = await usageWeeks(tx);
      const before = new Set(known);
      const [ids] = await rows<{ payload: string; first: string }>(
        tx,
        sql`SELECT nextval('payloads_id_seq')::text AS payload, nextval('usage_records_id_seq')::text AS first`,
      );
      const first = Number(ids!.first);
      const batch = await openBatch(tx, "usage", originOf(source), ids!.payload);
      const scanner = new UsageCsvScanner(location, { kind: "ids", first, constant: `${ids!.payload},${batch},1` });

      async function* items(): AsyncGenerator<CopyItem> {
        const out = (bytes: Buffer | null): CopyItem[] => {
          if (scanner.error || scanner.repeatedKey) return [];
          const fresh = scanner.takeNewDays().map(weekOf).filter((w) => !known.has(w));
          const parts: CopyItem[] = fresh.length ? [{ between: () => makeUsageWeeks(tx, fresh, known) }] : [];
          if (bytes) parts.push(bytes);
          return parts;
        };
        for await (const chunk of stream) {
          yield* out(scanner.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)));
          if (scanner.error || scanner.repeatedKey) return;
        }
        yield* out(scanner.end());
      }
      const columns = () => ({ table: "usage_records", columns: ["id", "payload_id", "batch_id", "version", ...scanner.columns!] });
      const copied = await copyRows(tx, location, columns, items());
      stream.destroy();
      if (scanner.error || scanner.repeatedKey || scanner.rows === 0) throw new TakeCarefulWay();
      if (copied !== scanner.rows) throw new Error(`import usage: ${scanner.rows} rows written, ${copied} copied`);
      await tx.execute(sql`SELECT setval('usage_records_id_seq', ${first + scanner.rows - 1})`);

      const perWeek = new Map<number, number>();
      for (const [day, n] of scanner.days) perWeek.set(weekOf(day), (perWeek.get(weekOf(day)) ?? 0) + n);
      const older = [...perWeek.keys()].filter((w) => before.has(w));
      if (older.length > 0 && (await keyStoredAlready(tx, batch, older))) throw new TakeCarefulWay();

      await tx.execute(sql`
        INSERT INTO payloads (id, kind, source, location, sha256, bytes, content)
        VALUES (${ids!.payload}::bigint, 'usage', ${source}, ${location}, ${scanner.hash.digest("hex")}, ${scanner.bytes}::bigint, NULL)`);
      return { location, stored: scanner.rows, unchanged: 0, rejected: [] };
    });
  } catch (err) {
    // A bad record, a repeated or stored key, or a row the database refused: all rolled back.
    if (err instanceof TakeCarefulWay || err instanceof InputError) return null;
    throw err;
  }
}

/** Whether a record of `batch` in one of `weeks` has the key of a record stored before it. */
async function keyStoredAlready(tx: Db, batch: string, weeks: number[]): Promise<boolean> {
  const [r] = await rows<{ met: boolean }>(
    tx,
    sql`SELECT EXISTS (
          SELECT 1 FROM usage_records n
          JOIN usage_records s ON s.provider = n.provider AND s.model = n.model
                              AND s.period_start = n.period_start AND s.period_end = n.period_end
          WHERE n.batch_id = ${batch}::bigint AND (${weeksCondition(weeks, sql`n.period_end`)})
            AND s.batch_id <> ${batch}::bigint AND (${weeksCondition(weeks, sql`s.period_end`)})) AS met`,
  );
  return r!.met;
}
