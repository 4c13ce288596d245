// The dashboard (operations-and-users.md section 10) in a real browser (Chromium via
// playwright-core), over fixings the engine computed from the bundled sample: CTPI has 100
// daily finals (so the ranges differ) and indicatives after its latest final; a second
// moonshot sheet cuts a price (a recent price move). One browser and one server for the
// file. Screenshots: test-output/browser/dashboard-1280.png and dashboard-375.png.
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { backfill, computeFixing, indexCodes } from "../../src/engine/index.ts";
import { importPrices } from "../../src/normalise/index.ts";
import { loadSampleOnce } from "../../src/sample/index.ts";
import { notLocal, OUTPUT, useBrowser, type Watched } from "../support/browser.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { get, n } from "../publish/http.ts";

const SAMPLE_NOW = "2026-02-25T12:00:00Z";
const HISTORY_FROM = "2025-11-17"; // CTPI: 100 daily finals up to TO
const WEEK_FROM = "2026-02-18"; // the other indices: a week
const TO = "2026-02-24";
const LATEST = "2026-02-24T08:00:00Z";
const INDICATIVES = ["2026-02-24T12:00:00Z", "2026-02-25T00:00:00Z", "2026-02-25T03:15:00Z", "2026-02-25T06:30:00Z"];
const INSUFFICIENT = "2026-03-20T08:00:00Z"; // CTPI-OUT: no sample usage then, so nothing is eligible

// moonshot's second sheet: kimi-k2-thinking's output from 16 to 14 CNY, -12.5 %.
const PRICE_CUT = JSON.stringify({
  schema: "ciyuan.price-sheet/1",
  provider: "moonshot",
  country: "CN",
  as_of: "2026-02-23T00:00:00+08:00",
  currency: "CNY",
  unit: "per_1m_tokens",
  models: [
    { model: "kimi-k2-0905-preview", input: 4, cached_input: 1, output: 16 },
    { model: "kimi-k2-turbo-preview", input: 8, cached_input: 1, output: 58 },
    { model: "kimi-k2-thinking", input: 4, cached_input: 1, output: 14 },
  ],
});

const watched = useBrowser();
/** A page of the given width; a stream still open when the page closes is cut, nothing else may fail. */
const watchedPage = (width: number, opts: { touch?: boolean } = {}): Promise<Watched> =>
  watched({ width, ...opts, mayFail: (url) => url.includes("/v1/stream") });

async function done(w: Watched): Promise<void> {
  expect(w.problems).toEqual([]);
  expect(notLocal(w.requests)).toEqual([]);
  await w.page.close();
}

const card = (code: string) => `section.index[data-index="${code}"]`;
const inCard = (code: string, selector: string) => `${card(code)} ${selector}`;
const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent())?.trim();

/** A fraction as the dashboard writes it, computed by Postgres: "+13.5762 %", "-12.5 %", "0 %". */
async function percent(db: Db, fraction: string): Promise<string> {
  const [row] = await rows<{ p: string }>(
    db,
    sql`SELECT CASE WHEN ${fraction}::numeric > 0 THEN '+' ELSE '' END || trim_scale(${fraction}::numeric * 100)::text || ' %' AS p`,
  );
  return row!.p;
}

describeEachEngine("the dashboard (operations-and-users.md section 10), in a browser", (ctx) => {
  let server: TestServer | undefined;
  const base = () => {
    if (!server) throw new Error("server not started");
    return server.url;
  };

  beforeAll(async () => {
    await loadSampleOnce(ctx.db, { now: SAMPLE_NOW, days: 100 });
    expect((await importPrices(ctx.db, { location: "moonshot-cut.json", text: PRICE_CUT, source: "sample" })).stored).toBe(1);
    await backfill(ctx.db, { index: "CTPI", from: HISTORY_FROM, to: TO, signer: testSigner });
    for (const index of (await indexCodes(ctx.db)).filter((code) => code !== "CTPI")) {
      await backfill(ctx.db, { index, from: WEEK_FROM, to: TO, signer: testSigner });
    }
    for (const at of INDICATIVES) await computeFixing(ctx.db, { index: "CTPI", at, kind: "indicative", signer: testSigner });
    expect((await computeFixing(ctx.db, { index: "CTPI-OUT", at: INSUFFICIENT, kind: "final", signer: testSigner })).status).toBe("insufficient");
    server = await serveForTest(ctx.database);
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  /** The dashboard at that width, once CTPI's card and the price moves are shown. */
  async function openDashboard(width: number, opts: { touch?: boolean } = {}): Promise<Watched> {
    const w = await watchedPage(width, opts);
    await w.page.goto(`${base()}/`);
    await w.page.locator(`${card("CTPI")}[data-state="ready"]`).waitFor({ timeout: 15_000 });
    await w.page.locator('#price-moves[data-state="ready"]').waitFor({ timeout: 15_000 });
    return w;
  }

  /** Clicks a range button and waits for the card to show it. */
  async function chooseRange(page: Page, code: string, range: string): Promise<void> {
    await page.locator(inCard(code, `button[data-range="${range}"]`)).click();
    await page.locator(`${card(code)}[data-range="${range}"][data-state="ready"]`).waitFor({ timeout: 15_000 });
  }

  /** The fixings the card's JSON link names, as the API answers them. */
  async function shownFixings(page: Page, code: string): Promise<any[]> {
    const href = await page.locator(inCard(code, '[data-field="json"]')).getAttribute("href");
    const r = await get(`${base()}${href}`);
    expect(r.status).toBe(200);
    return r.json.data;
  }

  const chart = (code: string) => inCard(code, '[data-field="chart"] svg');

  /** The y axis: its tick labels as numbers, and the x of each label. */
  async function yAxis(page: Page, code: string): Promise<{ ticks: number[]; xs: string[]; title: string | undefined }> {
    const labels = page.locator(`${chart(code)} text.y-axis`);
    return {
      ticks: (await labels.allTextContents()).map(Number),
      xs: await labels.evaluateAll((els) => els.map((e) => e.getAttribute("x") ?? "")),
      title: await text(page, `${chart(code)} text.axis-title`),
    };
  }

  describe("the chart plots the value on one axis; the level on its own, by a toggle", () => {
    it("the value is plotted on a single axis spanning the fixings shown; Level replaces it with the level; Value brings it back", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      const fixings = await shownFixings(page, "CTPI");
      expect(await page.locator(chart("CTPI")).getAttribute("data-measure")).toBe("value");
      const byValue = await yAxis(page, "CTPI");
      expect(byValue.title).toBe("value, CNY per 1M tokens");
      expect(new Set(byValue.xs).size).toBe(1); // one axis: every tick label at the same x
      const values = fixings.map((f) => Number(n(f.value)));
      expect(Math.min(...byValue.ticks)).toBeLessThanOrEqual(Math.min(...values));
      expect(Math.max(...byValue.ticks)).toBeGreaterThanOrEqual(Math.max(...values));
      expect(await page.locator(`${chart("CTPI")} path.line.final`).count()).toBe(1);

      await page.locator(inCard("CTPI", 'button[data-measure="level"]')).click();
      expect(await page.locator(chart("CTPI")).getAttribute("data-measure")).toBe("level");
      expect(await page.locator(inCard("CTPI", 'button[data-measure="level"]')).getAttribute("aria-pressed")).toBe("true");
      const byLevel = await yAxis(page, "CTPI");
      expect(byLevel.title).toBe("level");
      expect(new Set(byLevel.xs).size).toBe(1);
      const levels = fixings.map((f) => Number(n(f.level)));
      expect(Math.min(...byLevel.ticks)).toBeLessThanOrEqual(Math.min(...levels));
      expect(Math.max(...byLevel.ticks)).toBeGreaterThanOrEqual(Math.max(...levels));
      // The level (hundreds) is not on the value's scale (a few CNY).
      expect(Math.max(...byLevel.ticks)).toBeGreaterThan(Math.max(...byValue.ticks) * 10);
      expect(await text(page, inCard("CTPI", '[data-field="legend-final"]'))).toBe("level of the final fixings");

      await page.locator(inCard("CTPI", 'button[data-measure="value"]')).click();
      expect(await page.locator(chart("CTPI")).getAttribute("data-measure")).toBe("value");
      expect((await yAxis(page, "CTPI")).ticks).toEqual(byValue.ticks);
      await done(w);
    }, 60_000);
  });

  describe("a range control: 1M, 3M, 1Y, all; the CSV and JSON links are of what is shown", () => {
    it("each range ends on the latest final fixing's date; the chart has a point per fixing the links return", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      const expected: Record<string, { from: string | null; count: number }> = {
        "1M": { from: "2026-01-24", count: 32 },
        "3M": { from: "2025-11-24", count: 93 },
        "1Y": { from: "2025-02-24", count: 100 },
        all: { from: null, count: 100 },
      };
      expect(await page.locator(`${card("CTPI")}[data-range="3M"]`).count()).toBe(1); // the default
      for (const range of ["1M", "1Y", "all", "3M"]) {
        await chooseRange(page, "CTPI", range);
        expect(await page.locator(inCard("CTPI", `button[data-range="${range}"]`)).getAttribute("aria-pressed")).toBe("true");
        for (const format of ["csv", "json"]) {
          const href = await page.locator(inCard("CTPI", `[data-field="${format}"]`)).getAttribute("href");
          const url = new URL(href!, base());
          expect(url.pathname).toBe("/v1/indices/CTPI/fixings");
          expect(url.searchParams.get("from"), `${range} ${format}`).toBe(expected[range]!.from);
          expect(url.searchParams.get("to")).toBe(TO);
          expect(url.searchParams.get("format")).toBe(format);
        }
        const fixings = await shownFixings(page, "CTPI");
        expect(fixings.length, range).toBe(expected[range]!.count);
        expect(await page.locator(chart("CTPI")).getAttribute("data-points")).toBe(String(fixings.length));
        expect(await page.locator(`${chart("CTPI")} circle.dot.final`).count()).toBe(fixings.length);
        const times = await page.locator(`${chart("CTPI")} circle.dot.final`).evaluateAll((dots) => dots.map((d) => (d as SVGElement).dataset.time));
        expect(times).toEqual(fixings.map((f) => f.fixing_time));
        const csv = await get(`${base()}${await page.locator(inCard("CTPI", '[data-field="csv"]')).getAttribute("href")}`);
        expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
        expect(csv.text.trimEnd().split("\r\n").length - 1).toBe(fixings.length);
      }
      await done(w);
    }, 90_000);
  });

  describe("a tooltip with the fixing's time, value, level and status, on hover or touch", () => {
    it("hovering a final fixing's point shows it as published; an insufficient one says so", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      const at = "2026-02-10T08:00:00Z";
      const fixing = (await get(`${base()}/v1/indices/CTPI/fixings/${at}`)).json;
      await page.locator(`${chart("CTPI")} circle.dot.final[data-time="${at}"]`).hover({ force: true });
      const tip = (field: string) => text(page, inCard("CTPI", `[data-field="tooltip"] [data-field="${field}"]`));
      await page.locator(inCard("CTPI", '[data-field="tooltip"]')).waitFor({ state: "visible" });
      expect(await tip("tip-time")).toBe("2026-02-10 08:00 UTC");
      expect(await tip("tip-kind")).toBe("final");
      expect(await tip("tip-value")).toBe(`${n(fixing.value)} CNY`);
      expect(await tip("tip-level")).toBe(n(fixing.level));
      expect(await tip("tip-status")).toBe("ok");

      const out = (await get(`${base()}/v1/indices/CTPI-OUT/fixings/${INSUFFICIENT}`)).json;
      await page.locator(`${chart("CTPI-OUT")} circle.dot.insufficient[data-time="${INSUFFICIENT}"]`).hover({ force: true });
      const outTip = (field: string) => text(page, inCard("CTPI-OUT", `[data-field="tooltip"] [data-field="${field}"]`));
      await page.locator(inCard("CTPI-OUT", '[data-field="tooltip"]')).waitFor({ state: "visible" });
      expect(await outTip("tip-time")).toBe("2026-03-20 08:00 UTC");
      expect(await outTip("tip-status")).toBe("insufficient");
      expect(await outTip("tip-value")).toBe(`${n(out.value)} CNY`);
      expect(await outTip("tip-level")).toBe(n(out.level));
      expect(await page.locator(inCard("CTPI-OUT", '[data-field="legend-insufficient"]')).isVisible()).toBe(true);
      // Leaving the chart closes it.
      await page.mouse.move(5, 5);
      await page.locator(inCard("CTPI-OUT", '[data-field="tooltip"]')).waitFor({ state: "hidden" });
      await done(w);
    }, 60_000);

    it("a tap on a touch screen shows the tooltip of the point tapped, and it stays", async () => {
      const w = await openDashboard(375, { touch: true });
      const { page } = w;
      await chooseRange(page, "CTPI", "1M");
      const at = "2026-02-01T08:00:00Z";
      const fixing = (await get(`${base()}/v1/indices/CTPI/fixings/${at}`)).json;
      const dot = page.locator(`${chart("CTPI")} circle.dot.final[data-time="${at}"]`);
      await dot.scrollIntoViewIfNeeded();
      const box = (await dot.boundingBox())!;
      await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
      await page.locator(inCard("CTPI", '[data-field="tooltip"]')).waitFor({ state: "visible" });
      expect(await text(page, inCard("CTPI", '[data-field="tip-time"]'))).toBe("2026-02-01 08:00 UTC");
      expect(await text(page, inCard("CTPI", '[data-field="tip-value"]'))).toBe(`${n(fixing.value)} CNY`);
      await page.waitForTimeout(300);
      expect(await page.locator(inCard("CTPI", '[data-field="tooltip"]')).isVisible()).toBe(true);
      await done(w);
    }, 60_000);
  });

  describe("today's indicative fixings: a distinct series, in the legend", () => {
    it("the indicatives since the latest final are drawn dashed in another colour, each with its tooltip", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      const indicatives = (await get(`${base()}/v1/indices/CTPI/fixings?kind=indicative&from=${LATEST}`)).json.data;
      expect(indicatives.map((f: { fixing_time: string }) => f.fixing_time)).toEqual(INDICATIVES);
      const dots = page.locator(`${chart("CTPI")} circle.dot.indicative`);
      expect(await dots.evaluateAll((els) => els.map((e) => (e as SVGElement).dataset.time))).toEqual(INDICATIVES);
      expect(await page.locator(chart("CTPI")).getAttribute("data-indicative")).toBe(String(INDICATIVES.length));
      const style = (selector: string) =>
        page.locator(selector).evaluate((e) => ({ dash: getComputedStyle(e).strokeDasharray, colour: getComputedStyle(e).stroke }));
      const final = await style(`${chart("CTPI")} path.line.final`);
      const indicative = await style(`${chart("CTPI")} path.line.indicative`);
      expect(final.dash).toBe("none");
      expect(indicative.dash).not.toBe("none");
      expect(indicative.colour).not.toBe(final.colour);
      expect(await page.locator(inCard("CTPI", '[data-field="legend-indicative"]')).isVisible()).toBe(true);
      // The latest one is also named under the figures.
      const latest = indicatives.at(-1);
      expect(await text(page, inCard("CTPI", '[data-field="indicative-value"]'))).toBe(`${n(latest.value)} CNY`);
      expect(await text(page, inCard("CTPI", '[data-field="indicative-time"]'))).toBe("2026-02-25 06:30 UTC");

      await dots.last().hover({ force: true });
      await page.locator(inCard("CTPI", '[data-field="tooltip"]')).waitFor({ state: "visible" });
      expect(await text(page, inCard("CTPI", '[data-field="tip-kind"]'))).toBe("indicative");
      expect(await text(page, inCard("CTPI", '[data-field="tip-time"]'))).toBe("2026-02-25 06:30 UTC");
      expect(await text(page, inCard("CTPI", '[data-field="tip-level"]'))).toBe(n(latest.level));
      // An index without indicatives has none, and no legend entry for them.
      expect(await page.locator(`${chart("GTPI")} circle.dot.indicative`).count()).toBe(0);
      expect(await page.locator(inCard("GTPI", '[data-field="legend-indicative"]')).isVisible()).toBe(false);
      await done(w);
    }, 60_000);
  });

  describe("price versus mix over the selected range, in one line", () => {
    it("the line's numbers are the attribution route's for the range shown, as percentages", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      for (const range of ["3M", "1M", "all"]) {
        if (range !== "3M") await chooseRange(page, "CTPI", range);
        const href = await page.locator(inCard("CTPI", '[data-field="json"]')).getAttribute("href");
        const query = new URL(href!, base()).searchParams;
        query.delete("format");
        const answer = (await get(`${base()}/v1/indices/CTPI/attribution?${query}`)).json;
        const field = (name: string) => text(page, inCard("CTPI", `[data-field="attribution-${name}"]`));
        expect(await field("value"), range).toBe(await percent(ctx.db, n(answer.value_change_pct)));
        expect(await field("price"), range).toBe(await percent(ctx.db, n(answer.price_effect_pct)));
        expect(await field("mix"), range).toBe(await percent(ctx.db, n(answer.mix_effect_pct)));
        expect(await field("span")).toBe(`Price versus mix, ${answer.from_fixing.slice(0, 10)} to ${answer.to_fixing.slice(0, 10)}`);
        const line = (await text(page, inCard("CTPI", '[data-field="attribution"]')))!.replace(/\s+/g, " ");
        expect(line).toMatch(/: value [-+]?[\d.]+ %: prices [-+]?[\d.]+ %, mix [-+]?[\d.]+ %$/);
      }
      await done(w);
    }, 60_000);
  });

  describe("links: the methodology, the hedge desk, and an embed snippet for the widget", () => {
    it("the methodology link opens the methodology; the navigation has /hedge; the snippet frames this server's widget", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      expect(await page.locator(inCard("CTPI", '[data-field="methodology"]')).getAttribute("href")).toBe("/methodology");
      expect(await page.locator('nav.site-nav a[href="/hedge"]').count()).toBe(1);
      expect(await page.locator('nav.site-nav a[href="/methodology"]').count()).toBe(1);

      expect(await page.locator(inCard("CTPI", '[data-field="embed"]')).isVisible()).toBe(false);
      await page.locator(inCard("CTPI", '[data-field="embed-toggle"]')).click();
      expect(await page.locator(inCard("CTPI", '[data-field="embed"]')).isVisible()).toBe(true);
      const snippet = (await text(page, inCard("CTPI", '[data-field="embed-code"]')))!;
      expect(snippet).toMatch(/^<iframe src="[^"]+" width="320" height="180" .*><\/iframe>$/);
      const src = /src="([^"]+)"/.exec(snippet)![1]!;
      expect(src).toBe(`${base()}/widget/CTPI`);
      expect((await get(src)).status).toBe(200);
      // Copy puts it on the clipboard, or (no clipboard access) selects it for the reader to copy.
      await page.locator(inCard("CTPI", '[data-field="copy"]')).click();
      await expect.poll(() => text(page, inCard("CTPI", '[data-field="copy-note"]'))).toMatch(/^(Copied\.|Selected: copy it with Ctrl\+C or ⌘C\.)$/);
      if ((await text(page, inCard("CTPI", '[data-field="copy-note"]'))) !== "Copied.") {
        expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(snippet);
      }
      expect(await page.locator(inCard("CTPI", '[data-field="widget"]')).getAttribute("href")).toBe("/widget/CTPI");
      await page.screenshot({ path: path.join(OUTPUT, "dashboard-1280.png"), fullPage: true });

      await page.locator(inCard("CTPI", '[data-field="methodology"]')).click();
      await page.waitForURL(`${base()}/methodology`);
      expect(await page.locator("h1").first().textContent()).toBe("Ciyuan index methodology (version 1.1)");
      await done(w);
    }, 60_000);
  });

  describe("recent price moves, from GET /v1/changes", () => {
    it("lists the latest moves newest first, the change as a percentage; the new price cut comes first", async () => {
      const w = await openDashboard(1280);
      const { page } = w;
      // The panel asks from 92 days before the latest final fixing of any index (CTPI-OUT's, 2026-03-20).
      const moves = (await get(`${base()}/v1/changes?from=2025-12-18`)).json.data;
      expect(moves.length).toBeGreaterThan(1);
      const newestFirst = moves.slice(-10).reverse();
      const items = page.locator('#price-moves [data-field="moves"] li');
      expect(await items.count()).toBe(newestFirst.length);
      const first = items.first();
      expect(await first.locator(".model").textContent()).toBe("kimi-k2-thinking");
      expect(await first.locator(".component").textContent()).toBe("output");
      expect(await first.locator(".change-pct").textContent()).toBe("-12.5 %");
      expect(await first.locator(".prices").textContent()).toBe("16 → 14 CNY");
      expect(await first.locator(".provider").textContent()).toBe("moonshot");
      expect(await first.locator(".as-of").textContent()).toBe("2026-02-22");
      for (const [i, move] of newestFirst.entries()) {
        const item = items.nth(i);
        expect(await item.locator(".model").textContent()).toBe(move.model);
        expect(await item.locator(".as-of").textContent()).toBe(move.as_of.slice(0, 10));
        if (move.change_pct !== null) expect(await item.locator(".change-pct").textContent()).toBe(await percent(ctx.db, n(move.change_pct)));
      }
      await done(w);
    }, 60_000);
  });

  describe("at 375 px: the constituents scroll within their box; the page does not scroll sideways", () => {
    it("the table is wider than its box and scrolls in it; the document is no wider than the screen", async () => {
      const w = await openDashboard(375);
      const { page } = w;
      for (const code of ["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]) {
        await page.locator(`${card(code)}[data-state="ready"]`).waitFor({ timeout: 15_000 });
      }
      await page.locator(inCard("CTPI", "details summary")).click();
      await page.locator(inCard("CTPI", '[data-field="embed-toggle"]')).click();
      const box = page.locator(inCard("CTPI", '[data-field="constituents-box"]'));
      const size = await box.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, overflow: getComputedStyle(e).overflowX }));
      expect(size.overflow).toBe("auto");
      expect(size.client).toBeLessThan(375);
      expect(size.scroll).toBeGreaterThan(size.client);
      expect(await box.evaluate((e) => ((e.scrollLeft = 80), e.scrollLeft))).toBe(80);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const svgWidth = await page.locator(chart("CTPI")).evaluate((e) => e.getBoundingClientRect().width);
      expect(svgWidth).toBeGreaterThan(280);
      expect(svgWidth).toBeLessThanOrEqual(375);
      // The price moves are a list that wraps: nothing in it is wider than the screen either.
      expect(await page.locator("#price-moves").evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
      await page.screenshot({ path: path.join(OUTPUT, "dashboard-375.png"), fullPage: true });
      await done(w);
    }, 60_000);
  });
});
