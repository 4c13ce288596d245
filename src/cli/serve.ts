import type { Command } from "commander";
import { startServer } from "../publish/server.ts";
import { parsePort } from "./args.ts";
import { withDatabase } from "./context.ts";

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve the HTTP API alone (PORT, or --port)")
    .option("--port <n>", "port to listen on (default: PORT, else 3000)", parsePort)
    .action(async (opts: { port?: number }) => {
      await withDatabase(async (database, config) => {
        const server = await startServer(database.db, opts.port ?? config.port);
        process.stderr.write(`ciyuan: serving on ${server.url}\n`);
        const signal = await untilSignal();
        process.stderr.write(`ciyuan: ${signal}, shutting down\n`);
        await server.close();
      });
    });
}
