/**
 * The command line's start-up: a command's module (and through it the database drivers,
 * the engine, the HTTP service) is imported only when that command runs, and the compiled
 * build that `npm install` makes (src/cli/build.js) behaves as the TypeScript sources.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, freshBuild, type Manifest } from "../../src/cli/build.js";
import { ROOT, type CliResult } from "../support/cli.ts";
import { engineNames, freshCliEnv } from "../support/engines.ts";

const BIN = path.join(ROOT, "src/cli/bin.js");

const COMMANDS = [
  [],
  ["migrate"],
  ["import"],
  ["import", "prices"],
  ["import", "usage"],
  ["import", "fx"],
  ["fix"],
  ["backfill"],
  ["show"],
  ["verify"],
  ["prices"],
  ["prices", "held"],
  ["prices", "approve"],
  ["serve"],
  ["start"],
  ["collect"],
  ["restate"],
];

// What `--help` may load from src/: the command line's grammar and nothing behind it (the
// one parser of instants is part of the grammar: `--at` is checked on the command line).
const GRAMMAR = [
  "src/cli/bin.js",
  "src/cli/build.js",
  "src/cli/main.ts",
  "src/cli/commands.ts",
  "src/cli/args.ts",
  "src/cli/exit.ts",
  "src/errors.ts",
  "src/values/instant.ts",
];
// Packages no command that reads a fixing needs.
const SERVICE_PACKAGES = ["hono", "@hono/node-server", "@hono/zod-openapi", "pino", "axios", "node-cron", "prom-client", "swagger-ui-dist"];

const tmpDirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-startup-"));
  tmpDirs.push(d);
  return d;
};

// A resolve hook that writes the URL of every module imported, one a line, to a file.
let hooksDir: string;
// A build of our own, beside the real one (Node must find the packages left to it).
const cacheDir = path.join(ROOT, "node_modules/.cache", `ciyuan-test-${process.pid}-${randomBytes(4).toString("hex")}`);
let manifest: Manifest;

beforeAll(async () => {
  hooksDir = tmp();
  fs.writeFileSync(
    path.join(hooksDir, "hooks.mjs"),
    `import fs from "node:fs";
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  fs.appendFileSync(out, r.url + "\\n");
  return r;
}
`,
  );
  fs.writeFileSync(
    path.join(hooksDir, "register.mjs"),
    `import { register } from "node:module";
register(new URL("./hooks.mjs", import.meta.url), { data: { out: process.env.CIYUAN_TEST_MODULES } });
`,
  );
  manifest = await build(cacheDir);
  // Inside the project, so that they find tsx and the packages.
  fs.writeFileSync(
    path.join(cacheDir, "run.mjs"),
    `const { main } = await import(process.env.CIYUAN_TEST_ENTRY);
process.exitCode = await main(process.argv.slice(2));
`,
  );
  fs.writeFileSync(
    path.join(cacheDir, "batch.mjs"),
    `const entry = process.env.CIYUAN_TEST_ENTRY;
if (entry.endsWith(".ts")) (await import("tsx/esm/api")).register();
const { main } = await import(entry);
const write = { out: process.stdout.write, err: process.stderr.write };
const results = [];
for (const args of JSON.parse(process.env.CIYUAN_TEST_ARGS)) {
  const r = { code: -1, stdout: "", stderr: "" };
  process.stdout.write = (s) => ((r.stdout += s), true);
  process.stderr.write = (s) => ((r.stderr += s), true);
  try {
    r.code = await main(args);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  results.push(r);
}
process.stdout.write(JSON.stringify(results));
`,
  );
});

afterAll(() => {
  fs.rmSync(cacheDir, { recursive: true, force: true });
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function run(nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { env, cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

const buildEntry = () => pathToFileURL(path.join(cacheDir, manifest.build, manifest.entry)).href;

/** `ciyuan ARGS` from this test's build. */
const fromBuild = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  run([path.join(cacheDir, "run.mjs"), ...args], { ...env, CIYUAN_TEST_ENTRY: buildEntry() });

/**
 * Each command line in turn, in one process: main() from the sources (through tsx), or from
 * this test's build. Spares a process start per command line (seconds each through tsx).
 */
async function batch(from: "sources" | "build", argsList: string[][]): Promise<CliResult[]> {
  const entry = from === "build" ? buildEntry() : pathToFileURL(path.join(ROOT, "src/cli/main.ts")).href;
  const r = await run([path.join(cacheDir, "batch.mjs")], { ...process.env, CIYUAN_TEST_ENTRY: entry, CIYUAN_TEST_ARGS: JSON.stringify(argsList) });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as CliResult[];
}

/** `ciyuan ARGS` from the sources, and the modules it imported: src/ paths and package names. */
async function traced(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult & { sources: string[]; packages: string[] }> {
  const out = path.join(tmp(), "modules.txt");
  fs.writeFileSync(out, "");
  const r = await run(["--import", pathToFileURL(path.join(hooksDir, "register.mjs")).href, BIN, ...args], {
    ...env,
    CIYUAN_TSX: "1",
    CIYUAN_TEST_MODULES: out,
  });
  const urls = [...new Set(fs.readFileSync(out, "utf8").split("\n").filter((u) => u.startsWith("file:")))];
  const files = urls.map((u) => path.relative(ROOT, fileURLToPath(u)).split(path.sep).join("/"));
  const packages = new Set<string>();
  for (const f of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) packages.add(m[1]!);
  }
  return { ...r, sources: files.filter((f) => f.startsWith("src/")).sort(), packages: [...packages].sort() };
}

describe("ciyuan start-up", () => {
  it("--help of the program and of every command works, the same from the build as from the sources", async () => {
    const argsList = COMMANDS.map((cmd) => [...cmd, "--help"]);
    const [src, built] = await Promise.all([batch("sources", argsList), batch("build", argsList)]);
    COMMANDS.forEach((cmd, i) => {
      expect({ cmd, code: src[i]!.code }).toEqual({ cmd, code: 0 });
      expect(src[i]!.stdout).toContain(`Usage: ciyuan ${cmd.length ? cmd.join(" ") + " " : ""}[options]`);
      expect({ cmd, ...built[i] }).toEqual({ cmd, ...src[i] });
    });
  });

  it("a wrong command line is exit 2 with one line on stderr, the same from the build as from the sources", async () => {
    const argsList = [["bogus"], ["show"], ["show", "--index", "CTPI", "--at", "yesterday"], ["verify", "--index", "CTPI", "--at", "2026-03-03", "--revision", "0"]];
    const [src, built] = await Promise.all([batch("sources", argsList), batch("build", argsList)]);
    argsList.forEach((args, i) => {
      expect({ args, code: src[i]!.code, lines: src[i]!.stderr.trim().split("\n").length }).toEqual({ args, code: 2, lines: 1 });
      expect({ args, ...built[i] }).toEqual({ args, ...src[i] });
    });
  });

  it("--help imports only the grammar: no command's module, no database driver, no HTTP service", async () => {
    const r = await traced(["--help"], process.env);
    expect(r.code).toBe(0);
    expect(r.sources.filter((f) => !GRAMMAR.includes(f))).toEqual([]);
    expect(r.packages.filter((p) => ["pg", "@electric-sql/pglite", "drizzle-orm", "zod", ...SERVICE_PACKAGES].includes(p))).toEqual([]);
  });

  it("the build lists the files it was made from, and is stale once one of them changes", () => {
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(["src/cli/main.ts", "src/cli/show.ts", "src/db/client.ts", "node_modules/zod/package.json"]));
    const dir = path.join(cacheDir, "staleness");
    fs.mkdirSync(dir);
    const input = path.join(dir, "input.txt");
    fs.writeFileSync(input, "one");
    const rel = path.relative(ROOT, input).split(path.sep).join("/");
    const { size, mtimeMs } = fs.statSync(input);
    const write = (inputs: Manifest["inputs"]) => fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ build: "b", entry: "main.mjs", inputs }));
    write({ [rel]: [size, mtimeMs] });
    expect(freshBuild(dir)?.href).toBe(pathToFileURL(path.join(dir, "b/main.mjs")).href);
    write({ [rel]: [size + 1, mtimeMs] });
    expect(freshBuild(dir)).toBeUndefined();
    write({ [rel]: [size, mtimeMs - 1000] });
    expect(freshBuild(dir)).toBeUndefined();
    write({ [rel]: [size, mtimeMs], "src/no-such-file.ts": [1, 1] });
    expect(freshBuild(dir)).toBeUndefined();
  });

  for (const engine of engineNames) {
    describe(`[${engine}]`, () => {
      // One database per engine: PGlite's first open (initdb) costs seconds.
      let env: NodeJS.ProcessEnv;
      beforeAll(async () => {
        env = await freshCliEnv(engine, tmp());
      });

      it("the build migrates and shows as the sources do (it finds the files beside the modules)", async () => {
        expect(await fromBuild(["migrate"], env)).toEqual({ code: 0, stdout: "", stderr: `migrated ${engine} database\n` });
        expect(await fromBuild(["show", "--index", "CTPI"], env)).toEqual({ code: 1, stdout: "", stderr: "ciyuan: no final fixing of CTPI\n" });
        expect(await fromBuild(["show", "--index", "NOPE"], env)).toEqual({ code: 2, stdout: "", stderr: "ciyuan: unknown index: NOPE\n" });
      });

      it("show imports its engine's driver only: no HTTP service, no engine, no collectors", async () => {
        const shown = await traced(["show", "--index", "CTPI"], env);
        expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 1, stderr: "ciyuan: no final fixing of CTPI\n" });
        const [driver, other] = engine === "pglite" ? ["@electric-sql/pglite", "pg"] : ["pg", "@electric-sql/pglite"];
        expect(shown.packages).toContain(driver);
        expect(shown.packages.filter((p) => p === other || SERVICE_PACKAGES.includes(p))).toEqual([]);
        expect(shown.sources.filter((f) => /^src\/(engine|normalise|collect|schedule|sample|sources)\/|^src\/publish\/(app|server|index)\.ts$/.test(f))).toEqual([]);
      });
    });
  }
});
