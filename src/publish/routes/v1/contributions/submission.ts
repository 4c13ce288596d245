// What the two submission routes share: the guard (token, rate limit), the body read within
// 20 MB, the submission itself, and the receipt as the answer.
import type { Context, MiddlewareHandler } from "hono";
import { MAX_BODY_BYTES, receiptDocument, recordOversized, submitContribution, type ContributionKind } from "../../../../contributors/index.ts";
import type { AppDeps } from "../../../deps.ts";
import { errorResponse, statusFor } from "../../../errors.ts";
import { toJson } from "../../../json.ts";
import { readBodyWithin } from "../../../read-body.ts";
import { JSON_TYPE } from "../../../respond.ts";
import { ErrorBody } from "../../../schemas.ts";
import { ContributionReceipt } from "./schemas.ts";
import { contributionRateLimit, contributorGuard, DEFAULT_CONTRIBUTION_RATE, GUARD_RESPONSES } from "./guard.ts";

const errorContent = { "application/json": { schema: ErrorBody } };

/** Every answer of a submission route, in the order the checks are made. */
export const SUBMISSION_RESPONSES = {
  202: { content: { "application/json": { schema: ContributionReceipt } }, description: "accepted: the batch is committed; the signed receipt" },
  200: {
    content: { "application/json": { schema: ContributionReceipt } },
    description: "the same body was accepted from this contributor before: its receipt again, nothing stored",
  },
  ...GUARD_RESPONSES,
  413: { content: errorContent, description: "the body is over 20 MB (20971520 bytes); nothing stored" },
  400: {
    content: errorContent,
    description: "an invalid record: the whole body is refused, naming the first bad record (CSV line, the header being line 1, or JSON path) and field; nothing stored",
  },
  403: { content: errorContent, description: "a record names a provider outside the token's providers; nothing stored" },
  503: { content: errorContent, description: "the database is unavailable for the moment (code `unavailable`); try again shortly" },
} as const;

// One guard per app, shared by both routes: a token's submissions count together.
const guards = new WeakMap<AppDeps, MiddlewareHandler[]>();

/** The guard of a submission route: the token, then the rate limit, before any byte is read. */
export function submissionMiddleware(deps: AppDeps): MiddlewareHandler[] {
  let guard = guards.get(deps);
  if (!guard) {
    guard = [contributorGuard(deps.db), contributionRateLimit(deps.contributionRate ?? DEFAULT_CONTRIBUTION_RATE)];
    guards.set(deps, guard);
  }
  return guard;
}

/** The format a Content-Type names; anything else is told by the body, as for a file without an extension. */
export function declaredFormat(contentType: string | undefined): "csv" | "json" | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/csv") return "csv";
  if (type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return "json";
  return undefined;
}

export function submissionHandler(kind: ContributionKind, { db, signer }: AppDeps): (c: Context) => Promise<Response> {
  return async (c) => {
    const contributor = c.get("contributor");
    const read = await readBodyWithin(c.req.raw, MAX_BODY_BYTES);
    if ("tooLarge" in read) {
      const reason = `the body is over 20 MB (${MAX_BODY_BYTES} bytes)`;
      await recordOversized(db, { contributor: contributor.name, kind, bytes: read.bytes, reason });
      const res = errorResponse(c, statusFor("payload_too_large"), "payload_too_large", reason);
      // The rest of the body was never read: this connection cannot carry another request.
      res.headers.set("Connection", "close");
      res.headers.set("Cache-Control", "no-store");
      return res;
    }
    const format = declaredFormat(c.req.header("Content-Type"));
    const { repeat, signed } = await submitContribution(db, { contributor, kind, body: read.body, format, signer });
    return c.body(toJson(receiptDocument(signed)), repeat ? 200 : 202, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" });
  };
}
