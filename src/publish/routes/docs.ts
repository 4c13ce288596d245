// GET /docs: Swagger UI over /openapi.json, served from the installed swagger-ui-dist
// package (no CDN). The page has no inline script, so it runs under a strict CSP.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import { untyped } from "../respond.ts";

const HTML_TYPE = "text/html; charset=utf-8";
const JS_TYPE = "text/javascript; charset=utf-8";
const CSS_TYPE = "text/css; charset=utf-8";
const PNG_TYPE = "image/png";

// Swagger UI sets style attributes and draws data: images; scripts come from here only.
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ciyuan API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// validatorUrl null: the default would send the document to validator.swagger.io.
const INIT = `"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
`;

type Asset = { body: Buffer | string; type: string; etag: string };

function asset(body: Buffer | string, type: string): Asset {
  return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

const require = createRequire(import.meta.url);

/** A file of swagger-ui-dist, read once on first use. */
function packageFile(file: string, type: string): () => Asset {
  let loaded: Asset | undefined;
  return () => (loaded ??= asset(readFileSync(require.resolve(`swagger-ui-dist/${file}`)), type));
}

export const DOCS_ASSETS: Record<string, () => Asset> = {
  "/docs/swagger-ui.css": packageFile("swagger-ui.css", CSS_TYPE),
  "/docs/swagger-ui-bundle.js": packageFile("swagger-ui-bundle.js", JS_TYPE),
  "/docs/favicon-32x32.png": packageFile("favicon-32x32.png", PNG_TYPE),
  "/docs/init.js": ((a: Asset) => () => a)(asset(INIT, JS_TYPE)),
};

function serveAsset(c: Context, a: Asset): Response {
  const headers = {
    "Content-Type": a.type,
    ETag: a.etag,
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
  };
  if (c.req.header("If-None-Match")?.split(",").some((t) => t.trim() === a.etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(typeof a.body === "string" ? a.body : new Uint8Array(a.body), 200, headers);
}

export const route = createRoute({
  method: "get",
  path: "/docs",
  summary: "A page that renders this API's OpenAPI document (Swagger UI)",
  responses: { 200: { content: { "text/html": { schema: z.string() } }, description: "the HTML page" } },
});

export function register(app: OpenAPIHono, _deps: AppDeps): void {
  const page = asset(PAGE, HTML_TYPE);
  app.openapi(route, (c) => {
    const res = serveAsset(c, page);
    res.headers.set("Content-Security-Policy", DOCS_CSP);
    res.headers.set("Cache-Control", "no-cache");
    return untyped(res);
  });
  for (const [path, load] of Object.entries(DOCS_ASSETS)) app.get(path, (c) => serveAsset(c, load()));
}
