/**
 * Headless Chromium (Debian's package, via playwright-core) for the page tests: one browser
 * per test file, and pages that keep what went wrong (console errors and warnings, script
 * errors, failed requests, HTTP >= 400) and every URL they requested.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { ROOT } from "./cli.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where the page tests write their screenshots for review. */
export const OUTPUT = path.join(ROOT, "test-output", "browser");

export type Watched = { page: Page; problems: string[]; requests: string[] };
export type WatchOptions = {
  width?: number;
  touch?: boolean;
  /** A request allowed to fail (a stream still open when the page closes is cut). */
  mayFail?: (url: string) => boolean;
};

/** Launches the browser before the file's tests and closes it after; returns the page factory. */
export function useBrowser(): (opts?: WatchOptions) => Promise<Watched> {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package "chromium" (.ci/run does) or set CHROMIUM_PATH`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    fs.mkdirSync(OUTPUT, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return async (opts = {}) => {
    if (!browser) throw new Error("browser not started");
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1100, height: 900 }, hasTouch: opts.touch ?? false });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
    page.on("requestfailed", (r) => {
      if (!opts.mayFail?.(r.url())) problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on("request", (r) => requests.push(r.url()));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    return { page, problems, requests };
  };
}

/** Requests that went anywhere but 127.0.0.1 (the page's own data: and blob: URLs aside). */
export function notLocal(requests: string[]): string[] {
  return requests.filter((u) => {
    const url = new URL(u);
    return !(url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1");
  });
}
