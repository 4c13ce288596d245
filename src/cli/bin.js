#!/usr/bin/env node
// The `ciyuan` command. TypeScript sources run through tsx's loader, so `npx ciyuan`
// works right after `npm install` with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
