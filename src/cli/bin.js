#!/usr/bin/env node
// The `ciyuan` command. `npm install` compiles it (src/cli/build.js, the `prepare` script)
// and that build runs while it matches the sources; otherwise (an edited source, no build,
// or CIYUAN_TSX=1) the TypeScript sources run through tsx's loader. Either way `npx ciyuan`
// works right after `npm install` with no build step, and never runs stale code.
import v8 from "node:v8";
import { freshBuild } from "./build.js";

// PGlite is a WASM build of Postgres. V8 first compiles it with its baseline compiler
// (Liftoff) and then, for code that ran often, again with its optimising one in background
// threads: Postgres' start-up makes so much code "hot" that a one-shot command spent more
// CPU recompiling than working (`ciyuan verify` 1.25 s wall / 1.8 s CPU; Liftoff only:
// 0.7 s / 0.7 s; a 20-day backfill 2.75 s -> 1.8 s). The optimising tier pays back where
// the database works for long: the service (start, serve) and bulk imports (a 1.5M-row
// usage file took 11.5 s instead of 8.8 s without it: npm run bench:import).
// Set before any WASM is compiled; a Postgres server (DATABASE_URL) runs no WASM at all.
const OPTIMISED = new Set(["start", "serve", "import"]);
if (!OPTIMISED.has(process.argv[2] ?? "")) v8.setFlagsFromString("--liftoff-only");

async function load() {
  const compiled = process.env.CIYUAN_TSX === "1" ? undefined : freshBuild();
  if (compiled) {
    try {
      return await import(compiled.href);
    } catch {
      // A build removed or damaged under us: the sources still run.
    }
  }
  const { register } = await import("tsx/esm/api");
  register();
  return import("./main.ts");
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
