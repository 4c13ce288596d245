/**
 * Property-based: whatever a client sends to whatever route the service has, the answer is
 * 200, 304, 400 or 404 (401 on operator routes, 405 for a method a route refuses, 204 to a
 * CORS preflight), never a 5xx; a JSON error is exactly {"error":{"code","message"}} with
 * a one-line message; nothing is logged as unexpected. Routes come from the service itself
 * (its OpenAPI document and its router), so new routes are covered without being named.
 *
 * Reproduce a failure with the seed printed in it: CIYUAN_FUZZ_SEED=<seed>.
 * More runs: CIYUAN_FUZZ_SCALE=10.
 */
import fc from "fast-check";
import { LosslessNumber, parse } from "lossless-json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/publish/app.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet } from "../support/seed.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import {
  headers,
  randomPath,
  request,
  routeCatalogue,
  sweep,
  templatePath,
  type OpenApiDocument,
  type RouteTemplate,
} from "./fuzz-requests.ts";
import { rawRequest, type RawAnswer, type RawRequest } from "./raw-request.ts";
import { seedHistory } from "./seed.ts";

const SEED = Number(process.env.CIYUAN_FUZZ_SEED ?? 20261001);
const SCALE = Number(process.env.CIYUAN_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const ADMIN_TOKEN = "fuzz-admin-token-0123456789";

/** The service's own account of its routes: /openapi.json when served, else the app's. */
async function describedRoutes(base: string, deps: Parameters<typeof createApp>[0]): Promise<RouteTemplate[]> {
  const app = createApp(deps);
  const served = await fetch(`${base}/openapi.json`);
  const doc: OpenApiDocument =
    served.status === 200
      ? ((await served.json()) as OpenApiDocument)
      : (app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "ciyuan", version: "fuzz" } }) as OpenApiDocument);
  return routeCatalogue(doc, app.routes);
}

/** The decoded path, for deciding which statuses a route may answer. */
function decodedPath(target: string): string {
  const path = target.split(/[?#]/)[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * GET /health answers 503 by design when the service is down (the seeded history has no
 * final fixing due today), with its own body: the one 5xx that is an answer, not a failure.
 */
function healthDown(req: RawRequest, answer: RawAnswer): boolean {
  if (answer.status !== 503) return false;
  let path: string;
  try {
    path = new URL(req.target, "http://localhost").pathname; // as the server resolves it: /%2E/health is /health
  } catch {
    return false;
  }
  if (!/^\/health\/?$/.test(path)) return false;
  if (req.method === "HEAD") return true;
  try {
    const body = JSON.parse(answer.body.toString("utf8")) as { status?: unknown; checks?: unknown };
    return body.status === "down" && typeof body.checks === "object";
  } catch {
    return false;
  }
}

function allowedStatuses(req: RawRequest): Set<number> {
  const allowed = new Set([200, 304, 400, 404, 405]);
  const path = decodedPath(req.target).toLowerCase();
  // Operator routes, the contributions audit trail and contributors' submissions need a token.
  if (path.startsWith("/v1/admin") || path.startsWith("/v1/contributions")) allowed.add(401);
  if (req.method === "OPTIONS") allowed.add(204);
  return allowed;
}

function describeExchange(req: RawRequest, answer: RawAnswer): string {
  const text = answer.body.toString("utf8");
  return [
    `${req.method} ${req.target.length > 300 ? `${req.target.slice(0, 300)}... (${req.target.length} chars)` : req.target}`,
    `headers: ${JSON.stringify(req.headers).slice(0, 500)}`,
    `-> ${answer.status} ${answer.headers["content-type"] ?? ""}`,
    text.length > 500 ? `${text.slice(0, 500)}...` : text,
  ].join("\n  ");
}

/** The rules every answer keeps, whatever was asked. */
function checkAnswer(req: RawRequest, answer: RawAnswer, server: TestServer): void {
  const fail = (why: string) => {
    throw new Error(`${why}\n  ${describeExchange(req, answer)}`);
  };
  const unexpected = server.unexpected.splice(0);
  if (unexpected.length > 0) fail(`logged as unexpected: ${unexpected.join(" | ")}`);
  if (healthDown(req, answer)) return;
  if (answer.status >= 500) fail(`a ${answer.status}`);
  if (!allowedStatuses(req).has(answer.status)) fail(`status ${answer.status} is not one this request may get`);
  if ((req.method === "HEAD" || answer.status === 304 || answer.status === 204) && answer.body.length > 0) {
    fail("a body on an answer that must have none");
  }
  const type = String(answer.headers["content-type"] ?? "");
  const text = answer.body.toString("utf8");
  if (answer.status >= 400 && type.startsWith("application/json") && req.method !== "HEAD") {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      fail("an error answer that is not JSON");
    }
    const error = (body as { error?: Record<string, unknown> }).error;
    const shapeOk =
      body !== null &&
      typeof body === "object" &&
      Object.keys(body as object).join() === "error" &&
      error !== undefined &&
      Object.keys(error).join() === "code,message" &&
      typeof error.code === "string" &&
      error.code.length > 0 &&
      typeof error.message === "string" &&
      error.message.length > 0;
    if (!shapeOk) fail('an error body that is not exactly {"error":{"code","message"}}');
    if (/[\r\n]/.test((error as { message: string }).message)) fail("an error message of more than one line");
  }
  if (answer.status === 200 && type.startsWith("application/json") && req.method !== "HEAD") {
    try {
      parse(text, null, (n) => new LosslessNumber(n));
    } catch {
      fail("a 200 JSON answer that does not parse");
    }
  }
}

describeEachEngine("publish: any request gets 200/304/400/404, never a 5xx, errors in one shape", (ctx) => {
  let server: TestServer;
  let routes: RouteTemplate[];
  const etags: string[] = [];
  const knownEtags = () => etags;
  const errors: string[] = [];
  const statuses = new Set<number>();

  beforeAll(async () => {
    await seedHistory(ctx.db);
    // Price sheets for the models seen in the seeded fixings, in CNY and USD, so price
    // routes read real rows.
    await addFx(ctx.db, "USD", "7.1", "2026-09-01T00:00:00Z");
    await addSheet(ctx.db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [{ model: "deepseek-chat", input: "2", cached_input: "0.5", output: "8" }] });
    await addSheet(ctx.db, { provider: "moonshot", as_of: "2026-09-02T00:00:00Z", currency: "USD", models: [{ model: "kimi-k2", input: "0.6", output: "2.5" }] });
    server = await serveForTest(ctx.database, { adminToken: ADMIN_TOKEN });
    routes = await describedRoutes(server.url, {
      db: ctx.db,
      signer: testSigner,
      events: { subscribe: () => () => undefined, close: async () => undefined },
      adminToken: ADMIN_TOKEN,
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await server?.close();
    expect(errors).toEqual([]);
    expect(server?.unexpected ?? []).toEqual([]);
  });

  /** Sends the request, checks the answer, keeps its ETag for later conditionals. */
  async function exchange(req: RawRequest): Promise<RawAnswer> {
    const answer = await rawRequest(server.url, req);
    // A stream cut by the client ends on the server a moment later: whatever that logs
    // belongs to this request, not the next.
    if (answer.eventStream) await new Promise((resolve) => setTimeout(resolve, 20));
    checkAnswer(req, answer, server);
    statuses.add(answer.status);
    const etag = answer.headers.etag;
    if (answer.status === 200 && typeof etag === "string" && !etags.includes(etag) && etags.length < 200) etags.push(etag);
    return answer;
  }

  async function check(name: string, property: fc.IAsyncPropertyWithHooks<[RawRequest]>, numRuns: number): Promise<void> {
    const details = await fc.check(property, { numRuns, seed: SEED, endOnFailure: false });
    if (details.failed) {
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      const message = `${fc.defaultReportMessage(details) ?? "failed"}\n${cause}`;
      errors.push(`${name} [${ctx.engine}] seed ${SEED}`);
      throw new Error(`${name} [${ctx.engine}], seed ${SEED} (CIYUAN_FUZZ_SEED=${SEED}):\n${message}`);
    }
  }

  describe("never a 5xx for any request, error bodies exactly {\"error\":{\"code\",\"message\"}}", () => {
    it("finds the routes the service describes", () => {
      expect(routes.length).toBeGreaterThanOrEqual(4);
      expect(routes.map((r) => r.template)).toContain("/v1/indices/{code}/fixings/{fixing_time}");
    });

    it("paths of every described route, with adversarial path and query parameters and headers", async () => {
      const hdrs = headers(knownEtags, ADMIN_TOKEN);
      const arb = fc
        .constantFrom(...routes)
        .chain((route) => request(templatePath(route), route, hdrs, ADMIN_TOKEN));
      await check("described routes", fc.asyncProperty(arb, async (req) => void (await exchange(req))), runs(1300));
    }, 120_000);

    it("every path and query parameter of every route, one nasty value at a time (%00, %zz, long, ..)", async () => {
      const failures: string[] = [];
      for (const req of sweep(routes)) {
        try {
          await exchange(req);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
      expect(failures).toEqual([]);
    }, 120_000);

    it("fully random paths", async () => {
      const arb = request(randomPath, null, headers(knownEtags, ADMIN_TOKEN), ADMIN_TOKEN);
      await check("random paths", fc.asyncProperty(arb, async (req) => void (await exchange(req))), runs(400));
    }, 120_000);

    it("GET routes answer If-None-Match with 304, never 200 with the ETag that was sent", async () => {
      // Well-formed GETs first, so there are real ETags to send back.
      const plain = fc.constantFrom(...routes).chain((route) => request(templatePath(route), route, fc.constant({}), ADMIN_TOKEN));
      await check("plain requests", fc.asyncProperty(plain, async (req) => void (await exchange(req))), runs(150));
      const conditional = fc
        .tuple(fc.constantFrom(...routes), fc.nat(), fc.constantFrom("exact", "weak", "list", "star"))
        .chain(([route, i, form]) =>
          request(templatePath(route), route, fc.constant({}), ADMIN_TOKEN).map((req): RawRequest => {
            const etag = etags.length > 0 ? etags[i % etags.length]! : '"none"';
            const value = form === "exact" ? etag : form === "weak" ? `W/${etag.replace(/^W\//, "")}` : form === "list" ? `"x", ${etag}` : "*";
            return { ...req, method: i % 3 === 0 ? "HEAD" : "GET", headers: { "if-none-match": value } };
          }),
        );
      await check(
        "conditional requests",
        fc.asyncProperty(conditional, async (req) => {
          const answer = await exchange(req);
          const sent = req.headers["if-none-match"]!;
          if (answer.status === 200 && typeof answer.headers.etag === "string" && sent.includes(answer.headers.etag.replace(/^W\//, ""))) {
            throw new Error(`200 with the ETag ${answer.headers.etag} the request sent in If-None-Match: ${req.method} ${req.target}`);
          }
        }),
        runs(250),
      );
    }, 120_000);

    it("still serves normally after all of it, and the requests reached real answers of every kind", async () => {
      const answer = await exchange({ method: "GET", target: "/v1/indices/CTPI/latest", headers: {} });
      expect(answer.status).toBe(200);
      for (const status of [200, 304, 400, 404]) expect(statuses, `no ${status} seen`).toContain(status);
    });
  });
});
