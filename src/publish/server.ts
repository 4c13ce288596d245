/** The HTTP service on a port, for `ciyuan serve` and `ciyuan start`. */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Db } from "../db/index.ts";
import { createApp, type AppOptions } from "./app.ts";

export type RunningServer = { url: string; close(): Promise<void> };

export type ServerOptions = AppOptions & {
  /** Interface to listen on; all interfaces when absent. */
  hostname?: string;
  /** How long open requests (e.g. a long CSV stream) may finish before being cut, on close. */
  graceMs?: number;
};

export function startServer(db: Db, port: number, options: ServerOptions = {}): Promise<RunningServer> {
  const app = createApp(db, options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: options.hostname }) as Server;
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const host = options.hostname ?? "localhost";
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
      resolve({ url, close: () => closeServer(server, options.graceMs ?? 5000) });
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
