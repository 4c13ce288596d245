// GET / (the dashboard), GET /widget/{code} (a card to embed in an iframe), GET /methodology
// (and /methodology.md) and GET /assets/{name} (their scripts, style and the chart library).
// The pages are HTML shells whose scripts read the public JSON API, like any other client.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import { CiyuanError } from "../../errors.ts";
import { IndexCode } from "../params.ts";
import { untyped } from "../respond.ts";
import { chartLibraryPath, fillTemplate, findAsset, pageTemplate, type Asset } from "../page-assets.ts";
import { requireIndex } from "../read/index.ts";
import { methodologyHtml, methodologyText } from "../methodology.ts";

const HTML = "text/html; charset=utf-8";

// Everything the pages load comes from this origin; scripts are files, never inline.
const policy = (frameAncestors: string) =>
  `default-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors ${frameAncestors}`;
const DASHBOARD_HEADERS = { "Content-Security-Policy": policy("'none'"), "X-Frame-Options": "DENY" };
// Any site may embed the widget.
const WIDGET_HEADERS = { "Content-Security-Policy": policy("*") };
// Caching (ETag, 304, revalidation) is the app-wide middleware's (caching.ts).
const PAGE_HEADERS = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };

const htmlResponse = (description: string) => ({ content: { "text/html": { schema: z.string() } }, description });

export const dashboardRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The dashboard: each index's value and level history and its latest constituents",
  responses: { 200: htmlResponse("the dashboard page") },
});

export const widgetRoute = createRoute({
  method: "get",
  path: "/widget/{code}",
  summary: "A card for one index, to embed in an iframe: latest value, change, sparkline, updated live",
  description: 'Embed with `<iframe src="https://HOST/widget/CTPI" width="320" height="180"></iframe>`; any site may frame it.',
  request: { params: z.object({ code: z.string().openapi({ param: { name: "code", in: "path" }, example: "CTPI" }) }) },
  responses: { 200: htmlResponse("the widget page"), 404: htmlResponse("no such index (an HTML page)") },
});

export const hedgeRoute = createRoute({
  method: "get",
  path: "/hedge",
  summary: "The hedge desk: drop a monthly bill (CSV) to see its hedge ratio on an index's settlement prices (POST /v1/hedge)",
  responses: { 200: htmlResponse("the hedge desk page") },
});

export const methodologyRoute = createRoute({
  method: "get",
  path: "/methodology",
  summary: "The index methodology (METHODOLOGY.md of the running release), as a page",
  responses: { 200: htmlResponse("the methodology page: its headings anchored, the text as written") },
});

export const methodologyMarkdownRoute = createRoute({
  method: "get",
  path: "/methodology.md",
  summary: "The index methodology (METHODOLOGY.md of the running release), as Markdown",
  responses: { 200: { content: { "text/markdown": { schema: z.string() } }, description: "METHODOLOGY.md" } },
});

function page(c: Context, status: 200 | 404, html: string, headers: Record<string, string>): Response {
  return c.body(html, status, { "Content-Type": HTML, ...PAGE_HEADERS, ...headers });
}

function noSuchIndex(c: Context, template: string, code: string): Response {
  const shown = code.length > 64 ? `${code.slice(0, 64)}…` : code;
  return page(c, 404, fillTemplate(template, { message: `There is no index named “${shown}”.` }), WIDGET_HEADERS);
}

/** The index's definition, or null for a code that names none (malformed or unknown). */
async function findIndex(db: AppDeps["db"], code: string) {
  if (!IndexCode.safeParse(code).success) return null;
  try {
    return await requireIndex(db, code);
  } catch (err) {
    if (err instanceof CiyuanError && err.code === "unknown_index") return null;
    throw err;
  }
}

function sendAsset(c: Context, asset: Asset): Response {
  return c.body(asset.body, 200, {
    "Content-Type": asset.type,
    "Cache-Control": asset.cacheControl,
    ETag: asset.etag,
    "X-Content-Type-Options": "nosniff",
  });
}

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  const dashboard = fillTemplate(pageTemplate("dashboard.html"), { chartLibrary: chartLibraryPath() });
  const widget = pageTemplate("widget.html");
  const notFound = pageTemplate("not-found.html");

  app.openapi(dashboardRoute, (c) => untyped(page(c, 200, dashboard, DASHBOARD_HEADERS)));
  const hedgeDesk = pageTemplate("hedge.html");
  app.openapi(hedgeRoute, (c) => untyped(page(c, 200, hedgeDesk, DASHBOARD_HEADERS)));

  const methodology = methodologyHtml();
  app.openapi(methodologyRoute, (c) => untyped(page(c, 200, methodology, DASHBOARD_HEADERS)));
  app.openapi(methodologyMarkdownRoute, (c) =>
    untyped(c.body(methodologyText(), 200, { "Content-Type": "text/markdown; charset=utf-8", ...PAGE_HEADERS })),
  );

  app.openapi(widgetRoute, async (c) => {
    const { code } = c.req.valid("param");
    const index = await findIndex(db, code);
    if (!index) return untyped(noSuchIndex(c, notFound, code));
    const html = fillTemplate(widget, { code: index.code, name: index.name, currency: index.currency, chartLibrary: chartLibraryPath() });
    return untyped(page(c, 200, html, WIDGET_HEADERS));
  });

  app.get("/assets/:name", (c) => {
    const asset = findAsset(c.req.param("name"));
    return asset ? sendAsset(c, asset) : c.notFound();
  });
}
