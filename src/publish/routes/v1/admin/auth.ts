// The guard of every /v1/admin/... route. Registered before them (see routes/index.ts):
// without CIYUAN_ADMIN_TOKEN the routes answer exactly as an absent route does (404);
// with it, `Authorization: Bearer <token>` is compared in constant time over SHA-256
// digests, so neither the token's content nor its length shows in the timing.
import { createHash, timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps } from "../../../deps.ts";
import { errorResponse, statusFor } from "../../../errors.ts";
import { ErrorBody, ERROR_RESPONSES } from "../../../schemas.ts";

/** The security scheme the admin routes name in the OpenAPI document. */
export const ADMIN_SECURITY = [{ adminToken: [] as string[] }];

/** The error answers of every admin route. */
export const ADMIN_ERROR_RESPONSES = {
  ...ERROR_RESPONSES,
  401: { content: { "application/json": { schema: ErrorBody } }, description: "missing or wrong bearer token" },
  404: {
    content: { "application/json": { schema: ErrorBody } },
    description: "operator routes off (no CIYUAN_ADMIN_TOKEN), or no such index, fixing or sheet",
  },
} as const;

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(.+)$/i.exec(header ?? "");
  const token = m?.[1]?.trim();
  return token ? token : null;
}

function unauthorized(c: Context, message: string): Response {
  const res = errorResponse(c, statusFor("unauthorized"), "unauthorized", message);
  res.headers.set("WWW-Authenticate", 'Bearer realm="ciyuan-admin"');
  res.headers.set("Cache-Control", "no-store");
  return res;
}

export function adminGuard(adminToken: string | undefined): MiddlewareHandler {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (c, next) => {
    if (expected === undefined) return c.notFound();
    const given = bearerToken(c.req.header("Authorization"));
    if (given === null) return unauthorized(c, "missing Authorization: Bearer token");
    if (!timingSafeEqual(digest(given), expected)) return unauthorized(c, "wrong admin token");
    await next();
  };
}

export function register(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "CIYUAN_ADMIN_TOKEN; without it set on the server, the /v1/admin routes are off (404)",
  });
  app.use("/v1/admin/*", adminGuard(deps.adminToken));
}
