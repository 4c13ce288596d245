// The database: one schema, one client for PGlite and Postgres, migrations applied on open.
export * from "./client.ts";
export * as schema from "./schema.ts";
export { migrate, MIGRATIONS_DIR } from "./migrate.ts";
export { openMigrated } from "./open.ts";
export type { Unlisten } from "./listen.ts";
