// GET /, GET /widget/{code} and their assets, over HTTP (test/browser/pages.test.ts runs
// them in a browser): what is sent, how it may be cached and framed, and the 404 page.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.ts";
import { describeEachEngine } from "../support/engines.ts";
import { get } from "./http.ts";
import { servedHistory } from "./seed.ts";

const csp = (headers: Headers) => headers.get("content-security-policy") ?? "";

/** The URLs a page loads: its scripts, style sheets and icons (links to follow are not loads). */
function loadedUrls(html: string): string[] {
  const tags = html.match(/<(script|link)\b[^>]*>/g) ?? [];
  return tags.map((tag) => /\b(?:src|href)="([^"]*)"/.exec(tag)?.[1] ?? `(no URL in ${tag})`);
}

function chartLibraryFile(): string {
  const manifest = createRequire(import.meta.url).resolve("lightweight-charts/package.json");
  return path.join(path.dirname(manifest), "dist", "lightweight-charts.standalone.production.js");
}

describeEachEngine("publish: the dashboard and widget pages", (ctx) => {
  const server = servedHistory(ctx);

  describe("GET / and GET /widget/{code} are HTML pages that load only files of this origin", () => {
    for (const page of ["/", "/widget/CTPI"]) {
      it(`${page}: HTML, every script and style a file under /assets, no inline script or style`, async () => {
        const r = await get(`${server.base()}${page}`);
        expect(r.status).toBe(200);
        expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
        const urls = loadedUrls(r.text);
        expect(urls.length).toBeGreaterThan(2);
        for (const url of urls) expect(url).toMatch(/^\/assets\/[\w.-]+$/);
        expect(r.text).not.toMatch(/<script\b(?![^>]*\bsrc=)/);
        expect(r.text).not.toMatch(/<style\b|\sstyle="/);
        for (const url of urls) expect((await fetch(`${server.base()}${url}`)).status, url).toBe(200);
      });
    }

    it("the widget page names its index (escaped into the HTML)", async () => {
      const r = await get(`${server.base()}/widget/CTPI-OUT`);
      expect(r.text).toContain('data-code="CTPI-OUT"');
      expect(r.text).toContain("<title>Ciyuan Token Price Index - output (CTPI-OUT) — Ciyuan</title>");
    });

    it("answers HEAD like GET, without a body", async () => {
      const r = await fetch(`${server.base()}/`, { method: "HEAD" });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await r.text()).toBe("");
    });
  });

  describe("a Content-Security-Policy allows only 'self'; the widget may be framed by any site, the dashboard by none", () => {
    it("the dashboard: default-src 'self', frame-ancestors 'none', X-Frame-Options DENY", async () => {
      const r = await get(`${server.base()}/`);
      expect(csp(r.headers)).toContain("default-src 'self'");
      expect(csp(r.headers)).toContain("frame-ancestors 'none'");
      expect(csp(r.headers)).not.toContain("unsafe");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
    });

    it("the widget: default-src 'self', frame-ancestors *, no X-Frame-Options", async () => {
      const r = await get(`${server.base()}/widget/CTPI`);
      expect(csp(r.headers)).toContain("default-src 'self'");
      expect(csp(r.headers)).toContain("frame-ancestors *");
      expect(csp(r.headers)).not.toContain("unsafe");
      expect(r.headers.get("x-frame-options")).toBeNull();
    });
  });

  describe("GET /widget/{code} for a code that names no index is a 404 HTML page, never a 500", () => {
    const cases: [string, string][] = [
      ["an unknown code", "NOPE"],
      ["markup in the code", encodeURIComponent('<script>alert("x")</script>')],
      ["a code too long to be one", "A".repeat(300)],
      ["a NUL byte", "CTPI%00"],
      ["an encoded slash", "..%2F..%2Fetc"],
    ];
    for (const [what, code] of cases) {
      it(`${what}: 404, HTML, the code shown escaped`, async () => {
        const r = await get(`${server.base()}/widget/${code}`);
        expect(r.status).toBe(404);
        expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(r.text).toContain("There is no index named");
        expect(r.text).not.toContain("<script>");
        expect(csp(r.headers)).toContain("default-src 'self'");
      });
    }

    it("shows markup in the code as text", async () => {
      const r = await get(`${server.base()}/widget/${encodeURIComponent("<b>x</b>")}`);
      expect(r.text).toContain("&lt;b&gt;x&lt;/b&gt;");
    });
  });

  describe("assets: the chart library from node_modules under a versioned URL with a long cache; page files revalidated", () => {
    it("serves the library's standalone build, unchanged, cacheable for a year", async () => {
      // The widget draws its sparkline with it (the dashboard's charts are inline SVG).
      const widget = await get(`${server.base()}/widget/CTPI`);
      const library = loadedUrls(widget.text).find((url) => url.includes("lightweight-charts"));
      const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(chartLibraryFile()), "..", "package.json"), "utf8"));
      expect(library).toBe(`/assets/lightweight-charts-${version}.js`);
      const r = await fetch(`${server.base()}${library}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(chartLibraryFile()))).toBe(true);
    });

    for (const asset of ["/assets/dashboard.js", "/assets/style.css", "/"]) {
      it(`${asset}: revalidated (no-cache) with an ETag, 304 on If-None-Match`, async () => {
        const first = await fetch(`${server.base()}${asset}`);
        await first.arrayBuffer();
        expect(first.headers.get("cache-control")).toMatch(/\bno-cache\b/);
        const tag = first.headers.get("etag");
        expect(tag).toMatch(/^"[^"]+"$/);
        const again = await fetch(`${server.base()}${asset}`, { headers: { "If-None-Match": tag! } });
        expect(again.status).toBe(304);
        expect(await again.text()).toBe("");
      });
    }

    it("an unknown asset is a 404", async () => {
      for (const name of ["nope.js", "..%2Fpackage.json", "common.js.map"]) {
        expect((await fetch(`${server.base()}/assets/${name}`)).status, name).toBe(404);
      }
    });
  });

  describe("GET /methodology: METHODOLOGY.md as a page (the dashboard links to it); GET /methodology.md the file itself", () => {
    const file = fs.readFileSync(path.join(ROOT, "METHODOLOGY.md"), "utf8");

    it("/methodology.md is the file, as text/markdown", async () => {
      const r = await get(`${server.base()}/methodology.md`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
      expect(r.text).toBe(file);
    });

    it("/methodology is HTML under the pages' policy: the headings anchored, every word of the file there, escaped", async () => {
      const r = await get(`${server.base()}/methodology`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(csp(r.headers)).toContain("default-src 'self'");
      expect(r.text).toContain('<h1 id="ciyuan-index-methodology-version-1-1">Ciyuan index methodology (version 1.1)</h1>');
      expect(r.text).toContain('<a href="#3-constituents">3. Constituents</a>');
      expect(r.text).not.toMatch(/<script\b|<style\b|\sstyle="/);
      for (const url of loadedUrls(r.text)) expect(url).toMatch(/^\/assets\/[\w.-]+$/);
      // After the contents list, the page's text (tags removed, entities decoded) is the file's, word for word.
      const shown = r.text
        .slice(r.text.indexOf("</details>") + "</details>".length)
        .replace(/<[^>]*>/g, " ")
        .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
      const words = (text: string) => text.split(/\s+/).filter((w) => w !== "" && !/^#+$/.test(w)).join(" ");
      expect(words(shown)).toBe(words(file));
    });
  });

  describe("the OpenAPI document lists the two pages as text/html", () => {
    it("has GET / and GET /widget/{code}", async () => {
      const doc = (await get(`${server.base()}/openapi.json`)).json;
      expect(Object.keys(doc.paths["/"].get.responses["200"].content)).toEqual(["text/html"]);
      expect(Object.keys(doc.paths["/widget/{code}"].get.responses["404"].content)).toEqual(["text/html"]);
    });
  });
});
