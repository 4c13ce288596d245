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
  },
});
