/**
 * Once per test run, before any worker starts:
 * - names the run, so every Postgres database it creates can be dropped at the end (a CI
 *   server that keeps thousands of test databases takes minutes to recover after a crash);
 * - makes the migrated PGlite template every test database starts from (engines.ts). Made
 *   per test file instead, PGlite's initdb and the migrations cost each file 4-5 s of CPU,
 *   a third of the whole suite's on two cores.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { build, freshBuild } from "../../src/cli/build.js";
import { migrate, openDatabase } from "../../src/db/index.ts";

export const RUN_ENV = "CIYUAN_TEST_RUN";
/** A directory holding `pgdata/` (a migrated, closed PGlite cluster) and `template.tar` (its dump). */
export const TEMPLATE_ENV = "CIYUAN_TEST_TEMPLATE";

async function makeTemplate(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-test-template-"));
  const database = await openDatabase({ dataDir: dir });
  try {
    await migrate(database);
    const dump = await database.dump!();
    fs.writeFileSync(path.join(dir, "template.tar"), Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
  return dir;
}

export async function setup(): Promise<() => Promise<void>> {
  // The CLI tests spawn `ciyuan` dozens of times. An edited source makes the compiled
  // command stale, and each spawn would then load the TypeScript through tsx (seconds
  // each): compile once here, as `npm install` does. A failed build leaves tsx to run.
  if (!freshBuild()) await build().catch(() => undefined);
  // Workers inherit the environment, so freshPostgresUrl() prefixes its names with the run.
  const run = randomBytes(4).toString("hex");
  process.env[RUN_ENV] = run;
  const template = await makeTemplate();
  process.env[TEMPLATE_ENV] = template;
  return async () => {
    fs.rmSync(template, { recursive: true, force: true });
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
