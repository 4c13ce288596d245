/**
 * The data's path runs one way: sources -> normalise -> engine -> publish (design/layout.md:
 * a module imports from its own folder, from folders to its left in the flow, and from the
 * shared leaves). Upstream never imports downstream: a parser in src/sources knows nothing
 * of the gates, the store, the collectors or the index, and the gates know nothing of who
 * collects or publishes. Read off the import statements (static, `export ... from` and
 * dynamic) of every file in src/sources and src/normalise.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.ts";

const SRC = path.join(ROOT, "src");

/** The shared leaves every layer may import: value parsers, typed errors. */
const SHARED = ["values", "errors.ts"];

/**
 * What each layer may import from src/, besides its own folder. Anything else is downstream
 * (normalise, collect, engine, publish, ...) or beside the flow (contributors, schedule,
 * cli, sample, signing, hedge): a folder added later is refused until it is placed here.
 */
const ALLOWED: Record<string, string[]> = {
  // Fetch and parse: bytes in, typed input out, no database.
  sources: [...SHARED],
  // Gates and storing: reads what sources parsed, writes through db/.
  normalise: [...SHARED, "sources", "db"],
};

/** Every module a file names in an import, export-from or import() (bare packages too). */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The top-level entry of src/ a relative import lands in (a folder, or a file such as errors.ts); null for a package. */
function srcEntryOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const target = path.relative(SRC, path.resolve(path.dirname(file), specifier));
  if (target.startsWith("..")) return `(outside src: ${specifier})`;
  return target.split(path.sep)[0]!;
}

function filesIn(folder: string): string[] {
  const dir = path.join(SRC, folder);
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|js|mjs)$/.test(f))
    .map((f) => path.join(dir, f))
    .sort();
}

/** `file: specifier (-> entry)` for every import of `folder`'s files outside what it may import. */
function violations(folder: string): string[] {
  const allowed = new Set([folder, ...ALLOWED[folder]!]);
  const found: string[] = [];
  for (const file of filesIn(folder)) {
    for (const specifier of importsOf(fs.readFileSync(file, "utf8"))) {
      const entry = srcEntryOf(file, specifier);
      if (entry !== null && !allowed.has(entry)) found.push(`${path.relative(ROOT, file)}: ${specifier} (${entry})`);
    }
  }
  return found;
}

describe("the import reader sees every form of import", () => {
  it("static, type-only, side-effect, export-from and dynamic imports", () => {
    const text = [
      'import { a } from "../normalise/a.ts";',
      'import type { B } from "../engine/b.ts";',
      'import "../publish/c.ts";',
      'export { d } from "../collect/d.ts";',
      'export * from "./e.ts";',
      'const f = await import("../cli/f.ts");',
      'import { z } from "zod";',
    ].join("\n");
    expect(importsOf(text)).toEqual(["../normalise/a.ts", "../engine/b.ts", "../publish/c.ts", "../collect/d.ts", "./e.ts", "../cli/f.ts", "zod"]);
    const file = path.join(SRC, "sources", "x.ts");
    expect(importsOf(text).map((s) => srcEntryOf(file, s))).toEqual(["normalise", "engine", "publish", "collect", "sources", "cli", null]);
  });
});

describe("src/sources imports nothing downstream: not normalise, collect, engine or publish", () => {
  it("every file of src/sources imports only its own folder, values/ and errors.ts", () => {
    expect(filesIn("sources").length).toBeGreaterThan(5);
    expect(violations("sources")).toEqual([]);
  });
});

describe("src/normalise imports nothing downstream: not collect, engine or publish", () => {
  it("every file of src/normalise imports only its own folder, sources/, db/, values/ and errors.ts", () => {
    expect(filesIn("normalise").length).toBeGreaterThan(5);
    expect(violations("normalise")).toEqual([]);
  });
});
