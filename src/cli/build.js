#!/usr/bin/env node
/**
 * Compiles the command line so that it starts fast; `npm install` and `npm ci` run this
 * (the `prepare` script). esbuild bundles src/cli/main.ts, what it imports from src/ and
 * the packages in BUNDLED into node_modules/.cache/ciyuan/<build>/, split at the dynamic
 * imports (one chunk per command, one per database driver); every other package is left
 * to Node. Most of a start was Node loading hundreds of small modules one by one.
 *
 * manifest.json lists the size and mtime of every source file the build read, and of what
 * else decides its output (package.json of each bundled package, tsconfig.json, npm's
 * node_modules/.package-lock.json): bin.js runs the build only while they all still match,
 * and the TypeScript sources through tsx otherwise, so an edited source never runs stale.
 * A failed build is a warning, never a failed install.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where builds go; it must be inside the project, so that Node finds the packages left to it. */
export const CACHE_DIR = path.join(ROOT, "node_modules/.cache/ciyuan");
const ENTRY = "src/cli/main.ts";
const LOADERS = { ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js", ".json": "json" };

/**
 * Packages bundled in (plain JavaScript that reads no files beside itself): together
 * hundreds of modules. A package left to Node must not import one of these, or two copies
 * of it would run; the build checks that (the zod-openapi packages are here because they
 * import zod).
 */
const BUNDLED = [
  "commander",
  "zod",
  "drizzle-orm",
  "luxon",
  "lossless-json",
  "@hono/zod-openapi",
  "@hono/zod-validator",
  "@asteasolutions/zod-to-openapi",
];

const packageName = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** Builds into a new directory of cacheDir, then points its manifest.json there; returns the manifest. */
export async function build(cacheDir = CACHE_DIR) {
  const esbuild = await import("esbuild");
  fs.mkdirSync(cacheDir, { recursive: true });
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = path.join(cacheDir, id);
  const inputs = {};
  const record = async (rel) => {
    const { size, mtimeMs } = await fs.promises.stat(path.join(ROOT, rel));
    inputs[rel.split(path.sep).join("/")] = [size, mtimeMs];
  };
  // What changes how the sources compile or resolve; npm rewrites the last one on every
  // install that changes node_modules, whatever the mtimes inside the packages.
  for (const rel of ["package.json", "tsconfig.json", "node_modules/.package-lock.json"]) {
    if (fs.existsSync(path.join(ROOT, rel))) await record(rel);
  }
  const plugin = {
    name: "ciyuan",
    setup(b) {
      b.onResolve({ filter: /^[^./#]/ }, (args) => {
        if (args.path.startsWith("node:") || !BUNDLED.includes(packageName(args.path))) return { external: true };
        return undefined;
      });
      b.onLoad({ filter: /.*/ }, async (args) => {
        const rel = path.relative(ROOT, args.path);
        if (rel.startsWith("..")) throw new Error(`${args.path}: outside the project`);
        const inPackage = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^@\\/][^\\/]*)[\\/]/.exec(rel);
        if (inPackage) {
          // A bundled package, as it is; its package.json (version) stands for its files.
          await record(path.join(inPackage[1], "package.json"));
          return undefined;
        }
        // Stat before reading: a file changed meanwhile then looks changed to bin.js.
        await record(rel);
        const loader = LOADERS[path.extname(args.path)];
        if (!loader) throw new Error(`${rel}: no loader for this kind of file`);
        let text = await fs.promises.readFile(args.path, "utf8");
        // Modules find files beside them (migrations, sample data, pages, package.json)
        // through import.meta.url, so it stays the source file's own URL.
        const other = /import\.meta\.(?!url\b)\w+/.exec(text);
        if (other) throw new Error(`${rel}: ${other[0]} is not supported by the build (only import.meta.url)`);
        const fromChunk = path.relative(outdir, args.path).split(path.sep).join("/");
        text = text.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromChunk)}, import.meta.url).href`);
        return { contents: text, loader };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { main: ENTRY },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    keepNames: true,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    outExtension: { ".js": ".mjs" }, // files under node_modules have no package "type"
    chunkNames: "[name]-[hash]",
    // Bundled CommonJS (commander) requires Node's built-in modules.
    banner: { js: 'import { createRequire as __ciyuanRequire } from "node:module"; const require = __ciyuanRequire(import.meta.url);' },
    logLevel: "silent",
    plugins: [plugin],
  });
  try {
    checkNothingShared(result.metafile);
  } catch (err) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
  const manifest = { build: id, entry: "main.mjs", inputs };
  const previous = readManifest(cacheDir);
  const file = path.join(cacheDir, "manifest.json");
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(manifest));
  fs.renameSync(tmp, file);
  // Keep the previous build too: a process started from it may still import its chunks.
  for (const name of fs.readdirSync(cacheDir)) {
    if (name === id || name === previous?.build || name === "manifest.json" || name.endsWith(".tmp")) continue;
    fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
  return manifest;
}

/** Throws when a package left to Node depends, directly or not, on a bundled one. */
function checkNothingShared(metafile) {
  const external = new Set();
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) {
      if (imp.external && /^[^./]/.test(imp.path) && !imp.path.startsWith("node:")) external.add(packageName(imp.path));
    }
  }
  const seen = new Set();
  const walk = (name, fromDir, via) => {
    const dir = packageDir(name, fromDir);
    if (!dir || seen.has(dir)) return;
    seen.add(dir);
    if (BUNDLED.includes(name)) throw new Error(`${via.join(" -> ")} -> ${name}: ${via[0]} is left to Node but ${name} is bundled`);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
    for (const dep of Object.keys(deps)) walk(dep, dir, [...via, name]);
  };
  for (const name of external) if (!BUNDLED.includes(name)) walk(name, ROOT, []);
}

/** Where Node would find package `name` from `fromDir`, or undefined. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readManifest(cacheDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir, "manifest.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The compiled entry module's URL when the build matches the files it was made from, else
 * undefined. bin.js calls this on every start: one stat per file, nothing else.
 */
export function freshBuild(cacheDir = CACHE_DIR) {
  try {
    const manifest = readManifest(cacheDir);
    if (!manifest?.inputs || !manifest.build || !manifest.entry) return undefined;
    for (const [rel, [size, mtimeMs]] of Object.entries(manifest.inputs)) {
      const st = fs.statSync(path.join(ROOT, rel), { throwIfNoEntry: false });
      if (!st || st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
    }
    return new URL(`${manifest.build}/${manifest.entry}`, pathToFileURL(`${cacheDir}/`));
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const m = await build();
    process.stderr.write(`ciyuan: compiled the command line (${Object.keys(m.inputs).length} files, ${Date.now() - started} ms)\n`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `ciyuan: not compiled, the command line runs its TypeScript through tsx (slower start): ${message.split("\n").slice(0, 3).join(" ")}\n`,
    );
  }
}
