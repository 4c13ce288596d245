// The dashboard and the embeddable widget in a real browser (Chromium via playwright-core),
// over final fixings the engine computed from the bundled sample. Screenshots are kept in
// test-output/browser/.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Frame, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { backfill, computeFixing, indexCodes } from "../../src/engine/index.ts";
import { loadSampleOnce } from "../../src/sample/index.ts";
import { OUTPUT, useBrowser } from "../support/browser.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { get, n } from "../publish/http.ts";

// The sample's price sheets change on 2026-02-20, so the level moves within this range.
const SAMPLE_NOW = "2026-02-25T12:00:00Z";
const FROM = "2026-02-18";
const TO = "2026-02-24";
const NEXT_FIXING = "2026-02-25T08:00:00Z";

/** A new page (1100 px wide) whose console errors and warnings, script errors and failed requests are kept. */
const watchedPage = useBrowser();

const text = async (scope: Page | Frame, selector: string) => (await scope.locator(selector).first().textContent())?.trim();

/** A one-page site on 127.0.0.1 (another origin than the server under test). */
async function serveHtml(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const site = http.createServer((_, res) => res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(html));
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const { port } = site.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => site.close(() => resolve())) };
}

/** The width of the widest canvas inside the chart container (the plot; the others are axes). */
async function widestCanvas(scope: Page | Frame, container: string): Promise<number> {
  const widths = await scope.locator(`${container} canvas`).evaluateAll((canvases) => canvases.map((c) => c.getBoundingClientRect().width));
  return Math.max(0, ...widths);
}

/** The width of the inline SVG chart inside the container (the dashboard draws its charts so). */
async function svgWidth(scope: Page | Frame, container: string): Promise<number> {
  const widths = await scope.locator(`${container} svg`).evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().width));
  return Math.max(0, ...widths);
}

/** `to - from` of two decimals, computed by Postgres, as the widget writes it ("+0.001234"). */
async function signedDifference(db: Parameters<typeof rows>[0], from: string, to: string): Promise<string> {
  const [row] = await rows<{ d: string }>(db, sql`SELECT (${to}::numeric - ${from}::numeric)::text AS d`);
  return row!.d.startsWith("-") ? row!.d : `+${row!.d}`;
}

describeEachEngine("the dashboard and the widget, in a browser", (ctx) => {
  let server: TestServer | undefined;
  const base = () => {
    if (!server) throw new Error("server not started");
    return server.url;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(OUTPUT, `${name}-${ctx.engine}.png`), fullPage: true });

  beforeAll(async () => {
    await loadSampleOnce(ctx.db, { now: SAMPLE_NOW, days: 7 });
    for (const index of await indexCodes(ctx.db)) await backfill(ctx.db, { index, from: FROM, to: TO, signer: testSigner });
    server = await serveForTest(ctx.database);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("the dashboard shows, for each index, a value (or level) chart, the status and the latest constituents as published", async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${base()}/`);
    const codes: string[] = (await get(`${base()}/v1/indices`)).json.data.map((index: { code: string }) => index.code);
    expect(codes).toEqual(["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]);
    for (const code of codes) {
      const latest = (await get(`${base()}/v1/indices/${code}/latest`)).json;
      const fixing = (await get(`${base()}/v1/indices/${code}/fixings/${latest.fixing_time}`)).json;
      const card = `section.index[data-index="${code}"]`;
      await page.locator(`${card}[data-state="ready"]`).waitFor({ timeout: 15_000 });
      expect(await text(page, `${card} [data-field="value"]`)).toBe(n(latest.value));
      expect(await text(page, `${card} [data-field="level"]`)).toBe(n(latest.level));
      expect(await text(page, `${card} [data-field="status"]`)).toBe("ok");
      // Made from the bundled sample: the numbers and the chart say "demo data".
      expect(latest.data_origin).toBe("sample");
      expect(await page.locator(`${card} [data-field="demo"]`).isVisible()).toBe(true);
      expect(await text(page, `${card} [data-field="demo"]`)).toBe("demo data");
      expect(await page.locator(`${card} [data-field="demo-chart"]`).isVisible()).toBe(true);
      expect(await text(page, `${card} [data-field="fixing-time"]`)).toBe("2026-02-24 08:00 UTC");
      const shownWeights = await page.locator(`${card} [data-field="constituents"] tr td:nth-child(3)`).allTextContents();
      expect(shownWeights.sort()).toEqual(fixing.constituents.map((c: { weight: unknown }) => n(c.weight)).sort());
      expect(await svgWidth(page, `${card} [data-field="chart"]`)).toBeGreaterThan(300);
    }
    await page.locator('section.index[data-index="CTPI"] details summary').click();
    await shot(page, "dashboard");
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("the widget shows the latest value as published, its exact change since the previous final fixing, and a sparkline", async () => {
    const { page, problems } = await watchedPage();
    await page.setViewportSize({ width: 340, height: 200 });
    await page.goto(`${base()}/widget/CTPI`);
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
    const { data: fixings } = (await get(`${base()}/v1/indices/CTPI/fixings?from=${FROM}`)).json;
    const [previous, latest] = fixings.slice(-2);
    expect(latest.value).toEqual((await get(`${base()}/v1/indices/CTPI/latest`)).json.value);
    expect(await text(page, '[data-field="value"]')).toBe(n(latest.value));
    expect(await text(page, '[data-field="change"]')).toBe(await signedDifference(ctx.db, n(previous.value), n(latest.value)));
    expect(await text(page, '[data-field="previous-date"]')).toBe("2026-02-23");
    expect(latest.data_origin).toBe("sample");
    expect(await page.locator('[data-field="demo"]').isVisible()).toBe(true);
    expect(await widestCanvas(page, '[data-field="chart"]')).toBeGreaterThan(200);
    await shot(page, "widget");
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("the widget can be framed by another site", async () => {
    // Another origin (another port); on loopback too, as Chromium keeps public pages from framing local ones.
    const embedder = await serveHtml(`<!doctype html><title>embedder</title><h1>A site</h1><iframe src="${base()}/widget/CTPI-OUT" width="320" height="180"></iframe>`);
    const { page, problems } = await watchedPage();
    try {
      await page.goto(embedder.url);
      const frame = await (await page.locator("iframe").elementHandle())?.contentFrame();
      if (!frame) throw new Error("the widget's frame did not load");
      await frame.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
      expect(frame.url()).toBe(`${base()}/widget/CTPI-OUT`);
      const latest = (await get(`${base()}/v1/indices/CTPI-OUT/latest`)).json;
      expect(await text(frame, '[data-field="value"]')).toBe(n(latest.value));
      expect(await widestCanvas(frame, '[data-field="chart"]')).toBeGreaterThan(200);
      await shot(page, "widget-embedded");
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await embedder.close();
    }
  }, 60_000);

  it("a new final fixing shows in the open widget and dashboard within seconds, from the event stream", async () => {
    const widget = await watchedPage();
    await widget.page.setViewportSize({ width: 340, height: 200 });
    await widget.page.goto(`${base()}/widget/CTPI`);
    await widget.page.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
    const dashboard = await watchedPage();
    await dashboard.page.goto(`${base()}/`);
    await dashboard.page.locator('section.index[data-index="CTPI"][data-state="ready"]').waitFor({ timeout: 15_000 });
    const before = await text(widget.page, '[data-field="value"]');

    const stored = await computeFixing(ctx.db, { index: "CTPI", at: NEXT_FIXING, kind: "final", signer: testSigner });
    const published = n((await get(`${base()}/v1/indices/CTPI/latest`)).json.value);
    expect(stored.fixingTime).toBe(NEXT_FIXING);
    expect(published).not.toBe(before);

    const timing = { timeout: 5_000, interval: 100 };
    await expect.poll(() => text(widget.page, '[data-field="value"]'), timing).toBe(published);
    expect(await text(widget.page, '[data-field="fixing-time"]')).toBe("2026-02-25 08:00 UTC");
    await expect.poll(() => text(dashboard.page, 'section.index[data-index="CTPI"] [data-field="value"]'), timing).toBe(published);
    await shot(widget.page, "widget-live");
    expect(widget.problems).toEqual([]);
    expect(dashboard.problems).toEqual([]);
    await widget.page.close();
    await dashboard.page.close();
  }, 60_000);

  it("an insufficient fixing shows its status badge and the value it carries", async () => {
    // No usage in the sample after SAMPLE_NOW: nothing is eligible, the last ok value is carried.
    const stored = await computeFixing(ctx.db, { index: "CTPI-IN", at: "2026-03-20T08:00:00Z", kind: "final", signer: testSigner });
    expect(stored.status).toBe("insufficient");
    const latest = (await get(`${base()}/v1/indices/CTPI-IN/latest`)).json;
    const dashboard = await watchedPage();
    await dashboard.page.goto(`${base()}/`);
    const card = 'section.index[data-index="CTPI-IN"]';
    await dashboard.page.locator(`${card}[data-state="ready"]`).waitFor({ timeout: 15_000 });
    expect(await text(dashboard.page, `${card} [data-field="status"]`)).toBe("insufficient");
    expect(await text(dashboard.page, `${card} [data-field="value"]`)).toBe(n(latest.value));
    const widget = await watchedPage();
    await widget.page.setViewportSize({ width: 340, height: 200 });
    await widget.page.goto(`${base()}/widget/CTPI-IN`);
    await widget.page.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
    expect(await text(widget.page, '[data-field="status"]')).toBe("insufficient");
    expect(await text(widget.page, '[data-field="value"]')).toBe(n(latest.value));
    await shot(widget.page, "widget-insufficient");
    expect(dashboard.problems).toEqual([]);
    expect(widget.problems).toEqual([]);
    await dashboard.page.close();
    await widget.page.close();
  }, 60_000);
});
