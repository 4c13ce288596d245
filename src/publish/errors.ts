/**
 * The one place where failures become HTTP answers: `{"error":{"code","message"}}` with the
 * status a CiyuanError's code stands for. Bad input is a 4xx, never a 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { databaseUnavailable } from "../db/unavailable.ts";
import { CiyuanError, type ErrorCode } from "../errors.ts";
import { toJson } from "./json.ts";

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  bad_input: 400,
  not_found: 404,
  unauthorized: 401,
  unknown_index: 404,
  conflict: 409,
  immutable: 409,
  off_calendar: 400,
  future_fixing: 400,
  forbidden: 403,
  payload_too_large: 413,
  rate_limited: 429,
  no_ok_fixing: 404,
  bad_config: 500,
  internal: 500,
};

export function statusFor(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  // A message may echo the request (a decoded path holding %0A): keep it one line.
  const line = message.replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return c.body(toJson({ error: { code, message: line } }), status, { "Content-Type": "application/json; charset=utf-8" });
}

/** A failed zod validation of a request part, as one line naming the parameter. */
export function badParameters(c: Context, target: string, error: ZodError): Response {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : target;
  const message = issue ? `${where}: ${issue.message}` : `invalid ${target}`;
  return errorResponse(c, 400, "bad_request", message);
}

/** Anything thrown by a handler. Unexpected errors are logged and answered without detail. */
export function errorFromThrown(c: Context, err: unknown, log: (line: string) => void): Response {
  if (err instanceof CiyuanError) {
    const status = statusFor(err.code);
    if (status < 500) return errorResponse(c, status, err.code, err.message);
    log(`${c.req.method} ${c.req.path}: ${err.message}`);
    return errorResponse(c, status, err.code, "internal error");
  }
  if (err instanceof HTTPException && err.status < 500) {
    return errorResponse(c, err.status as ContentfulStatusCode, "bad_request", err.message || "bad request");
  }
  // The database server is down or restarting: temporary, and not a fault of this service
  // (/health says down meanwhile), so 503 and no log line per request.
  if (databaseUnavailable(err)) return errorResponse(c, 503, "unavailable", "the database is unavailable; try again shortly");
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log(`${c.req.method} ${c.req.path}: ${detail.split("\n")[0]}`);
  return errorResponse(c, 500, "internal", "internal error");
}
