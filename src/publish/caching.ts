/**
 * HTTP caching of every GET: a strong ETag, If-None-Match answered with 304 (no body), and
 * a Cache-Control saying how long an answer may be reused.
 *
 * Policy (the spec says only that "a final fixing's revision is immutable"):
 * - `immutable` (a year): a final fixing at an explicit `?revision=N` carrying its stored
 *   signature. Fixing rows are append-only, so that body can never change. The latest
 *   revision of a fixing can still be restated, so an unpinned fixing is not immutable.
 * - `revalidate` (everything else that succeeds): a cache may keep the answer but must ask
 *   again before each use; the ETag makes that a cheap 304. A benchmark's latest value
 *   served stale for even a minute after a new fixing or a restatement would mislead.
 * - errors: `no-store` (a fixing that is 404 now is published later).
 * - a request carrying Authorization (operator routes): `no-store`, so `public` never
 *   lets a shared cache keep what only the operator may see.
 *
 * Small answers get the SHA-256 of their exact bytes as ETag here. A streamed range sets
 * its own ETag first, from a cheap database fingerprint (see `fingerprintTag`), and answers
 * 304 before building anything (`notModified`). An answer with `Cache-Control: no-store`
 * or an event stream (SSE) is left alone.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REVALIDATE = "public, no-cache";
export const NO_STORE = "no-store";

// Bumped whenever the bytes written for the same stored rows change (a new field, a new
// format), so a fingerprint ETag from before the change no longer matches.
const REPRESENTATION = "ciyuan-http/1";

// Headers a 304 keeps (RFC 9110 15.4.5), and the CORS ones so a cross-origin revalidation passes.
const KEPT_ON_304 = new Set(["cache-control", "content-location", "date", "etag", "expires", "vary"]);
const keptOn304 = (name: string) => KEPT_ON_304.has(name) || name.startsWith("access-control-");

function tag(hash: Buffer): string {
  return `"${hash.toString("base64url")}"`;
}

/** A strong ETag: the SHA-256 of these exact bytes. */
export function bodyTag(body: Uint8Array): string {
  return tag(createHash("sha256").update(body).digest());
}

/** A strong ETag for a body fully determined by these parts (a database fingerprint and the request). */
export function fingerprintTag(parts: readonly (string | number | null | undefined)[]): string {
  return tag(createHash("sha256").update(JSON.stringify([REPRESENTATION, ...parts])).digest());
}

/** If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"`; `*` matches anything. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((candidate) => candidate.replace(/^W\//, "") === opaque);
}

/** Sets the route's Cache-Control (the middleware gives `revalidate` to a 200 without one). */
export function cacheControl(c: Context, value: string): void {
  c.header("Cache-Control", value);
}

/**
 * For a body that is expensive to build: sets its ETag, and when the client already holds
 * that version, the 304 to return instead (null: build the body).
 */
export function notModified(c: Context, etag: string): Response | null {
  c.header("ETag", etag);
  return matchesIfNoneMatch(requestHeader(c, "if-none-match"), etag) ? c.body(null, 304) : null;
}

const isRead = (method: string) => method === "GET" || method === "HEAD";

/**
 * A request header (lower-case name), from Node's IncomingMessage when @hono/node-server
 * serves the request: `c.req.header` first builds a fetch Headers object of every request
 * header, which costs more than the rest of a cached answer (scripts/bench-http.ts).
 */
function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The app-wide middleware (see the policy above). */
declare module "hono" {
  interface ContextVariableMap {
    /** Set by a route that wrote its own Cache-Control and ETag and answered If-None-Match. */
    cachingDone: boolean;
  }
}

/**
 * Cache-Control, ETag and a 304 for a hot route that answers them itself (the latest
 * fixing): headers given with the body, so the response is never re-read or re-made
 * (touching `c.res.headers` turns @hono/node-server's light response into a full one).
 */
export function cachedBody(c: Context, text: string, contentType: string, etag: string): Response {
  c.set("cachingDone", true);
  const control = defaultCacheControl(c);
  if (control === REVALIDATE && matchesIfNoneMatch(requestHeader(c, "if-none-match"), etag)) {
    return c.body(null, 304, { ETag: etag, "Cache-Control": control });
  }
  return c.body(text, 200, { "Content-Type": contentType, ETag: etag, "Cache-Control": control });
}

/** A read answered without a Cache-Control of its own: revalidate, unless it was authorised. */
function defaultCacheControl(c: Context): string {
  return requestHeader(c, "authorization") === undefined ? REVALIDATE : NO_STORE;
}

export function httpCaching(): MiddlewareHandler {
  return async function caching(c, next) {
    await next();
    if (!isRead(c.req.method) || c.get("cachingDone")) return;
    const res = c.res;
    if (res.status >= 400) {
      if (!res.headers.has("Cache-Control")) res.headers.set("Cache-Control", NO_STORE);
      return;
    }
    if (res.status !== 200 && res.status !== 304) return;
    if ((res.headers.get("Content-Type") ?? "").startsWith("text/event-stream")) return;
    if (!res.headers.has("Cache-Control")) {
      res.headers.set("Cache-Control", defaultCacheControl(c));
    }
    if (res.status === 304) return; // a route's own early answer (notModified)
    if (/\bno-store\b/.test(res.headers.get("Cache-Control") ?? "")) return;
    let etag = res.headers.get("ETag");
    if (etag === null) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      etag = bodyTag(bytes);
      c.res = new Response(bytes, res);
      c.res.headers.set("ETag", etag);
    }
    if (!matchesIfNoneMatch(requestHeader(c, "if-none-match"), etag)) return;
    await c.res.body?.cancel();
    c.res = new Response(null, { status: 304 });
    // Setting c.res copies the 200's headers over; keep only those a 304 may carry.
    for (const name of [...c.res.headers.keys()]) if (!keptOn304(name)) c.res.headers.delete(name);
  };
}
