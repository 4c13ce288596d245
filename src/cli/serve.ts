import { serviceClock, type Config } from "../config.ts";
import type { Database } from "../db/index.ts";
import { createLog, type Logger } from "../log.ts";
import { loadSigner } from "../signing/index.ts";
import { startServer } from "../publish/server.ts";
import { loadSourcesConfig, type SourceConfig } from "../sources/config.ts";
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

/**
 * Serves until SIGINT or SIGTERM, then closes the server (the caller closes the database).
 * `sources` (the collector config) is what /health judges the sources by. Every line goes
 * through the service's log (log.ts), the request failures it did not expect included.
 */
export async function serveUntilSignal(
  database: Database,
  config: Config,
  port: number,
  opts: { log: Logger; sources?: readonly SourceConfig[] | undefined },
): Promise<void> {
  const { log } = opts;
  const signer = loadSigner(config);
  const server = await startServer(database, port, {
    signer,
    adminToken: config.adminToken,
    contributionRate: config.contributionRate,
    sources: opts.sources,
    now: serviceClock(config),
    log: (line) => log.error(line),
  });
  const where = database.engine === "pglite" ? database.location : "DATABASE_URL";
  log.info({ url: server.url, engine: database.engine, database: where }, `serving on ${server.url}`);
  const signal = await untilSignal();
  log.info({ signal }, `${signal}, shutting down`);
  await server.close();
}

/** `ciyuan serve`: the HTTP service alone, until SIGINT or SIGTERM. */
export async function serve(opts: { port?: number }): Promise<void> {
  await withDatabase(async (database, config) => {
    // The collectors may run elsewhere (`ciyuan collect`, another `ciyuan start`) on this
    // database: /health holds the configured sources to their schedules all the same.
    const sources = loadSourcesConfig(process.env.CIYUAN_SOURCES);
    const log = await createLog({ level: config.logLevel, format: config.logFormat });
    await serveUntilSignal(database, config, opts.port ?? config.port, { log, sources: sources.sources });
  }, { service: true });
}
