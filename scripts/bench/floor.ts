/**
 * The floors the benches measure the product against, independent of the product's own
 * schema (which is being rewritten): a plain table with the usage CSV's columns, loaded by
 * COPY of the same file, and one GROUP BY (provider, model) scan of the window's rows.
 */
import fs from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/index.ts";
import { inTuned, psql, query, timed, type Target } from "./lib.ts";

export const USAGE_COLUMNS = "provider, model, period_start, period_end, input_tokens, cached_input_tokens, output_tokens";

const PLAIN_DDL = (table: string) => `CREATE TABLE ${table} (
  provider text NOT NULL, model text NOT NULL,
  period_start timestamptz NOT NULL, period_end timestamptz NOT NULL,
  input_tokens bigint NOT NULL, cached_input_tokens bigint, output_tokens bigint NOT NULL)`;

function pgliteClient(database: Database): PGlite {
  const client = (database.db as unknown as { $client?: PGlite }).$client;
  if (!client || typeof client.query !== "function") throw new Error("the PGlite database handle exposes no PGlite client ($client)");
  return client;
}

/**
 * Creates `table` (the CSV's columns, no index, no key) and loads `file` into it with one
 * COPY: on Postgres `psql -c "\copy ... FROM FILE"` (COPY FROM STDIN, timed as the psql
 * process), on PGlite `COPY ... FROM '/dev/blob'` in this process (reading the file
 * included). Returns the COPY's milliseconds. PGlite needs `database` open.
 */
export async function copyUsageFile(target: Target, database: Database | undefined, table: string, file: string): Promise<number> {
  if (target.engine === "postgres") {
    await psql(target.location, PLAIN_DDL(table));
    const run = await psql(target.location, `\\copy ${table} (${USAGE_COLUMNS}) FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`);
    return run.ms;
  }
  if (!database) throw new Error("copyUsageFile on PGlite needs the database open");
  const client = pgliteClient(database);
  await client.exec(PLAIN_DDL(table));
  const { ms } = await timed(async () => {
    const blob = await fs.openAsBlob(file);
    await client.query(`COPY ${table} (${USAGE_COLUMNS}) FROM '/dev/blob' WITH (FORMAT csv, HEADER true)`, [], { blob });
  });
  return ms;
}

export type WindowScan = { groups: number; rows: number };

/**
 * The floor of a fixing: one GROUP BY provider, model over the rows of W(at) = (at - 7 d, at],
 * summing input, cached input and output tokens, with jit off and work_mem 256MB (settings
 * a fixing may use too), in a transaction of its own.
 */
export async function windowScan(database: Database, table: string, at: string): Promise<WindowScan> {
  const out = await inTuned(database, (run) =>
    run<{ provider: string; n: string }>(sql`
      SELECT provider, model, sum(input_tokens) AS input, sum(cached_input_tokens) AS cached, sum(output_tokens) AS output, count(*) AS n
      FROM ${sql.raw(table)}
      WHERE period_end > ${at}::timestamptz - interval '7 days' AND period_end <= ${at}::timestamptz
      GROUP BY provider, model`),
  );
  return { groups: out.length, rows: out.reduce((n, r) => n + Number(r.n), 0) };
}

/** The product's usage table when it has the CSV's columns (usage_records today), else null:
 * the same scan over it is reported for information. */
export async function productUsageTable(database: Database): Promise<string | null> {
  const cols = await query<{ table_name: string; n: string }>(
    database,
    sql`SELECT table_name, count(*)::text AS n FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'usage_records'
          AND column_name IN ('provider', 'model', 'period_end', 'input_tokens', 'cached_input_tokens', 'output_tokens')
        GROUP BY table_name`,
  );
  return cols[0]?.n === "6" ? "usage_records" : null;
}
