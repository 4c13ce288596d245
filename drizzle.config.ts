import { defineConfig } from "drizzle-kit";

// Migrations are generated from the one schema and applied by every command
// (src/db/migrate.ts), on PGlite and on Postgres alike.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
