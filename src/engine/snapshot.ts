/**
 * One consistent snapshot per fixing [1.1]: a REPEATABLE READ transaction, so every read of
 * the fixing (definition, watermark, previous fixing, the evaluation) sees the same state of
 * the database even while imports commit.
 *
 * One fixing at a time per (index, kind, T): a transaction-level advisory lock. A REPEATABLE
 * READ snapshot is taken at the transaction's first statement — the lock statement itself —
 * so a caller that waited for the lock may not see what the holder committed. Then its own
 * insert collides with the holder's revision (unique violation) or its snapshot is refused
 * (serialization failure); either way the work is retried in a fresh transaction, which
 * sees the stored fixing.
 */
import { sql, type SQL } from "drizzle-orm";
import { sqlState, type Db } from "../db/index.ts";

const RETRYABLE = new Set(["23505", "40001"]);
const ATTEMPTS = 5;

export async function inSnapshot<T>(db: Db, lockKey: SQL, work: (tx: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(
        async (tx) => {
          await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`);
          // A fixing is one big statement: JIT compiles it for longer than it runs.
          await tx.execute(sql`SET LOCAL jit = off`);
          await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
          return work(tx as unknown as Db);
        },
        { isolationLevel: "repeatable read" },
      );
    } catch (err) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has(sqlState(err) ?? "")) throw err;
    }
  }
}
