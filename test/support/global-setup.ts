/**
 * Names this test run so every Postgres database it creates can be dropped at the end:
 * a CI server that keeps thousands of test databases takes minutes to recover after a crash.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const RUN_ENV = "CIYUAN_TEST_RUN";

export function setup(): () => Promise<void> {
  // Workers inherit the environment, so freshPostgresUrl() prefixes its names with the run.
  const run = randomBytes(4).toString("hex");
  process.env[RUN_ENV] = run;
  return async () => {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) return;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE $1",
        [`ciyuan_t_${run}_%`],
      );
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
}
