#!/usr/bin/env node
// The `ciyuan` command. `npm install` compiles it (src/cli/build.js, the `prepare` script)
// and that build runs while it matches the sources; otherwise (an edited source, no build,
// or CIYUAN_TSX=1) the TypeScript sources run through tsx's loader. Either way `npx ciyuan`
// works right after `npm install` with no build step, and never runs stale code.
import { freshBuild } from "./build.js";

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
