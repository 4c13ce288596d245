import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Lives in test/ because the top level holds only what the layout allows.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ["test/support/global-setup.ts"],
    // Vitest's default is one worker per core less one: a single worker on a 2-core machine.
    // Most of a test's time is spent waiting on a database server, a PGlite child process
    // or a browser, so three files at a time keep both cores busy. CIYUAN_TEST_WORKERS
    // overrides it.
    maxWorkers: Number(process.env.CIYUAN_TEST_WORKERS ?? 3),
    // Each test file opens short-lived PGlite databases; V8's optimising recompilation of
    // PGlite's WASM costs more CPU than it saves there (see src/cli/bin.js).
    execArgv: ["--liftoff-only"],
  },
});
