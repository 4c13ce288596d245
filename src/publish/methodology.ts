/**
 * METHODOLOGY.md, served by the service itself (GET /methodology and /methodology.md), so
 * the dashboard's "methodology" link works offline and always matches the running code.
 * The page is deliberately not a Markdown renderer: each heading becomes an anchored
 * heading (listed as contents at the top), a paragraph of plain prose a paragraph (its
 * lines joined, so it reflows on a phone), and anything else (tables, lists, code) is
 * shown as written, preformatted. Everything is escaped; the file is read once.
 */
import { readFileSync } from "node:fs";
import { escapeToBuffer } from "hono/utils/html";

const FILE = new URL("../../METHODOLOGY.md", import.meta.url);

let text: string | undefined;

/** The Markdown text of METHODOLOGY.md. */
export const methodologyText = (): string => (text ??= readFileSync(FILE, "utf8"));

function escape(value: string): string {
  const buffer: [string] = [""];
  escapeToBuffer(value, buffer);
  return buffer[0];
}

type Block = { kind: "heading"; level: number; title: string; id: string } | { kind: "text"; lines: string[] };

/** Headings (outside fenced code) and the text runs between them. */
function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const used = new Map<string, number>();
  let run: string[] = [];
  let fenced = false;
  const flush = () => {
    while (run.length > 0 && run[0]!.trim() === "") run.shift();
    while (run.length > 0 && run[run.length - 1]!.trim() === "") run.pop();
    if (run.length > 0) out.push({ kind: "text", lines: run });
    run = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced || line.startsWith("```")) {
      run.push(line);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (!heading) {
      run.push(line);
      continue;
    }
    flush();
    const title = heading[2]!.trim();
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "section";
    const seen = used.get(slug) ?? 0;
    used.set(slug, seen + 1);
    out.push({ kind: "heading", level: heading[1]!.length, title, id: seen === 0 ? slug : `${slug}-${seen + 1}` });
  }
  flush();
  return out;
}

// A line that is not plain prose: a table row, a list item, an indented or fenced block, a quote.
const LAID_OUT = /^(\s|\||[-*+] |\d+\. |```|>)/;

/** A run of text: its plain-prose paragraphs as <p>, the rest (and fenced code) preformatted as written. */
function textHtml(lines: string[]): string {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  let fenced = false;
  for (const line of lines) {
    if (line.startsWith("```")) fenced = !fenced;
    if (!fenced && line.trim() === "") {
      if (current.length > 0) paragraphs.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs
    .map((p) =>
      p.some((line) => LAID_OUT.test(line))
        ? `<pre class="md">${escape(p.join("\n"))}</pre>`
        : `<p>${escape(p.map((line) => line.trim()).join(" "))}</p>`,
    )
    .join("\n");
}

/** The methodology page (HTML), from the Markdown text. */
export function methodologyHtml(markdown: string = methodologyText()): string {
  const parts = blocks(markdown);
  const headings = parts.filter((b): b is Extract<Block, { kind: "heading" }> => b.kind === "heading");
  const title = headings[0]?.title ?? "Methodology";
  const contents = headings
    .filter((h) => h.level === 2 || h.level === 3)
    .map((h) => `<li class="toc-${h.level}"><a href="#${h.id}">${escape(h.title)}</a></li>`)
    .join("\n");
  const body = parts
    .map((b) =>
      b.kind === "heading"
        ? `<h${b.level} id="${b.id}">${escape(b.title)}</h${b.level}>`
        : textHtml(b.lines),
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(title)} — Ciyuan</title>
  <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/assets/style.css">
</head>
<body class="methodology">
  <nav class="site-nav" aria-label="Site"><a href="/">Dashboard</a> <a href="/hedge">Hedge desk</a> <a href="/docs">API documentation</a> <a href="/methodology.md">Markdown source</a></nav>
  <main>
    <details class="toc"><summary>Contents</summary><ul>
${contents}
    </ul></details>
${body}
  </main>
</body>
</html>
`;
}
