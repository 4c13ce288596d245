/**
 * Names this test run so every Postgres database it creates can be dropped at the end:
 * a CI server that keeps thousands of test databases takes minutes to recover after a crash.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { build, freshBuild } from "../../src/cli/build.js";

export const RUN_ENV = "CIYUAN_TEST_RUN";

export async function setup(): Promise<() => Promise<void>> {
  // The CLI tests spawn `ciyuan` dozens of times. An edited source makes the compiled
  // command stale, and each spawn would then load the TypeScript through tsx (seconds
  // each): compile once here, as `npm install` does. A failed build leaves tsx to run.
  if (!freshBuild()) await build().catch(() => undefined);
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
