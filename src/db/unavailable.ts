/**
 * Whether a failure means the database server cannot be reached or went away (a refused or
 * broken connection, a server shutting down or still recovering), not that a query failed.
 * The HTTP service answers those with 503 (publish/errors.ts): the state is temporary, and
 * the service recovers by itself once the server is back, since the pool opens new
 * connections on its next queries (scripts/drill-outage.ts).
 */
import { sqlState } from "./client.ts";

/** Socket-level failures of node's net/dns, as pg reports them. */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** SQLSTATE admin_shutdown, crash_shutdown, cannot_connect_now (starting up, recovering); class 08 is any connection exception. */
const SHUTDOWN = new Set(["57P01", "57P02", "57P03"]);
/** What pg says when a connection dies under a query, or a client that lost it is used. */
const LOST = /^(Connection terminated|Client has encountered a connection error)/;

export function databaseUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined && (state.startsWith("08") || SHUTDOWN.has(state))) return true;
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const e = pending.pop();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string" && NETWORK.has(code)) return true;
    if (typeof message === "string" && LOST.test(message)) return true;
    // drizzle wraps the driver's error in `cause`; a refused connection to a name with two
    // addresses is an AggregateError of one per address.
    pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
