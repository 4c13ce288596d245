// GET /openapi.json and GET /docs: the OpenAPI 3.1 document generated from the route
// definitions, and the local Swagger UI page that renders it.
import fs from "node:fs";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/publish/app.ts";
import { DOCS_ASSETS, DOCS_CSP } from "../../src/publish/routes/docs.ts";
import type { Database } from "../../src/db/index.ts";
import { describeEachEngine, freshDatabase } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";

const ADMIN_TOKEN = "openapi-test-admin-token";

// Served but not API operations: the asset files of the pages. Everything else the app
// answers must be described in the document.
const NOT_IN_DOCUMENT = new Set([...Object.keys(DOCS_ASSETS).map((p) => `GET ${p}`), "GET /assets/{name}"]);

type Document = { openapi: string; info: Record<string, unknown>; servers?: unknown; paths: Record<string, Record<string, any>> };

/** `METHOD /path/{param}` of every route handler registered on a fresh app. */
function servedRoutes(db: Parameters<typeof createApp>[0]["db"]): Set<string> {
  const app = createApp({
    db,
    signer: testSigner,
    events: { subscribe: () => () => {}, close: async () => {} },
    adminToken: ADMIN_TOKEN,
    log: () => {},
  });
  return new Set(
    app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}")}`),
  );
}

function documentedOperations(doc: Document): Set<string> {
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  return new Set(
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => methods.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
}

function served(ctx: { readonly database: Parameters<typeof serveForTest>[0] }) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await serveForTest(ctx.database, { adminToken: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return () => server!.url;
}

describeEachEngine("GET /openapi.json: the OpenAPI 3.1 document generated from the route definitions", (ctx) => {
  const base = served(ctx);
  let doc: Document;
  beforeAll(async () => {
    const res = await fetch(`${base()}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    doc = (await res.json()) as Document;
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? "" : compileErrors(result)).toBe("");
  });

  it("is built once: the same ETag each time, and a revalidation is a 304", async () => {
    const first = await fetch(`${base()}/openapi.json`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await fetch(`${base()}/openapi.json`, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
  });

  it("has info (title, version, description) and no absolute servers", () => {
    expect(doc.info).toMatchObject({ title: "Ciyuan", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(String(doc.info.description)).toMatch(/CNY per 1M tokens/);
    expect(doc.servers).toBeUndefined();
  });

  it("lists every route the app serves, and nothing it does not serve", () => {
    const routes = servedRoutes(ctx.db);
    const documented = documentedOperations(doc);
    const undocumented = [...routes].filter((r) => !documented.has(r) && !NOT_IN_DOCUMENT.has(r));
    const phantom = [...documented].filter((op) => !routes.has(op));
    expect(undocumented).toEqual([]);
    expect(phantom).toEqual([]);
    for (const op of [
      "GET /v1/indices",
      "GET /v1/indices/{code}/latest",
      "GET /v1/indices/{code}/fixings",
      "GET /v1/indices/{code}/fixings/{fixing_time}",
      "GET /openapi.json",
      "GET /docs",
      "GET /health",
      "GET /v1/status",
      "GET /metrics",
      "POST /v1/admin/prices/approve",
      "POST /v1/admin/indices/{code}/fixings/{fixing_time}/restate",
    ]) {
      expect(documented).toContain(op);
    }
  });

  it("names the bearer token on every operator route", () => {
    expect((doc as any).components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        if (path.startsWith("/v1/admin/")) {
          expect(op.security, path).toEqual([{ adminToken: [] }]);
          expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(["400", "401", "404"]));
        } else if (path === "/v1/contributions") {
          // The contributions audit trail is an operator route outside /v1/admin.
          expect(op.security, path).toEqual([{ adminToken: [] }]);
        } else if (path.startsWith("/v1/contributions/")) {
          expect(op.security, path).toEqual([{ contributorToken: [] }]);
        } else {
          expect(op.security, path).toBeUndefined();
        }
      }
    }
  });

  it("describes request bodies from the zod schemas that validate them", () => {
    const approve = doc.paths["/v1/admin/prices/approve"]!.post;
    expect(approve.requestBody.required).toBe(true);
    const restate = doc.paths["/v1/admin/indices/{code}/fixings/{fixing_time}/restate"]!.post;
    expect(Object.keys(restate.responses)).toContain("201");
    expect(doc.paths["/health"]!.get.responses["503"]).toBeDefined();
  });
});

describeEachEngine("GET /docs: a page that renders the document, served locally (no CDN, no inline script)", (ctx) => {
  const base = served(ctx);

  it("is an HTML page whose scripts and styles all come from this service", async () => {
    const res = await fetch(`${base()}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/docs\/[^"]+"/);
      expect(body!.trim()).toBe("");
    }
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.sort()).toEqual(Object.keys(DOCS_ASSETS).sort());
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("sends a strict Content-Security-Policy: scripts from 'self' only", async () => {
    const res = await fetch(`${base()}/docs`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval/);
  });

  it("serves swagger-ui-bundle.js, swagger-ui.css and the init script with their content types", async () => {
    const expected: Record<string, RegExp> = {
      "/docs/swagger-ui-bundle.js": /^text\/javascript/,
      "/docs/swagger-ui.css": /^text\/css/,
      "/docs/init.js": /^text\/javascript/,
      "/docs/favicon-32x32.png": /^image\/png$/,
    };
    for (const [path, type] of Object.entries(expected)) {
      const res = await fetch(`${base()}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(type);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const text = path.endsWith(".png") ? "" : await res.text();
      if (path.endsWith("bundle.js")) expect(text).toMatch(/SwaggerUIBundle/);
      if (path.endsWith("init.js")) expect(text).toMatch(/url: "\/openapi\.json"/);
      if (path.endsWith(".css")) expect(text).toMatch(/\.swagger-ui/);
    }
  });

  it("answers a revalidation of an asset with 304", async () => {
    const first = await fetch(`${base()}/docs/swagger-ui.css`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await fetch(`${base()}/docs/swagger-ui.css`, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
  });
});

// A real browser under the page's CSP: the UI loads the document and lists the operations.
// The page does not depend on the database engine, so one engine is enough here.
const CHROMIUM = "/usr/bin/chromium";
describe.runIf(fs.existsSync(CHROMIUM))("GET /docs in a browser: Swagger UI renders every operation under the CSP", () => {
  let database: Database | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    database = await freshDatabase("pglite");
    server = await serveForTest(database, { adminToken: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("shows the operations and reports no CSP violation, failed load or script error", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("response", (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${server!.url}/docs`);
      await page.waitForSelector(".opblock-summary-path", { timeout: 30_000 });
      const paths = await page.$$eval(".opblock-summary-path", (els) => els.map((e) => e.getAttribute("data-path")));
      expect(paths).toEqual(expect.arrayContaining(["/v1/indices", "/health", "/v1/admin/prices/approve"]));
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
