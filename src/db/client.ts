/**
 * One database layer, two engines: embedded PGlite when no DATABASE_URL is given, a real
 * Postgres server through pg when it is. Both are wrapped by drizzle's Postgres dialect,
 * so every query in the project is the same SQL on both.
 */
import fs from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import * as schema from "./schema.ts";
import type { Unlisten } from "./listen.ts";

export type Schema = typeof schema;
/** A database handle or an open transaction: both run the same queries. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  engine: "pglite" | "postgres";
  db: Db;
  /** Where the data lives: a directory for PGlite (":memory:" for none), the URL for Postgres. */
  location: string;
  close(): Promise<void>;
  /** PGlite only: the whole data directory as a tarball (see loadDataDir). */
  dump?: () => Promise<Blob | File>;
  /**
   * Calls onPayload for each NOTIFY on the channel (delivered at the sender's commit).
   * onReconnect: the listening connection was lost and is back; what was sent meanwhile is missed.
   * onLost: the listening connection was lost (Postgres only; PGlite's never is).
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void, onLost?: () => void): Promise<Unlisten>;
  /**
   * PGlite in a data directory only: lends this database to other `ciyuan` commands on the
   * same directory (they work through it instead of being refused; handover.ts), until close.
   */
  lend?: () => Promise<void>;
};

export type OpenOptions = {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** PGlite only: start from a dump of another database (tests clone a migrated template). */
  loadDataDir?: Blob | File | undefined;
};

// Exact numbers and timestamps stay text: numeric, int8 and timestamptz are never parsed
// into JS floats or Dates on their way out of the database.
const TEXT_TYPES = [20, 1700, 1184, 1114, 1082];

// Each engine's driver is imported only when that engine is opened: PGlite (and its WASM)
// is not loaded for a Postgres server, nor pg for PGlite, and neither by code that only
// needs the types and helpers here.
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const [{ default: pg }, { drizzle: drizzlePg }] = await Promise.all([import("pg"), import("drizzle-orm/node-postgres")]);
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 4,
      options: "-c TimeZone=UTC -c DateStyle=ISO",
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          TEXT_TYPES.includes(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
      },
    });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    const db = drizzlePg({ client: pool, schema }) as unknown as Db;
    const url = opts.databaseUrl;
    return {
      engine: "postgres",
      db,
      location: url,
      close: () => pool.end(),
      listen: async (channel, onPayload, onReconnect, onLost) => {
        const { listenPostgres } = await import("./listen.ts");
        return listenPostgres(url, channel, onPayload, { onReconnect, onLost });
      },
    };
  }
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import("@electric-sql/pglite"), import("drizzle-orm/pglite")]);
  const dir = opts.dataDir;
  const onDisk = dir !== undefined && dir !== ":memory:";
  if (onDisk) fs.mkdirSync(dir, { recursive: true });
  // One process at a time in a data directory (lock.ts): throws DatabaseInUse otherwise.
  const lock = onDisk ? (await import("./lock.ts")).lockDataDir(dir) : undefined;
  const parsers = Object.fromEntries(TEXT_TYPES.map((oid) => [oid, (v: string) => v]));
  let client: InstanceType<typeof PGlite>;
  try {
    client = await PGlite.create(onDisk ? path.join(dir, "pgdata") : undefined, {
      parsers,
      // Postgres' default 128MB of shared buffers live inside PGlite's WASM memory, which never
      // shrinks: a process that read a large table kept them all. The operating system's page
      // cache still holds the data files, so a smaller pool costs little time and keeps a
      // command's memory low (README, "Scaling").
      postgresqlconf: [`shared_buffers = ${PGLITE_SHARED_BUFFERS}`],
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
    await client.exec("SET TIME ZONE 'UTC'");
  } catch (err) {
    lock?.release();
    throw err;
  }
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  let lent: { close(): Promise<void> } | undefined;
  return {
    engine: "pglite",
    db,
    location: dir ?? ":memory:",
    close: async () => {
      try {
        if (lent) {
          lock?.advertise(undefined);
          await lent.close();
        }
        await client.close();
      } finally {
        lock?.release();
      }
    },
    ...(lock
      ? {
          lend: async () => {
            if (lent) return;
            const { lendDatabase } = await import("./handover.ts");
            const lending = await lendDatabase(client);
            lent = lending;
            lock.advertise(lending.url);
          },
        }
      : {}),
    dump: () => client.dumpDataDir("none"),
    listen: async (channel, onPayload) => {
      const unlisten = await client.listen(channel, onPayload);
      return async () => {
        await unlisten().catch(() => {});
      };
    },
  };
}

/** PGlite's buffer pool (see openDatabase). */
export const PGLITE_SHARED_BUFFERS = "16MB";

/** Runs a raw SQL query and returns its rows. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** Postgres text timestamps (session time zone UTC) as ISO 8601 with `Z`. */
export function isoUtc(pgText: string): string;
export function isoUtc(pgText: string | null): string | null;
export function isoUtc(pgText: string | null): string | null {
  if (pgText === null) return null;
  return pgText.replace(" ", "T").replace(/\+00(:00)?$/, "Z");
}

/** The SQLSTATE of a database error, on either engine: drizzle wraps the driver's error in `cause`. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
