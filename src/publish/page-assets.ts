/**
 * What the pages are made of: the HTML templates, scripts and style in src/publish/pages/
 * and the chart library (TradingView lightweight-charts, from node_modules), read once and
 * served from memory. Nothing is fetched from elsewhere, so the pages work offline.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { escapeToBuffer } from "hono/utils/html";
import { bodyTag, IMMUTABLE, REVALIDATE } from "./caching.ts";

const PAGES_DIR = new URL("./pages/", import.meta.url);

/** A file served at /assets/{name}; its ETag is computed once, not per request. */
export type Asset = { body: Uint8Array<ArrayBuffer>; type: string; etag: string; cacheControl: string };

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};
const OWN_FILES = ["dashboard.js", "chart.js", "widget.js", "hedge.js", "common.js", "style.css", "favicon.svg"];

function asset(name: string, file: Uint8Array, cacheControl: string): Asset {
  const body = new Uint8Array(file);
  const type = TYPES[extname(name)];
  if (!type) throw new Error(`no content type for ${name}`);
  return { body, type, etag: bodyTag(body), cacheControl };
}

function chartLibrary(): { name: string; file: string } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("lightweight-charts/package.json");
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  // The standalone build defines window.LightweightCharts; the package's exports do not list it.
  return { name: `lightweight-charts-${version}.js`, file: join(dirname(manifest), "dist", "lightweight-charts.standalone.production.js") };
}

let loaded: { assets: Map<string, Asset>; chartLibraryPath: string } | undefined;

function load() {
  if (loaded) return loaded;
  const library = chartLibrary();
  // Our own files keep their names across releases, so they are revalidated (a cheap 304);
  // the library's URL names its version, so a copy once fetched never goes stale.
  const assets = new Map<string, Asset>(OWN_FILES.map((name) => [name, asset(name, readFileSync(new URL(name, PAGES_DIR)), REVALIDATE)]));
  assets.set(library.name, asset(library.name, readFileSync(library.file), IMMUTABLE));
  loaded = { assets, chartLibraryPath: `/assets/${library.name}` };
  return loaded;
}

/** The asset served at /assets/{name}, if there is one. */
export const findAsset = (name: string): Asset | undefined => load().assets.get(name);

/** The URL path of the chart library (it carries the library's version). */
export const chartLibraryPath = (): string => load().chartLibraryPath;

/** An HTML template of src/publish/pages/. */
export const pageTemplate = (name: string): string => readFileSync(new URL(name, PAGES_DIR), "utf8");

/** The template with each `{{key}}` replaced by that value, HTML-escaped. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template value missing: ${key}`);
    const buffer: [string] = [""];
    escapeToBuffer(value, buffer);
    return buffer[0];
  });
}
