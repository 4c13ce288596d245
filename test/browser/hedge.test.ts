// The hedge desk page (/hedge) in a real browser (Chromium via playwright-core): a bill is
// dropped on it or chosen with the file input, and the figures POST /v1/hedge answers are
// shown as published, with an inline SVG chart; no request leaves 127.0.0.1. Screenshots at
// 1280 and 375 px wide go to test-output/browser/hedge-1280.png and hedge-375.png.
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { notLocal, OUTPUT, useBrowser } from "../support/browser.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { n } from "../publish/http.ts";
import { checkedAnswer, postBill } from "../hedge/http.ts";
import { seedMonthEndSettlements } from "../hedge/seed.ts";


const BILL = [
  "month,cost_cny,tokens",
  "2026-02,1800.00,380000003",
  "2026-03,2000.00,400000000",
  "2026-04,2362.50,450000000",
  "2026-05,2475.00,500000000",
  "2026-06,2938.00,520000000",
  "2026-07,3360.00,600000000",
  "2026-08,3900.00,650000000",
  "",
].join("\n");
const TOTALS = "month,cost_cny\n2026-03,2000\n2026-04,2362.5\n2026-05,2475\n2026-06,2938\n2026-07,3360\n2026-08,3900\n";
const BAD = "month,cost_cny,tokens\n2026-03,2000,400000000\n2026-13,2100,400000000\n";

const watched = useBrowser();
const watchedPage = (width: number) => watched({ width });

const text = async (page: Page, field: string) => (await page.locator(`[data-field="${field}"]`).first().textContent())?.trim();

describeEachEngine("the hedge desk page, in a browser", (ctx) => {
  let server: TestServer | undefined;
  const base = () => server!.url;
  let answer: any;
  let totals: any;
  let bad: { status: number; message: string };

  beforeAll(async () => {
    await seedMonthEndSettlements(ctx.db, [
      { month: "2026-03", price: "4" },
      { month: "2026-04", price: "4.2" },
      { month: "2026-05", price: "3.9" },
      { month: "2026-06", price: "4.5" },
      { month: "2026-07", price: "4.4" },
      { month: "2026-08", price: "4.8" },
    ]);
    server = await serveForTest(ctx.database);
    answer = checkedAnswer(await postBill(base(), "CTPI", BILL));
    totals = checkedAnswer(await postBill(base(), "CTPI", TOTALS));
    const r = await postBill(base(), "CTPI", BAD);
    bad = { status: r.status, message: r.json.error.message };
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  async function expectFigures(page: Page, a: any) {
    expect(await text(page, "hedge-ratio")).toBe(n(a.hedge_ratio));
    expect(await text(page, "correlation")).toBe(n(a.correlation));
    expect(await text(page, "r-squared")).toBe(n(a.r_squared));
    expect(await text(page, "variance-reduction")).toBe(n(a.variance_reduction));
    expect(await text(page, "volatility-reduction")).toBe(n(a.volatility_reduction));
    expect(await text(page, "contracts-per-month")).toBe(a.contracts_per_month === null ? "— (no tokens given)" : n(a.contracts_per_month));
    expect(await text(page, "months")).toBe(String(a.months));
    expect(await text(page, "effective")).toBe(a.effective ? "effective" : "not effective");
    expect(await page.locator('[data-field="warnings"] li').allTextContents()).toEqual(a.warnings);
    // The chart: an inline SVG with both series, a point for each month with a settlement.
    expect(await page.locator('[data-field="chart"] svg path.line.cost').count()).toBe(1);
    expect(await page.locator('[data-field="chart"] svg path.line.settlement').count()).toBe(1);
    expect(await page.locator('[data-field="chart"] svg circle.cost').count()).toBe(a.series.length);
    expect(await page.locator('[data-field="chart"] svg circle.settlement').count()).toBe(a.series.filter((s: any) => s.settlement !== null).length);
    expect(await page.locator('[data-field="series"] tr').count()).toBe(a.series.length);
  }

  it("a bill dropped on the page shows the route's figures, warnings and a chart of both series (1280 px)", async () => {
    const { page, problems, requests } = await watchedPage(1280);
    await page.goto(`${base()}/hedge`);
    await page.locator('body[data-indices="loaded"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-field="index"] option').count()).toBeGreaterThan(1);
    expect(await page.locator('[data-field="index"]').inputValue()).toBe("CTPI");
    const transfer = await page.evaluateHandle((csv) => {
      const dt = new DataTransfer();
      dt.items.add(new File([csv], "bill.csv", { type: "text/csv" }));
      return dt;
    }, BILL);
    await page.dispatchEvent('[data-field="dropzone"]', "dragover", { dataTransfer: transfer });
    await page.dispatchEvent('[data-field="dropzone"]', "drop", { dataTransfer: transfer });
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
    expect(await text(page, "file-name")).toMatch(/^bill\.csv \(\d+ bytes\)$/);
    await expectFigures(page, answer);
    const chartWidth = await page.locator('[data-field="chart"] svg').evaluate((svg) => svg.getBoundingClientRect().width);
    expect(chartWidth).toBeGreaterThan(600);
    await page.screenshot({ path: path.join(OUTPUT, "hedge-1280.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(notLocal(requests)).toEqual([]);
    expect(requests.some((u) => u.includes("/v1/hedge?index=CTPI"))).toBe(true);
    await page.close();
  }, 60_000);

  it("at 375 px a file chosen with the input is shown without sideways scrolling; without tokens there are no contracts per month", async () => {
    const { page, problems, requests } = await watchedPage(375);
    await page.goto(`${base()}/hedge`);
    await page.locator('body[data-indices="loaded"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-field="file"]').setInputFiles({ name: "totals.csv", mimeType: "text/csv", buffer: Buffer.from(TOTALS) });
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 15_000 });
    await expectFigures(page, totals);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const chartWidth = await page.locator('[data-field="chart"] svg').evaluate((svg) => svg.getBoundingClientRect().width);
    expect(chartWidth).toBeGreaterThan(280);
    expect(chartWidth).toBeLessThanOrEqual(375);
    await page.locator("details summary").click();
    await page.screenshot({ path: path.join(OUTPUT, "hedge-375.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(notLocal(requests)).toEqual([]);
    await page.close();
  }, 60_000);

  it("a bad bill shows the route's message, naming the line, as text", async () => {
    const { page, problems, requests } = await watchedPage(1280);
    await page.goto(`${base()}/hedge`);
    await page.locator('body[data-indices="loaded"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-field="file"]').setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(BAD) });
    await page.locator('body[data-state="error"]').waitFor({ timeout: 15_000 });
    expect(bad.status).toBe(400);
    expect(await text(page, "error")).toBe(bad.message);
    expect(bad.message).toBe('line 3: month "2026-13" is not YYYY-MM');
    expect(await page.locator('[data-field="result"]').isVisible()).toBe(false);
    // The browser reports the 400 itself; nothing else went wrong.
    expect(problems.filter((p) => !/\b400\b/.test(p))).toEqual([]);
    expect(notLocal(requests)).toEqual([]);
    await page.close();
  }, 60_000);
});
