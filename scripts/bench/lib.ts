/**
 * What the benches share: a scratch directory removed at the end (also on Ctrl-C), the
 * databases they run on (a PGlite data directory of their own, a throw-away database on a
 * Postgres server), the `ciyuan` command run as a child process with its wall time and the
 * peak RSS of its whole process tree, and the report: measured value, baseline, ratio,
 * target, PASS/FAIL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { sql } from "drizzle-orm";
import { openDatabase, type Database } from "../../src/db/index.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "src/cli/bin.js");

// ---------------------------------------------------------------- cleanup and scratch space

const cleanups: (() => Promise<void> | void)[] = [];
const children = new Set<ChildProcess>();

/** Registers a cleanup; they run last-registered first, at the end or on a signal. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up...\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

/** Runs a bench's main, then the cleanups, whatever happens; exit 1 on an error. */
export function runMain(main: () => Promise<void>): void {
  main()
    .then(runCleanups, async (err: unknown) => {
      console.error(err);
      await runCleanups();
      process.exitCode = 1;
    })
    .catch(() => {});
}

/** A directory under os.tmpdir(), removed at the end. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------- arguments

export type EngineName = "pglite" | "postgres";

export type CommonArgs = { engines: EngineName[]; serverUrl: string | undefined; seed: string; small: boolean; strict: boolean };

/** `--engine pglite|postgres|both` (default: PGlite, and Postgres when DATABASE_URL or
 * TEST_DATABASE_URL is set), `--seed`, `--small` (a quick check of the script, not the
 * issue's size), `--strict` (exit 1 when a figure misses its target) plus the bench's own
 * options. */
export function parseBenchArgs(
  options: Record<string, { type: "string"; default: string } | { type: "boolean"; default: boolean }>,
): { common: CommonArgs; values: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    options: {
      engine: { type: "string" },
      seed: { type: "string", default: "ciyuan-bench-1" },
      small: { type: "boolean", default: false },
      strict: { type: "boolean", default: false },
      ...options,
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const serverUrl = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
  const engine = (v.engine as string | undefined) ?? (serverUrl ? "both" : "pglite");
  const engines: EngineName[] = engine === "both" ? ["postgres", "pglite"] : engine === "pglite" || engine === "postgres" ? [engine] : [];
  if (!engines.length) throw new Error(`--engine: expected pglite, postgres or both, got ${engine}`);
  if (engines.includes("postgres") && !serverUrl) throw new Error("--engine postgres needs DATABASE_URL or TEST_DATABASE_URL (postgres://...)");
  return { common: { engines, serverUrl, seed: v.seed as string, small: v.small === true, strict: v.strict === true }, values: v };
}

export function intArg(values: Record<string, unknown>, name: string, lo: number, hi: number): number {
  const raw = String(values[name]);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${name}: expected an integer in ${lo}..${hi}, got ${raw}`);
  return n;
}

// ---------------------------------------------------------------- databases

/** One database the bench runs the product on: in-process (open) or through the CLI (env). */
export type Target = {
  engine: EngineName;
  label: string;
  /** The environment of a `ciyuan` child process on this database. */
  env: NodeJS.ProcessEnv;
  /** PGlite: the data directory (CIYUAN_DATA_DIR); Postgres: the database's URL. */
  location: string;
  /** Opens it in this process. PGlite: never while a `ciyuan` child has it open. */
  open(): Promise<Database>;
  /** pg_database_size; on PGlite through `open` (a Database already open, or opened for it). */
  databaseBytes(open?: Database): Promise<number>;
  /** PGlite: bytes of the files under the data directory, pg_wal left out; Postgres: null. */
  dirBytes(): number | null;
  /** A copy of this database (Postgres: CREATE DATABASE ... TEMPLATE; PGlite: the
   * directory copied). Nothing may have it open. */
  clone(label: string): Promise<Target>;
};

/** One signing key for every child of the run, so no key file is generated anywhere. */
const SIGNING_KEY = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn", CIYUAN_SIGNING_KEY: SIGNING_KEY, ...extra };
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  delete env.NODE_OPTIONS;
  return env;
}

/** Bytes of the files under dir, WAL (pg_wal) left out: its segments are recycled, so a
 * checkpoint in the middle of a measurement would show as a shrink of 100 MB or more. */
function dirSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const parent = entry.parentPath ?? (entry as unknown as { path: string }).path;
    if (parent.split(path.sep).includes("pg_wal")) continue;
    try {
      total += fs.statSync(path.join(parent, entry.name)).size;
    } catch {
      // removed while we walked
    }
  }
  return total;
}

async function sizeInside(database: Database): Promise<number> {
  const result = (await database.db.execute(sql`SELECT pg_database_size(current_database())::text AS n`)) as unknown as { rows: { n: string }[] };
  return Number(result.rows[0]!.n);
}

function pgliteTarget(dir: string, label: string): Target {
  fs.mkdirSync(dir, { recursive: true });
  const target: Target = {
    engine: "pglite",
    label,
    env: childEnv({ CIYUAN_DATA_DIR: dir }),
    location: dir,
    open: () => openDatabase({ dataDir: dir }),
    async databaseBytes(open) {
      if (open) return sizeInside(open);
      const database = await target.open();
      try {
        return await sizeInside(database);
      } finally {
        await database.close();
      }
    },
    dirBytes: () => dirSize(dir),
    async clone(cloneLabel) {
      const copy = `${dir}-${cloneLabel}`;
      fs.cpSync(dir, copy, { recursive: true });
      return pgliteTarget(copy, `${label}/${cloneLabel}`);
    },
  };
  return target;
}

/** A PGlite data directory of its own under `scratch`. */
export function pgliteDatabase(scratch: string, label: string): Target {
  return pgliteTarget(path.join(scratch, `pglite-${label}`), label);
}

export function withDatabaseName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function postgresTarget(serverUrl: string, scratch: string, label: string, template?: string): Promise<Target> {
  const name = `ciyuan_bench_${randomBytes(5).toString("hex")}`;
  await admin(serverUrl, async (c) => {
    // A template must have no other sessions; autovacuum may hold one for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
        return;
      } catch (err) {
        if (!template || attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  onCleanup(() => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
  const url = withDatabaseName(serverUrl, name);
  const home = path.join(scratch, `home-${name}`);
  fs.mkdirSync(home, { recursive: true });
  return {
    engine: "postgres",
    label,
    env: childEnv({ DATABASE_URL: url, CIYUAN_DATA_DIR: home }),
    location: url,
    open: () => openDatabase({ databaseUrl: url }),
    databaseBytes: () => admin(serverUrl, async (c) => Number((await c.query<{ n: string }>("SELECT pg_database_size($1)::text AS n", [name])).rows[0]!.n)),
    dirBytes: () => null,
    clone: (cloneLabel) => postgresTarget(serverUrl, scratch, `${label}/${cloneLabel}`, name),
  };
}

/** A fresh database, dropped (Postgres) or removed (PGlite) at the end. */
export async function freshDatabase(engine: EngineName, common: CommonArgs, scratch: string, label: string): Promise<Target> {
  if (engine === "pglite") return pgliteDatabase(scratch, label);
  return postgresTarget(common.serverUrl!, scratch, label);
}

export function engineTitle(engine: EngineName, common: CommonArgs): string {
  if (engine === "pglite") return "PGlite (embedded, data directory under os.tmpdir())";
  const url = new URL(common.serverUrl!);
  return `Postgres (fresh databases on ${url.hostname}:${url.port || 5432})`;
}

/** Runs `fn` inside a transaction with the settings the baseline (and a fixing) may use. */
export async function inTuned<T>(database: Database, fn: (run: <R>(query: ReturnType<typeof sql>) => Promise<R[]>) => Promise<T>): Promise<T> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL jit = off`);
    await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
    return fn(async <R>(query: ReturnType<typeof sql>) => ((await tx.execute(query)) as unknown as { rows: R[] }).rows);
  });
}

export async function query<R>(database: Database, q: ReturnType<typeof sql>): Promise<R[]> {
  return ((await database.db.execute(q)) as unknown as { rows: R[] }).rows;
}

// ---------------------------------------------------------------- child processes

export type Run = {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  /** Peak of the summed VmRSS of the process and its descendants, sampled every ~20 ms,
   * and never below any of those processes' own VmHWM (kernel-recorded peak). */
  peakRssBytes: number;
  stdout: string;
  stderr: string;
};

function readStatus(pid: number): { rss: number; hwm: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** The process and all its descendants (children listed per thread by the kernel). */
function processTree(root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
        if (kids) for (const k of kids.split(/\s+/)) stack.push(Number(k));
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** Runs a command, timing it from spawn to exit and sampling its process tree's RSS. */
export async function runProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string; keepStdout?: boolean; sampleMs?: number } = {},
): Promise<Run> {
  const start = performance.now();
  const child = spawn(command, args, { env: opts.env ?? process.env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const pid = child.pid!;
  let peak = 0;
  const hwm = new Map<number, number>();
  const sample = () => {
    let sum = 0;
    for (const p of processTree(pid)) {
      const s = readStatus(p);
      if (!s) continue;
      sum += s.rss;
      hwm.set(p, Math.max(hwm.get(p) ?? 0, s.hwm));
    }
    peak = Math.max(peak, sum);
  };
  sample();
  const timer = setInterval(sample, opts.sampleMs ?? 20);
  const out: Buffer[] = [];
  let outBytes = 0;
  const err: Buffer[] = [];
  child.stdout!.on("data", (b: Buffer) => {
    outBytes += b.length;
    if (opts.keepStdout !== false && outBytes <= 256 << 20) out.push(b);
  });
  child.stderr!.on("data", (b: Buffer) => err.push(b));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c, s) => resolve([c, s]));
  });
  const ms = performance.now() - start;
  clearInterval(timer);
  children.delete(child);
  return {
    code,
    signal,
    ms,
    peakRssBytes: Math.max(peak, ...hwm.values()),
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
  };
}

/** `ciyuan ARGS` (node src/cli/bin.js) on the target's database; throws unless it exits 0. */
export async function ciyuan(target: Target, args: string[], opts: { keepStdout?: boolean; allowFailure?: boolean } = {}): Promise<Run> {
  const run = await runProcess(process.execPath, [CLI, ...args], { env: target.env, keepStdout: opts.keepStdout });
  if (run.code !== 0 && !opts.allowFailure) {
    const tail = run.stderr.trim().split("\n").slice(-10).join("\n");
    throw new Error(`ciyuan ${args.join(" ")} (${target.label}) exited ${run.code ?? run.signal}:\n${tail}`);
  }
  return run;
}

/** Plain `node -e ''`: what any Node process costs here, the start-up baseline. */
export function bareNode(): Promise<Run> {
  return runProcess(process.execPath, ["-e", ""], { env: childEnv({}) });
}

/** `psql` against a Postgres URL; throws unless it exits 0. */
export async function psql(url: string, command: string): Promise<Run> {
  const run = await runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command]);
  if (run.code !== 0) throw new Error(`psql -c ${command}: exited ${run.code}: ${run.stderr.trim()}`);
  return run;
}

// ---------------------------------------------------------------- numbers

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export function median(xs: number[]): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A time budget for repeated runs: today's slow code must not turn a bench into an hour. */
export class Budget {
  private readonly end: number;

  constructor(readonly seconds: number) {
    this.end = performance.now() + seconds * 1000;
  }

  left(): number {
    return (this.end - performance.now()) / 1000;
  }

  exhausted(): boolean {
    return this.left() <= 0;
  }
}

/** Runs fn `n` times in a row; the median of their milliseconds. */
export async function medianMs(n: number, fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push((await timed(fn)).ms);
  return median(xs);
}

export const MB = 2 ** 20;

export function ms(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x >= 100 ? 0 : 1)} ms`;
}

export function mb(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  return `${(bytes / MB).toFixed(Math.abs(bytes) >= 10 * MB ? 0 : 2)} MB`;
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return `${x.toFixed(x >= 10 ? 1 : 2)}x`;
}

export function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

// ---------------------------------------------------------------- the report

export type Figure = {
  /** What is measured, e.g. "one fixing / GROUP BY scan of W(T)". */
  name: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  /** null: reported for information, no target. */
  pass: boolean | null;
};

export class Report {
  private readonly blocks: { title: string; figures: Figure[]; notes: string[] }[] = [];

  constructor(private readonly heading: string) {}

  block(title: string): { figure(f: Figure): void; note(line: string): void } {
    const b = { title, figures: [] as Figure[], notes: [] as string[] };
    this.blocks.push(b);
    return {
      figure: (f) => {
        b.figures.push(f);
        process.stderr.write(`  -> ${f.name}: ${f.measured} vs ${f.baseline} = ${f.ratio} (target ${f.target}) ${verdict(f.pass)}\n`);
      },
      note: (line) => b.notes.push(line),
    };
  }

  print(): void {
    const head: Figure = { name: "figure", measured: "measured", baseline: "baseline", ratio: "ratio", target: "target", pass: null };
    const lines = [this.heading];
    for (const b of this.blocks) {
      lines.push("", `== ${b.title}`);
      for (const n of b.notes) lines.push(`   ${n}`);
      const rows = [head, ...b.figures];
      const w = (k: keyof Omit<Figure, "pass">) => Math.max(...rows.map((r) => r[k].length));
      const widths = { name: w("name"), measured: w("measured"), baseline: w("baseline"), ratio: w("ratio"), target: w("target") };
      for (const [i, r] of rows.entries()) {
        lines.push(
          `   ${r.name.padEnd(widths.name)}  ${r.measured.padStart(widths.measured)}  ${r.baseline.padStart(widths.baseline)}  ` +
            `${r.ratio.padStart(widths.ratio)}  ${r.target.padEnd(widths.target)}  ${i === 0 ? "" : verdict(r.pass)}`.trimEnd(),
        );
      }
    }
    console.log(lines.join("\n"));
  }

  failed(): boolean {
    return this.blocks.some((b) => b.figures.some((f) => f.pass === false));
  }
}

function verdict(pass: boolean | null): string {
  return pass === null ? "info" : pass ? "PASS" : "FAIL";
}

export const INFO = { baseline: "", ratio: "", target: "", pass: null } as const;
