/**
 * The plan of one fixing's evaluation, as Postgres ran it: EXPLAIN (ANALYZE, BUFFERS) of
 * every statement the evaluation sends, in one REPEATABLE READ transaction with the
 * fixing's settings, rolled back afterwards (nothing is stored). For finding where a
 * fixing's time goes at benchmark size.
 *
 *   DATABASE_URL=... node --import tsx scripts/explain-fixing.ts --index CTPI --at 2026-11-30T08:00:00Z
 */
import { parseArgs } from "node:util";
import { sql, type SQL } from "drizzle-orm";
import { openMigrated, rows, type Db } from "../src/db/index.ts";
import { definitionAt, evaluate } from "../src/engine/index.ts";
import { previousOkFinal } from "../src/engine/level.ts";
import { visibleWatermark } from "../src/normalise/index.ts";

const { values } = parseArgs({ options: { index: { type: "string", default: "CTPI" }, at: { type: "string" } } });
if (!values.at) throw new Error("--at ISO is required");
const at = new Date(values.at).toISOString();

const database = await openMigrated({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.CIYUAN_DATA_DIR ?? ".ciyuan" });
class Rollback extends Error {}
try {
  await database.db.transaction(
    async (tx) => {
      await tx.execute(sql`SET LOCAL jit = off`);
      await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
      const def = await definitionAt(tx, values.index!, at);
      const watermark = await visibleWatermark(tx);
      const prev = await previousOkFinal(tx, def, at);
      // Every statement the evaluation sends is explained first, then run for real.
      const explaining = new Proxy(tx, {
        get(target, prop, receiver) {
          if (prop !== "execute") return Reflect.get(target, prop, receiver);
          return async (query: SQL) => {
            const started = performance.now();
            const plan = await rows<{ "QUERY PLAN": string }>(target as unknown as Db, sql`EXPLAIN (ANALYZE, BUFFERS) ${query}`);
            console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
            console.log(`-- ${(performance.now() - started).toFixed(0)} ms with EXPLAIN ANALYZE\n`);
            return target.execute(query);
          };
        },
      }) as unknown as Db;
      const started = performance.now();
      const e = await evaluate(explaining, def, { at, watermark, prev });
      console.log(`${def.code} at ${at}, watermark ${watermark}: ${e.status}, value ${e.value}, ${e.constituents.length} constituents (${(performance.now() - started).toFixed(0)} ms, explains included)`);
      throw new Rollback();
    },
    { isolationLevel: "repeatable read" },
  );
} catch (err) {
  if (!(err instanceof Rollback)) throw err;
} finally {
  await database.close();
}
