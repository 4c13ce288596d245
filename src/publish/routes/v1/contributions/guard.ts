// What stands before a submission is read: the contributor's token (401 without one, or
// with one unknown or revoked), then the per-token rate limit (429 with Retry-After).
// Requests without a valid token are refused before the limiter and do not count: the
// limiter counts contributors, keyed by their token's SHA-256, never by address.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { rateLimiter } from "hono-rate-limiter";
import type { Context, MiddlewareHandler } from "hono";
import { contributorByTokenSha256, tokenSha256, type Contributor } from "../../../../contributors/index.ts";
import type { Db } from "../../../../db/index.ts";
import { errorResponse, statusFor } from "../../../errors.ts";
import { ErrorBody } from "../../../schemas.ts";
import { bearerToken } from "../admin/auth.ts";

/** The contributor a request authenticated as, and its token's SHA-256 (the limiter's key). */
export type AuthenticatedContributor = Contributor & { tokenSha256: string };

declare module "hono" {
  interface ContextVariableMap {
    contributor: AuthenticatedContributor;
  }
}

/** The security scheme the submission routes name in the OpenAPI document. */
export const CONTRIBUTOR_SECURITY = [{ contributorToken: [] as string[] }];

/** Submissions per token per minute unless configured (CIYUAN_CONTRIBUTION_RATE). */
export const DEFAULT_CONTRIBUTION_RATE = 60;

const errorContent = { "application/json": { schema: ErrorBody } };

/** The refusals before a body is read. */
export const GUARD_RESPONSES = {
  401: { content: errorContent, description: "no `Authorization: Bearer` token, or one unknown or revoked" },
  429: {
    content: errorContent,
    description: "more submissions with this token in a minute than CIYUAN_CONTRIBUTION_RATE allows (default 60); `Retry-After` says when to try again",
  },
} as const;

function unauthorized(c: Context, message: string): Response {
  const res = errorResponse(c, statusFor("unauthorized"), "unauthorized", message);
  res.headers.set("WWW-Authenticate", 'Bearer realm="ciyuan-contributions"');
  res.headers.set("Cache-Control", "no-store");
  return res;
}

export function contributorGuard(db: Db): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header("Authorization"));
    if (token === null) return unauthorized(c, "missing Authorization: Bearer token");
    const sha256 = tokenSha256(token);
    const contributor = await contributorByTokenSha256(db, sha256);
    if (!contributor) return unauthorized(c, "unknown contributor token");
    if (contributor.revokedAt !== null) return unauthorized(c, "this contributor token was revoked");
    c.set("contributor", { ...contributor, tokenSha256: sha256 });
    await next();
  };
}

/**
 * A fixed one-minute window per token, in this process's memory (one service serves the
 * routes; a restart forgets the counts). The RateLimit-* headers go on every answer.
 */
export function contributionRateLimit(perMinute: number): MiddlewareHandler {
  return rateLimiter({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: "draft-6",
    keyGenerator: (c) => c.get("contributor").tokenSha256,
    handler: (c) => {
      const res = errorResponse(
        c,
        statusFor("rate_limited"),
        "rate_limited",
        `more than ${perMinute} submissions in a minute with this token; try again after Retry-After seconds`,
      );
      res.headers.set("Cache-Control", "no-store");
      return res;
    },
  });
}

/** Names the contributors' bearer token in the OpenAPI document (registered once, before the routes). */
export function register(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "contributorToken", {
    type: "http",
    scheme: "bearer",
    description: "a contributor token (`ciyuan contributors add`), scoped to its providers",
  });
}
