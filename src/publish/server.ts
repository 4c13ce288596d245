/** The HTTP service on a port, for `ciyuan serve` and `ciyuan start`. */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Database } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import { createApp } from "./app.ts";
import type { AppDeps } from "./deps.ts";
import { fixingEvents } from "./events.ts";

export type RunningServer = { url: string; close(): Promise<void> };

export type ServerOptions = {
  signer: Signer;
  adminToken?: string | undefined;
  /** Submissions per contributor token per minute (see AppDeps). */
  contributionRate?: AppDeps["contributionRate"];
  /** Where unexpected failures are reported (one line each); stderr by default. */
  log?: (line: string) => void;
  /** Interface to listen on; all interfaces when absent. */
  hostname?: string;
  /** How long open requests (e.g. a long CSV stream) may finish before being cut, on close. */
  graceMs?: number;
  /** The collector sources as configured, for /health and /v1/status (see AppDeps). */
  sources?: AppDeps["sources"];
  /** The clock of /health and /v1/status; real time when absent. */
  now?: AppDeps["now"];
};

export async function startServer(database: Database, port: number, options: ServerOptions): Promise<RunningServer> {
  const events = await fixingEvents(database);
  const log = options.log ?? ((line: string) => process.stderr.write(`ciyuan: ${line}\n`));
  const app = createApp({
    db: database.db,
    signer: options.signer,
    events,
    adminToken: options.adminToken,
    contributionRate: options.contributionRate,
    log,
    sources: options.sources,
    now: options.now,
  });
  try {
    const { server, url } = await listen(app.fetch, port, options.hostname);
    return {
      url,
      close: async () => {
        await events.close();
        await closeServer(server, options.graceMs ?? 5000);
      },
    };
  } catch (err) {
    await events.close();
    throw err;
  }
}

function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname?: string) {
  return new Promise<{ server: Server; url: string }>((resolve, reject) => {
    const server = serve({ fetch, port, hostname }) as Server;
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const host = hostname ?? "localhost";
      resolve({ server, url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}` });
    });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close((err) => {
      clearTimeout(cut);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
