/**
 * The HTTP drill of issue 11: fuzzed requests (the generator of test/publish/fuzz.test.ts,
 * test/publish/fuzz-requests.ts) against the real service on a seeded database, and not one
 * 5xx, not one request left without an answer, not one failure logged as unexpected, every
 * JSON error exactly {"error":{"code","message"}} on one line. Prints a summary; exits 1 on
 * any of those.
 *
 *   node --import tsx scripts/drill-http.ts [--count 10000] [--seed 20261001]
 *
 * The requests: first the fixed sweep (every path and query parameter of every route, one
 * nasty value at a time), then random requests, three on the routes the service describes
 * (adversarial parameters and headers, ETags it answered replayed in If-None-Match) to one on
 * random paths, generated in batches so later ones can send the ETags earlier ones got.
 * On a fresh in-memory PGlite database, or on the database of DATABASE_URL when it is set
 * (it is seeded with the fuzz test's fixings: give it a fresh scratch database).
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { migrate, openDatabase } from "../src/db/index.ts";
import { createApp } from "../src/publish/app.ts";
import { addFx, addSheet } from "../test/support/seed.ts";
import { serveForTest, testSigner } from "../test/support/serve.ts";
import { headers, randomPath, request, routeCatalogue, sweep, templatePath, type OpenApiDocument } from "../test/publish/fuzz-requests.ts";
import { rawRequest, type RawAnswer, type RawRequest } from "../test/publish/raw-request.ts";
import { seedHistory } from "../test/publish/seed.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, seed: { type: "string", default: "20261001" } } });
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) throw new Error("--count and --seed take integers");
const ADMIN_TOKEN = "drill-admin-token-0123456789";
const BATCH = 250;

/** Why an answer breaks the drill's rules, or null. */
function problemOf(req: RawRequest, answer: RawAnswer): string | null {
  if (healthDown(req, answer)) return null; // its own body, not an error's
  if (answer.status >= 500) return `a ${answer.status}`;
  const type = String(answer.headers["content-type"] ?? "");
  if (answer.status < 400 || !type.startsWith("application/json") || req.method === "HEAD") return null;
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString("utf8"));
  } catch {
    return "an error answer that is not JSON";
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  const shaped =
    body !== null &&
    typeof body === "object" &&
    Object.keys(body).join() === "error" &&
    error !== undefined &&
    Object.keys(error).join() === "code,message" &&
    typeof error.code === "string" &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    !/[\r\n]/.test(error.message);
  return shaped ? null : 'an error body that is not exactly {"error":{"code","message"}} with a one-line message';
}

/** GET /health answers 503 by design while the service is down (no final fixing due today). */
function healthDown(req: RawRequest, answer: RawAnswer): boolean {
  if (answer.status !== 503) return false;
  let path: string;
  try {
    path = new URL(req.target, "http://localhost").pathname;
  } catch {
    return false;
  }
  if (!/^\/health\/?$/.test(path)) return false;
  if (req.method === "HEAD") return true;
  try {
    return (JSON.parse(answer.body.toString("utf8")) as { status?: unknown }).status === "down";
  } catch {
    return false;
  }
}

const databaseUrl = process.env.DATABASE_URL || undefined;
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: ":memory:" });
const engine = databaseUrl ? `postgres (${new URL(databaseUrl).pathname.slice(1)})` : "pglite (in memory)";
let failed = true;
try {
  await migrate(database);
  // What test/publish/fuzz.test.ts serves: the published history, FX and two sheets.
  await seedHistory(database.db);
  await addFx(database.db, "USD", "7.1", "2026-09-01T00:00:00Z");
  await addSheet(database.db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [{ model: "deepseek-chat", input: "2", cached_input: "0.5", output: "8" }] });
  await addSheet(database.db, { provider: "moonshot", as_of: "2026-09-02T00:00:00Z", currency: "USD", models: [{ model: "kimi-k2", input: "0.6", output: "2.5" }] });
  const server = await serveForTest(database, { adminToken: ADMIN_TOKEN });
  const started = performance.now();
  try {
    // The routes as the service describes them: its OpenAPI document and its router.
    const app = createApp({ db: database.db, signer: testSigner, events: { subscribe: () => () => undefined, close: async () => undefined }, adminToken: ADMIN_TOKEN, log: () => undefined });
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
    const routes = routeCatalogue(doc, app.routes);
    process.stderr.write(`drill-http: ${count} requests, seed ${seed}, ${routes.length} routes, on ${engine}\n`);

    const etags: string[] = [];
    const hdrs = headers(() => etags, ADMIN_TOKEN);
    const arb = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...routes).chain((route) => request(templatePath(route), route, hdrs, ADMIN_TOKEN)) },
      { weight: 1, arbitrary: request(randomPath, null, hdrs, ADMIN_TOKEN) },
    );
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    let sent = 0;
    let fiveXx = 0;
    let noAnswer = 0;
    let unexpected = 0;
    let badBodies = 0;
    let healthDownAnswers = 0;

    const exchange = async (req: RawRequest) => {
      sent++;
      let answer: RawAnswer;
      try {
        answer = await rawRequest(server.url, req);
      } catch (err) {
        noAnswer++;
        if (problems.length < 20) problems.push(`no answer: ${req.method} ${req.target.slice(0, 200)}: ${(err as Error).message}`);
        return;
      }
      // A stream cut by the client ends on the server a moment later: its log lines belong here.
      if (answer.eventStream) await new Promise((resolve) => setTimeout(resolve, 20));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const logged = server.unexpected.splice(0);
      if (logged.length > 0) {
        unexpected++;
        if (problems.length < 20) problems.push(`logged as unexpected: ${req.method} ${req.target.slice(0, 200)}: ${logged.join(" | ").slice(0, 300)}`);
      }
      if (healthDown(req, answer)) healthDownAnswers++;
      const problem = problemOf(req, answer);
      if (problem) {
        if (answer.status >= 500) fiveXx++;
        else badBodies++;
        if (problems.length < 20) problems.push(`${problem}: ${req.method} ${req.target.slice(0, 200)} -> ${answer.status} ${answer.body.toString("utf8").slice(0, 200)}`);
      }
      const etag = answer.headers.etag;
      if (answer.status === 200 && typeof etag === "string" && !etags.includes(etag) && etags.length < 200) etags.push(etag);
    };

    for (const req of sweep(routes).slice(0, count)) await exchange(req);
    for (let batch = 0; sent < count; batch++) {
      for (const req of fc.sample(arb, { numRuns: Math.min(BATCH, count - sent), seed: seed + batch })) await exchange(req);
      if (sent % 1000 < BATCH && sent < count) process.stderr.write(`  ${sent} requests\n`);
    }
    // Still serving after all of it.
    const last = await rawRequest(server.url, { method: "GET", target: "/v1/indices/CTPI/latest", headers: {} });
    const stillServing = last.status === 200;

    const seconds = (performance.now() - started) / 1000;
    console.log(`drill-http on ${engine}, seed ${seed}`);
    console.log(`requests         ${sent} (sweep ${Math.min(sweep(routes).length, count)}, random ${sent - Math.min(sweep(routes).length, count)}) over ${routes.length} routes`);
    console.log(`by status        ${[...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(", ")}`);
    if (healthDownAnswers > 0) console.log(`                 (${healthDownAnswers} of them GET /health's 503 "down", by design: not counted as 5xx)`);
    console.log(`5xx              ${fiveXx}`);
    console.log(`crashes          ${noAnswer + unexpected} (no answer ${noAnswer}, failures logged as unexpected ${unexpected})`);
    console.log(`malformed errors ${badBodies}`);
    console.log(`still serving    ${stillServing ? "yes" : `no (${last.status})`}`);
    console.log(`seconds          ${seconds.toFixed(1)}`);
    if (problems.length > 0) console.log("first problems:", ...problems.map((p) => `\n  ${p}`));
    failed = fiveXx + noAnswer + unexpected + badBodies > 0 || !stillServing;
  } finally {
    await server.close();
  }
} finally {
  await database.close();
}
process.exitCode = failed ? 1 : 0;
