/**
 * Every integration test runs on embedded PGlite and, when TEST_DATABASE_URL is set, on a
 * real Postgres server too: each suite gets a fresh database of its own.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { openDatabase, migrate, type Database, type Db } from "../../src/db/index.ts";

export type EngineName = "pglite" | "postgres";

export const engineNames: EngineName[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

/** A fresh, empty Postgres database on the TEST_DATABASE_URL server; returns its URL. */
export async function freshPostgresUrl(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  // The run prefix lets the global teardown drop every database this run made.
  const name = `ciyuan_t_${process.env.CIYUAN_TEST_RUN ?? "x"}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

// PGlite's initdb and the migrations cost seconds: every fresh database starts from the dump
// of a migrated template that global-setup.ts made once for the whole run (or, when a file
// runs outside that setup, one made here once per file).
let pgliteTemplate: Promise<Blob | File> | undefined;
function migratedTemplate(): Promise<Blob | File> {
  pgliteTemplate ??= (async () => {
    const made = process.env.CIYUAN_TEST_TEMPLATE;
    if (made) return new Blob([fs.readFileSync(path.join(made, "template.tar"))]);
    const template = await openDatabase({ dataDir: ":memory:" });
    await migrate(template);
    const dump = await template.dump!();
    await template.close();
    return dump;
  })();
  return pgliteTemplate;
}

/** Opens a fresh, migrated database on the named engine. */
export async function freshDatabase(engine: EngineName): Promise<Database> {
  const database =
    engine === "pglite"
      ? await openDatabase({ dataDir: ":memory:", loadDataDir: await migratedTemplate() })
      : await openDatabase({ databaseUrl: await freshPostgresUrl() });
  await migrate(database);
  return database;
}

// The same for a CLI child process's data directory: its first command would spend seconds
// in PGlite's initdb and the migrations; the template's migrated data directory is copied
// instead (a plain copy of a closed cluster, 40 MB).
let pgliteDataTemplate: Promise<string> | undefined;
function migratedDataDir(): Promise<string> {
  pgliteDataTemplate ??= (async () => {
    const made = process.env.CIYUAN_TEST_TEMPLATE;
    if (made) return path.join(made, "pgdata");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-template-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const template = await openDatabase({ dataDir: dir });
    await migrate(template);
    await template.close();
    return path.join(dir, "pgdata");
  })();
  return pgliteDataTemplate;
}

/**
 * Environment for a CLI child process on a fresh database of the named engine: on PGlite a
 * migrated copy in `dataDir` (`empty: true` leaves the directory for the command to create).
 */
export async function freshCliEnv(engine: EngineName, dataDir: string, opts: { empty?: boolean } = {}): Promise<NodeJS.ProcessEnv> {
  if (engine === "pglite" && !opts.empty) fs.cpSync(await migratedDataDir(), path.join(dataDir, "pgdata"), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CIYUAN_DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  delete env.DATABASE_URL;
  if (engine === "postgres") env.DATABASE_URL = await freshPostgresUrl();
  return env;
}

/**
 * `describe` once per engine; `ctx.db` is a fresh migrated database for the suite.
 * Use `ctx.fresh()` inside a test for a database of its own.
 */
export function describeEachEngine(
  title: string,
  body: (ctx: { readonly db: Db; readonly database: Database; fresh(): Promise<Database>; engine: EngineName }) => void,
): void {
  for (const engine of engineNames) {
    describe(`${title} [${engine}]`, () => {
      let database: Database | undefined;
      const opened: Database[] = [];
      beforeAll(async () => {
        database = await freshDatabase(engine);
      });
      afterAll(async () => {
        await database?.close();
        for (const d of opened) await d.close();
      });
      body({
        engine,
        get db() {
          if (!database) throw new Error("database not open yet");
          return database.db;
        },
        get database() {
          if (!database) throw new Error("database not open yet");
          return database;
        },
        async fresh() {
          const d = await freshDatabase(engine);
          opened.push(d);
          return d;
        },
      });
    });
  }
}
