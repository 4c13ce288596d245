/**
 * A local HTTP server on 127.0.0.1 that serves recorded files from test/fixtures and
 * misbehaves on purpose, one scripted behaviour per path. Every request is recorded
 * (method, path, headers) so tests can count attempts and check conditional headers.
 *
 *   /files/<path under test/fixtures>        the file, with ETag and Last-Modified; 304 when
 *                                            If-None-Match or If-Modified-Since matches
 *   /flaky/<n>/<file path>                   500 for the first n requests, then the file
 *   /status/<code>                           always that status (500, 404, ...)
 *   /hang                                    never sends headers
 *   /hang-body                               headers (Content-Length 1000), 10 bytes, then nothing
 *   /trickle                                 Content-Length 1000, one byte every 50 ms
 *   /truncated                               Content-Length 1000, 100 bytes, socket destroyed
 *   /truncated-chunked                       chunked, 100 bytes, socket destroyed before the last chunk
 *   /big/<bytes>                             that many bytes with Content-Length
 *   /big-chunked/<bytes>                     that many bytes, chunked (no Content-Length)
 *   /big-until-close/<bytes>                 that many bytes, no length at all (body ends at close)
 *   /html                                    200 text/html instead of JSON
 *   /loop                                    302 to itself, forever
 *   /redirect/<n>/<file path>                n redirects, then the file
 *   /reset                                   connection reset without a response
 *   /gzip/<file path>                        the file gzip-encoded
 *   /gzip-truncated/<file path>              half of the gzip-encoded file, then socket destroyed
 * Tests can add or replace a route with `on(path, handler)`.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
/** Served for every file so If-Modified-Since can be tested deterministically. */
export const FIXTURE_LAST_MODIFIED = "Sat, 20 Dec 2025 00:00:00 GMT";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, rest: string[], server: MisbehavingServer) => void;

export interface MisbehavingServer {
  readonly origin: string;
  url(pathname: string): string;
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests whose path equals `pathname` (query string ignored). */
  requestsTo(pathname: string): RecordedRequest[];
  attempts(pathname: string): number;
  /** The ETag served for a fixture file (quoted). */
  etagOf(fixture: string): string;
  on(prefix: string, handler: Handler): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startMisbehavingServer(fixturesDir: string = FIXTURES_DIR): Promise<MisbehavingServer> {
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const routes = new Map<string, Handler>(Object.entries(defaultRoutes(fixturesDir)));

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    requests.push({ method: req.method ?? "GET", path: pathname, headers: req.headers });
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    // A client that gives up mid-body makes our writes fail; that is expected here.
    res.on("error", () => {});
    req.socket.on("error", () => {});
    const [, first = "", ...rest] = pathname.split("/");
    const handler = routes.get(first);
    if (!handler) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("no such route\n");
      return;
    }
    handler(req, res, rest.map(decodeURIComponent), api);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const api: MisbehavingServer = {
    origin,
    url: (pathname) => origin + (pathname.startsWith("/") ? pathname : `/${pathname}`),
    requests,
    requestsTo: (pathname) => requests.filter((r) => r.path === pathname),
    attempts: (pathname) => counts.get(pathname) ?? 0,
    etagOf: (fixture) => etagFor(readFixture(fixturesDir, fixture)),
    on: (prefix, handler) => void routes.set(prefix.replace(/^\//, ""), handler),
    reset: () => {
      requests.length = 0;
      counts.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return api;
}

function defaultRoutes(dir: string): Record<string, Handler> {
  return {
    files: (req, res, rest) => serveFile(req, res, dir, rest.join("/")),
    flaky: (req, res, rest, server) => {
      const [failures = "1", ...file] = rest;
      const pathname = new URL(req.url ?? "/", "http://x").pathname;
      if (server.attempts(pathname) <= Number(failures)) {
        res.writeHead(500, { "Content-Type": "text/plain" }).end("temporarily broken\n");
        return;
      }
      serveFile(req, res, dir, file.join("/"));
    },
    status: (_req, res, [code = "500"]) => {
      res.writeHead(Number(code), { "Content-Type": "text/plain" }).end(`status ${code}\n`);
    },
    hang: () => {},
    "hang-body": (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write('{"hanging":');
    },
    trickle: (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      const timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(timer));
    },
    truncated: (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write("x".repeat(100), () => res.socket?.destroy());
    },
    "truncated-chunked": (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write("x".repeat(100), () => res.socket?.destroy());
    },
    big: (_req, res, [bytes = "0"]) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": bytes });
      streamBytes(res, Number(bytes), () => res.end());
    },
    "big-chunked": (_req, res, [bytes = "0"]) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      streamBytes(res, Number(bytes), () => res.end());
    },
    "big-until-close": (req, _res, [bytes = "0"]) => {
      // Written on the raw socket: an HTTP/1.1 response with neither length nor chunking.
      const socket = req.socket;
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
      streamBytes(socket, Number(bytes), () => socket.end());
    },
    html: (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end("<!doctype html><html><body><h1>Service unavailable</h1></body></html>\n");
    },
    loop: (_req, res) => {
      res.writeHead(302, { Location: "/loop" }).end();
    },
    redirect: (_req, res, [n = "1", ...file]) => {
      const left = Number(n);
      const next = left <= 1 ? `/files/${file.join("/")}` : `/redirect/${left - 1}/${file.join("/")}`;
      res.writeHead(302, { Location: next }).end();
    },
    reset: (req) => {
      req.socket.resetAndDestroy();
    },
    gzip: (_req, res, rest) => {
      const body = gzipSync(readFixture(dir, rest.join("/")));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": String(body.length) }).end(body);
    },
    "gzip-truncated": (_req, res, rest) => {
      const body = gzipSync(readFixture(dir, rest.join("/")));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip" });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    },
  };
}

function serveFile(req: IncomingMessage, res: ServerResponse, dir: string, file: string): void {
  let body: Buffer;
  try {
    body = readFixture(dir, file);
  } catch {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("no such fixture\n");
    return;
  }
  const etag = etagFor(body);
  const headers = { ETag: etag, "Last-Modified": FIXTURE_LAST_MODIFIED };
  const ifNoneMatch = req.headers["if-none-match"];
  const ifModifiedSince = req.headers["if-modified-since"];
  const notModified =
    ifNoneMatch !== undefined
      ? ifNoneMatch.split(",").some((tag) => tag.trim() === etag)
      : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(FIXTURE_LAST_MODIFIED);
  if (notModified) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Type": contentTypeOf(file), "Content-Length": String(body.length) }).end(body);
}

function readFixture(dir: string, file: string): Buffer {
  const full = path.resolve(dir, file);
  if (!full.startsWith(path.resolve(dir) + path.sep)) throw new Error(`outside the fixtures: ${file}`);
  return fs.readFileSync(full);
}

function etagFor(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
}

function contentTypeOf(file: string): string {
  if (file.endsWith(".json")) return "application/json";
  if (file.endsWith(".xml")) return "application/xml";
  if (file.endsWith(".csv")) return "text/csv";
  return "application/octet-stream";
}

/** Writes `total` bytes of JSON-ish filler in 64 KiB chunks, respecting backpressure, until done or the peer is gone. */
function streamBytes(out: NodeJS.WritableStream & { destroyed?: boolean }, total: number, done: () => void): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      if (out.destroyed) return;
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!out.write(piece)) {
        out.once("drain", pump);
        return;
      }
    }
    done();
  };
  pump();
}

/** A port nobody listens on on 127.0.0.1 (bound, noted, closed): connections are refused at once. */
export async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
