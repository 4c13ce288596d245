import type { Config } from "../config.ts";
import type { Database } from "../db/index.ts";
import { loadSigner } from "../signing/index.ts";
import { startServer } from "../publish/server.ts";
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

/** Serves until SIGINT or SIGTERM, then closes the server (the caller closes the database). */
export async function serveUntilSignal(database: Database, config: Config, port: number, label = ""): Promise<void> {
  const signer = loadSigner(config);
  const server = await startServer(database, port, { signer, adminToken: config.adminToken });
  process.stderr.write(`ciyuan: serving on ${server.url}${label}\n`);
  const signal = await untilSignal();
  process.stderr.write(`ciyuan: ${signal}, shutting down\n`);
  await server.close();
}

/** `ciyuan serve`: the HTTP service alone, until SIGINT or SIGTERM. */
export async function serve(opts: { port?: number }): Promise<void> {
  await withDatabase(async (database, config) => {
    await serveUntilSignal(database, config, opts.port ?? config.port);
  });
}
