/**
 * The outage drill of issue 11: Postgres stopped and started again while `ciyuan start`
 * serves, with a final fixing falling due while it is down. Asserts:
 *
 *   - during the outage, GET /v1/indices/CTPI/latest answers 503 with exactly
 *     {"error":{"code","message"}} and GET /health answers 503 with status "down", each
 *     within a few seconds (nothing hangs), and the process stays up;
 *   - the scheduler tried the final due during the outage (a logged failure after its time);
 *   - once Postgres is back, both answer 200 again by themselves (no restart of ciyuan),
 *     within --recover-within seconds;
 *   - the final due during the outage is then computed, once (revision 1, one row), after
 *     Postgres came back, and /latest serves it;
 *   - ciyuan stops cleanly on SIGTERM afterwards.
 *
 *   node --import tsx scripts/drill-outage.ts [--pg-port 54329] [--http-port 54330] [--outage 90] [--recover-within 30]
 *
 * It runs a PRIVATE Postgres cluster (initdb in a temporary directory, trust auth, the
 * given port, its socket in that directory; as the `postgres` user when run as root) and
 * never touches any other server; the cluster and directory are removed at the end. The
 * final is made to fall due during the outage with CIYUAN_CLOCK_OFFSET_MS (test-only, see
 * src/config.ts): the service's clock runs behind the machine's, so that the final time T
 * (08:00Z, 16:00 Asia/Shanghai) of the last day whose T has passed falls 20 s after the
 * stop. A first `ciyuan start` (clock at T - 30 min) loads the sample and backfills 60
 * days; the drilled one starts on that database with its clock at T - 75 s. Cron ticks
 * fire on the machine's minute, so an outage of 90 s always holds one after T. Prints the
 * timings; exits 1 on any failed assertion.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { generateKeyPem } from "../src/signing/index.ts";
import { CLI, ROOT, log, onCleanup, runMain, runProcess } from "./bench/lib.ts";

const { values } = parseArgs({
  options: {
    "pg-port": { type: "string", default: "54329" },
    "http-port": { type: "string", default: "54330" },
    outage: { type: "string", default: "90" },
    "recover-within": { type: "string", default: "30" },
    bin: { type: "string", default: "/usr/lib/postgresql/15/bin" },
  },
});
const PG_PORT = Number(values["pg-port"]);
const HTTP_PORT = Number(values["http-port"]);
const OUTAGE_S = Number(values.outage);
const RECOVER_S = Number(values["recover-within"]);
const BIN = values.bin;
if (OUTAGE_S < 70) throw new Error("--outage must be at least 70 s: a cron tick (every machine minute) must fall in it after T");
const INDEX = "CTPI";
const LEAD_S = 20; // the stop comes this long before T
const BASE = `http://127.0.0.1:${HTTP_PORT}`;

const failures: string[] = [];
const expect = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  log(`${ok ? "ok  " : "FAIL"} ${what}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- the private cluster

const asRoot = process.getuid?.() === 0;
/** Runs a Postgres tool as the cluster's owner (`postgres` when we are root: initdb refuses root). */
async function pgTool(tool: string, args: string[]): Promise<string> {
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
  const run = await runProcess(cmd, argv, { sampleMs: 1000 });
  if (run.code !== 0) throw new Error(`${tool} ${args.join(" ")}: exited ${run.code}: ${(run.stderr || run.stdout).trim()}`);
  return run.stdout;
}

class Cluster {
  readonly data: string;
  readonly socket: string;
  constructor(readonly dir: string) {
    this.data = path.join(dir, "data");
    this.socket = path.join(dir, "sock");
  }

  async init(): Promise<void> {
    fs.mkdirSync(this.socket, { recursive: true });
    if (asRoot) for (const d of [this.dir, this.socket]) fs.chownSync(d, uid("postgres"), gid("postgres"));
    await pgTool("initdb", ["-D", this.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
  }

  async start(): Promise<void> {
    const opts = `-p ${PG_PORT} -k ${this.socket} -c listen_addresses=127.0.0.1 -c max_connections=40 -c shared_buffers=32MB`;
    await pgTool("pg_ctl", ["start", "-w", "-t", "60", "-D", this.data, "-l", path.join(this.dir, "postgres.log"), "-o", opts]);
  }

  /** Immediate: the server's processes exit at once, no checkpoint, crash recovery on start. */
  async stopImmediate(): Promise<void> {
    await pgTool("pg_ctl", ["stop", "-w", "-D", this.data, "-m", "immediate"]);
  }

  async stopIfRunning(): Promise<void> {
    if (!fs.existsSync(path.join(this.data, "postmaster.pid"))) return;
    await pgTool("pg_ctl", ["stop", "-w", "-D", this.data, "-m", "fast"]).catch(() => {});
  }
}

function idOf(flag: "-u" | "-g", name: string): number {
  const out = fs.readFileSync(flag === "-u" ? "/etc/passwd" : "/etc/group", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  if (!out) throw new Error(`no ${flag === "-u" ? "user" : "group"} ${name}: run as a user that may run initdb, or create a postgres user`);
  return Number(out.split(":")[2]);
}
const uid = (name: string) => idOf("-u", name);
const gid = (name: string) => idOf("-g", name);

async function query<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, options: "-c TimeZone=UTC" });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- ciyuan start

type Service = { child: ChildProcess; lines: string[]; exited: Promise<number | null>; alive: () => boolean };

function startService(env: NodeJS.ProcessEnv, offsetMs: number): Service {
  const child = spawn(process.execPath, [CLI, "start", "--sample", "--port", String(HTTP_PORT)], {
    env: { ...env, CIYUAN_CLOCK_OFFSET_MS: String(offsetMs) },
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: string[] = [];
  let rest = "";
  child.stderr!.on("data", (b: Buffer) => {
    const parts = (rest + b.toString("utf8")).split("\n");
    rest = parts.pop()!;
    lines.push(...parts);
  });
  let running = true;
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => ((running = false), resolve(code))));
  onCleanup(async () => {
    if (!running) return;
    child.kill("SIGKILL");
    await exited;
  });
  return { child, lines, exited, alive: () => running };
}

async function stopService(s: Service): Promise<number | null> {
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 15_000);
  const code = await s.exited;
  clearTimeout(timer);
  return code;
}

type Answer = { status: number; body: unknown; ms: number; error?: string };

async function get(route: string, timeoutMs = 10_000): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(BASE + route, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text, and the shape checks fail on it
    }
    return { status: res.status, body, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, body: null, ms: performance.now() - started, error: err instanceof Error ? err.message : String(err) };
  }
}

async function waitServing(s: Service, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (!s.alive()) throw new Error(`ciyuan start exited: ${s.lines.slice(-5).join(" / ")}`);
    if (s.lines.some((l) => l.includes("serving on")) && (await get("/v1/indices", 2000)).status === 200) return performance.now() - started;
    await sleep(200);
  }
  throw new Error(`ciyuan start not serving after ${secs(timeoutMs)}: ${s.lines.slice(-5).join(" / ")}`);
}

/** Exactly {"error":{"code","message"}}, both strings, the message one line. */
function errorShaped(body: unknown): boolean {
  if (body === null || typeof body !== "object" || Object.keys(body).join() !== "error") return false;
  const e = (body as { error: unknown }).error;
  if (e === null || typeof e !== "object" || Object.keys(e).sort().join() !== "code,message") return false;
  const { code, message } = e as { code: unknown; message: unknown };
  return typeof code === "string" && typeof message === "string" && message.length > 0 && !/[\r\n]/.test(message);
}

const healthStatus = (body: unknown) => (body && typeof body === "object" ? (body as { status?: unknown }).status : undefined);
const fixingTimeOf = (body: unknown) => (body && typeof body === "object" ? (body as { fixing_time?: unknown }).fixing_time : undefined);

/** The last final fixing time (08:00Z) at least `marginMs` before the machine's now. */
function lastPassedFinal(marginMs: number): string {
  const d = new Date(Date.now() - marginMs);
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 8);
  if (t > d.getTime()) t -= 86_400_000;
  return new Date(t).toISOString().replace(".000Z", "Z");
}

// ---------------------------------------------------------------- the drill

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-drill-outage-"));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cluster = new Cluster(dir);
  await runProcess(process.execPath, [path.join(ROOT, "src/cli/build.js")]);
  log(`private cluster in ${dir}, port ${PG_PORT}`);
  await cluster.init();
  onCleanup(() => cluster.stopIfRunning());
  await cluster.start();
  const admin = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
  await query(admin, "CREATE DATABASE ciyuan");
  const version = (await query<{ server_version: string }>(admin, "SHOW server_version"))[0]!.server_version.split(" ")[0];
  const url = `postgres://postgres@127.0.0.1:${PG_PORT}/ciyuan`;
  const sourcesFile = path.join(dir, "sources.json");
  // No collectors: the drill is about the database, and offline sources only add noise.
  fs.writeFileSync(sourcesFile, JSON.stringify({ schema: "ciyuan.sources/1", sources: [] }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    CIYUAN_DATA_DIR: path.join(dir, "home"),
    CIYUAN_SIGNING_KEY: generateKeyPem(),
    CIYUAN_SOURCES: sourcesFile,
    LOG_LEVEL: "info",
  };
  delete env.NODE_OPTIONS;
  delete env.TEST_DATABASE_URL;

  const T = lastPassedFinal(10 * 60_000);
  const tMs = Date.parse(T);
  const dayBefore = new Date(tMs - 86_400_000).toISOString().replace(".000Z", "Z");

  // 1. Warm-up: the sample and 60 days of finals, with the clock at T - 30 min.
  const warm = startService(env, tMs - 30 * 60_000 - Date.now());
  const warmMs = await waitServing(warm, 600_000);
  log(`first start (sample, 60-day backfill) serving after ${secs(warmMs)}`);
  expect((await stopService(warm)) === 0, "the first ciyuan start stops cleanly on SIGTERM");
  const before = await query<{ t: string; n: number }>(url, "SELECT max(fixing_time)::text AS t, count(*)::int AS n FROM fixings WHERE index_code = $1 AND kind = 'final'", [INDEX]);
  log(`finals stored: ${before[0]!.n}, the latest at ${before[0]!.t}`);
  const atT = async () =>
    query<{ revision: number; status: string; computed_at: string; after: boolean }>(
      url,
      "SELECT revision, status, computed_at::text, computed_at > $3::timestamptz AS after FROM fixings WHERE index_code = $1 AND kind = 'final' AND fixing_time = $2::timestamptz ORDER BY revision",
      [INDEX, T, new Date(0).toISOString()],
    );
  expect((await atT()).length === 0, `no final at ${T} before the drill`);
  expect(
    (await query(url, "SELECT 1 FROM fixings WHERE index_code = $1 AND kind = 'final' AND fixing_time = $2::timestamptz", [INDEX, dayBefore])).length === 1,
    `the day before's final (${dayBefore}) is there`,
  );

  // 2. The drilled service, its clock at T - 75 s.
  const offset = tMs - 75_000 - Date.now();
  const service = startService(env, offset);
  const simNow = () => Date.now() + offset;
  const readyMs = await waitServing(service, 60_000);
  log(`second start serving after ${secs(readyMs)}; its clock reads ${new Date(simNow()).toISOString()}, T = ${T}`);
  const toStop = tMs - LEAD_S * 1000 - simNow();
  if (toStop < 1000) throw new Error(`the second start took ${secs(readyMs)}: too late to stop Postgres ${LEAD_S} s before T`);
  const latestBefore = await get(`/v1/indices/${INDEX}/latest`);
  expect(latestBefore.status === 200 && fixingTimeOf(latestBefore.body) === dayBefore, `before the outage /latest answers 200 with ${dayBefore} (${latestBefore.status}, ${String(fixingTimeOf(latestBefore.body))})`);
  const healthBefore = await get("/health");
  expect(healthBefore.status === 200, `before the outage /health answers 200 (${healthBefore.status}, ${String(healthStatus(healthBefore.body))})`);
  await sleep(toStop);

  // 3. The outage.
  const stopAt = performance.now();
  await cluster.stopImmediate();
  const logMark = service.lines.length;
  log(`Postgres stopped (immediate) at service time ${new Date(simNow()).toISOString()}, ${LEAD_S} s before T`);
  const polls = { latest: [] as Answer[], health: [] as Answer[] };
  await sleep(500);
  while (performance.now() - stopAt < OUTAGE_S * 1000) {
    const [l, h] = await Promise.all([get(`/v1/indices/${INDEX}/latest`), get("/health")]);
    polls.latest.push(l);
    polls.health.push(h);
    await sleep(1000);
  }
  const startedAgain = new Date();
  const startCalled = performance.now();
  await cluster.start();
  const restartAt = performance.now();
  log(`Postgres started again after ${secs(startCalled - stopAt)} down (pg_ctl start -w, crash recovery included: ${secs(restartAt - startCalled)})`);

  const badLatest = polls.latest.filter((a) => a.status !== 503 || !errorShaped(a.body));
  const badHealth = polls.health.filter((a) => a.status !== 503 || healthStatus(a.body) !== "down");
  const slowest = Math.max(...polls.latest.map((a) => a.ms), ...polls.health.map((a) => a.ms));
  const sample = (a: Answer | undefined) => (a ? `${a.status} ${a.error ?? JSON.stringify(a.body).slice(0, 160)}` : "none");
  expect(badLatest.length === 0, `during the outage /latest answered 503 {"error":{"code","message"}} ${polls.latest.length - badLatest.length}/${polls.latest.length} times (e.g. ${sample(polls.latest[0])}${badLatest.length ? `; wrong: ${sample(badLatest[0])}` : ""})`);
  expect(badHealth.length === 0, `during the outage /health answered 503 status "down" ${polls.health.length - badHealth.length}/${polls.health.length} times (e.g. ${sample(polls.health[0])}${badHealth.length ? `; wrong: ${sample(badHealth[0])}` : ""})`);
  expect(slowest < 5000, `every answer during the outage came within 5 s (slowest ${Math.round(slowest)} ms)`);
  expect(service.alive(), "ciyuan start stayed up through the outage");
  const failedTicks = service.lines
    .slice(logMark)
    .map((l) => {
      try {
        return JSON.parse(l) as { msg?: string; level?: number; at?: string };
      } catch {
        return {};
      }
    })
    // A tick fails at its first query: listing the indices ("cannot list indices"), or, when
    // that one got through, the final itself ("final fixing failed").
    .filter((l) => (l.level ?? 0) >= 50 && l.msg?.startsWith("schedule: ") && l.at !== undefined && Date.parse(l.at) >= tMs);
  expect(failedTicks.length > 0, `the scheduler tried the final due at ${T} during the outage and logged its failure (${failedTicks.length} time(s))`);

  // 4. Recovery, by itself.
  let recovered: number | null = null;
  let lastLatest: Answer | null = null;
  let lastHealth: Answer | null = null;
  while (performance.now() - restartAt < RECOVER_S * 1000) {
    [lastLatest, lastHealth] = await Promise.all([get(`/v1/indices/${INDEX}/latest`), get("/health")]);
    if (lastLatest.status === 200 && lastHealth.status === 200) {
      recovered = performance.now() - restartAt;
      break;
    }
    await sleep(250);
  }
  expect(recovered !== null, `after the restart /latest and /health answer 200 without restarting ciyuan${recovered !== null ? `, ${Math.round(recovered)} ms after Postgres accepted connections` : ` (last: ${sample(lastLatest ?? undefined)}; ${sample(lastHealth ?? undefined)})`}`);

  // 5. The final due during the outage, computed after it.
  let computedAfter: number | null = null;
  let rows: Awaited<ReturnType<typeof atT>> = [];
  while (performance.now() - restartAt < 120_000) {
    rows = await query(url, "SELECT revision, status, computed_at::text, computed_at > $3::timestamptz AS after FROM fixings WHERE index_code = $1 AND kind = 'final' AND fixing_time = $2::timestamptz ORDER BY revision", [INDEX, T, startedAgain.toISOString()]);
    if (rows.length > 0) {
      computedAfter = performance.now() - restartAt;
      break;
    }
    await sleep(500);
  }
  expect(computedAfter !== null, `the final due at ${T} is computed after the outage${computedAfter !== null ? `, ${secs(computedAfter)} after the restart` : " (not within 120 s)"}`);
  if (rows.length > 0) {
    expect(rows.length === 1 && rows[0]!.revision === 1, `it is stored once, revision 1 (${rows.length} row(s), status ${rows[0]!.status})`);
    expect(rows[0]!.after, `it was computed after Postgres came back (computed_at ${rows[0]!.computed_at})`);
  }
  await sleep(1500);
  const latestAfter = await get(`/v1/indices/${INDEX}/latest`);
  expect(latestAfter.status === 200 && fixingTimeOf(latestAfter.body) === T, `/latest then serves it (${latestAfter.status}, ${String(fixingTimeOf(latestAfter.body))})`);
  const healthAfter = await get("/health");
  expect(healthAfter.status === 200, `/health answers 200 (${String(healthStatus(healthAfter.body))})`);
  expect(service.alive(), "ciyuan start is still the same process");
  const code = await stopService(service);
  expect(code === 0, `ciyuan start stops cleanly on SIGTERM (exit ${code})`);

  console.log(
    [
      `drill-outage: Postgres ${version} (private cluster, port ${PG_PORT}) stopped -m immediate for ${secs(startCalled - stopAt)} while ciyuan start served (restart with crash recovery ${secs(restartAt - startCalled)}); final due at ${T} (${LEAD_S} s into the outage, service clock)`,
      `  during the outage: /latest ${polls.latest.length - badLatest.length}/${polls.latest.length} answers 503 with the error shape, /health ${polls.health.length - badHealth.length}/${polls.health.length} 503 "down"; slowest answer ${Math.round(slowest)} ms`,
      `  scheduler: ${failedTicks.length} failed attempt(s) at the due final during the outage, logged`,
      `  recovery: 200 from both ${recovered === null ? "NOT within " + RECOVER_S + " s" : `${Math.round(recovered)} ms`} after Postgres accepted connections again, without restarting ciyuan`,
      `  the due final: computed ${computedAfter === null ? "NOT within 120 s" : secs(computedAfter)} after the restart (next minute tick), ${rows.length} row(s), revision ${rows[0]?.revision ?? "-"}`,
      failures.length === 0 ? "PASS" : `FAIL: ${failures.length} assertion(s):\n${failures.map((f) => `  - ${f}`).join("\n")}`,
    ].join("\n"),
  );
  if (failures.length > 0) {
    const kept = path.join(os.tmpdir(), `ciyuan-drill-outage-${Date.now()}.log`);
    fs.writeFileSync(kept, service.lines.join("\n") + "\n");
    console.log(`the service's stderr is kept in ${kept}`);
    process.exitCode = 1;
  }
}

runMain(main);
