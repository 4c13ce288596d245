/**
 * Random requests for the fuzz tests, derived from what the service says it serves: the
 * paths, path parameters and query parameters of its OpenAPI document, and every path
 * its router knows (pages too), so a route added later is fuzzed without being named here.
 * Values are written as they go on the wire (percent-encoded or raw bytes, on purpose).
 */
import fc from "fast-check";
import type { RawRequest } from "./raw-request.ts";

export type QueryParam = { name: string; values: string[] };
export type RouteTemplate = { template: string; pathParams: string[]; queryParams: QueryParam[] };

type OpenApiParameter = { name: string; in: string; example?: unknown; schema?: { enum?: unknown[]; example?: unknown } };
export type OpenApiDocument = { paths?: Record<string, Record<string, { parameters?: OpenApiParameter[] }>> };
export type RouterRoute = { method: string; path: string };

/** Every path template, with the parameters the OpenAPI document declares for it. */
export function routeCatalogue(doc: OpenApiDocument, routerRoutes: RouterRoute[]): RouteTemplate[] {
  const byTemplate = new Map<string, RouteTemplate>();
  for (const [template, operations] of Object.entries(doc.paths ?? {})) {
    const queryParams = new Map<string, QueryParam>();
    for (const operation of Object.values(operations)) {
      for (const p of operation.parameters ?? []) {
        if (p.in !== "query") continue;
        const values = [...(p.schema?.enum ?? []), p.example, p.schema?.example].filter((v) => v !== undefined).map(String);
        queryParams.set(p.name, { name: p.name, values: [...new Set([...(queryParams.get(p.name)?.values ?? []), ...values])] });
      }
    }
    byTemplate.set(template, { template, pathParams: templateParams(template), queryParams: [...queryParams.values()] });
  }
  for (const route of routerRoutes) {
    const template = fromRouterPath(route.path);
    if (template === null || byTemplate.has(template)) continue;
    byTemplate.set(template, { template, pathParams: templateParams(template), queryParams: [] });
  }
  return [...byTemplate.values()].sort((a, b) => a.template.localeCompare(b.template));
}

// Hono's `/widget/:code{[A-Z]+}?` and `/assets/*` as OpenAPI-style `{name}` templates;
// middleware-only patterns (`*`, `/*`) name no route.
function fromRouterPath(path: string): string | null {
  if (path === "*" || path === "/*") return null;
  return path
    .replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}")
    .replace(/\*/g, "{wildcard}");
}

function templateParams(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

/** A string as it may go on the request line: bytes outside 0x21-0xFF percent-encoded. */
export function wire(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x21 && code <= 0xff) out += ch;
    else out += [...Buffer.from(ch, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  }
  return out;
}

const encoded = (text: string) => encodeURIComponent(text);

// What the seeded database holds, and near misses of it.
const CODES = ["CTPI", "CTPI-IN", "CTPI-OUT", "ctpi", "NOPE", "CTPI.", "CTPI%20", "CTPI%00", "A".repeat(64), "A".repeat(65)];
const INSTANTS = [
  "2026-09-29T08:00:00Z",
  "2026-09-30T08:00:00Z",
  "2026-10-01T08:00:00Z",
  "2026-10-01T09:15:00Z",
  "2026-09-30T16:00:00%2B08:00",
  "2026-09-30T16:00:00+08:00",
  "2026-09-30T08:00:00.000000Z",
  "2026-09-29T08:00:00.123456789Z",
  "2026-09-29T08:00:00.1234567891Z",
  "2026-10-02T09:00:00.654321Z",
  "2026-02-30T08:00:00Z",
  "2026-09-29T08:00:00",
  "2026-09-29T08:00Z",
  "9999-12-31T23:59:59Z",
  "99999-01-01T00:00:00Z",
  "275760-09-13T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "0000-01-01T00:00:00Z",
  "2026-09-29T24:00:00Z",
  "2026-09-29T08:00:60Z",
  "2026-09-29T08:00:00-14:59",
  "2026-09-29T08:00:00+15:00",
  "2026-09-29T08:00:00+0800",
  "2026-09-29%2008:00:00Z",
  "2026-09-29T08:00:00z",
  "%2B2026-09-29T08:00:00Z",
  "-2026-09-29T08:00:00Z",
  "2026-W40-1",
  "now",
  "latest",
];
const DATES = ["2026-09-29", "2026-10-01", "2026-02-29", "2028-02-29", "2026-13-01", "2026-9-1", "9999-12-31", "0001-01-01", "0000-01-01", "20260929"];
const MONTHS = ["2026-09", "2026-10", "2026-11", "2025-12", "2026-00", "2026-13", "9999-12", "0000-01", "0001-01", "2026-9", "202609", "2026-09-01"];
const PROVIDERS = ["deepseek", "moonshot", "zhipu", "alibaba", "openai", "DeepSeek", "nope"];
const MODELS = ["deepseek-chat", "kimi-k2", "glm-4.5", "qwen-max", "gpt-5", "deepseek%2Fdeepseek-chat", "nope"];
const NUMBERS = [
  "0", "1", "2", "3", "5", "-1", "1.5", "1e3", "1e309", "NaN", "Infinity", "0x10", "007",
  "2147483648", "9007199254740993", "99999999999999999999", "%201", "1%20",
];
const NASTY = [
  "", ".", "..", "...", "%2e%2e", "%2E", "%00", "%zz", "%", "%2", "%%", "%2F", "%252F", "%5C", "\\",
  "%0A", "%0D%0A", "%20", "+", "%2B", "%C3%28", "%ED%A0%80", "%F0%9F%92%A5", "%EF%BB%BF", "%FF", "\u00e9", "\u00ff",
  encoded("指数"), encoded("CTPI\u200b"), "~", "*", "'", '"', "<script>", "$%7Bx%7D", "{code}", ";", ",", "=", "&",
  "?", "#", "/", "//", "null", "undefined", "true", "__proto__", "constructor", "toString", "hasOwnProperty",
  "x".repeat(5000), "9".repeat(400), "%41".repeat(300), encoded("'; DROP TABLE fixings;--"),
];

/** Arbitrary text: unicode and raw bytes, each written to the wire its own way. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 24 }).map(encoded),
  fc.string({ unit: "binary", maxLength: 24 }).map(wire),
  fc.string({ unit: "binary-ascii", maxLength: 24 }).map(wire),
);

function pool(...lists: string[][]): fc.Arbitrary<string> {
  return fc.constantFrom(...[...new Set(lists.flat())]);
}

/** Values fitting a parameter, by what its name says it is; the first is a real one. */
function fittingValues(name: string, known: string[] = []): string[] {
  const n = name.toLowerCase();
  const fitting: string[] = [...known.map(encoded)];
  if (/code|index/.test(n)) fitting.push(...CODES);
  if (/time|instant|as_of|asof|^at$|from|to|since|until|date/.test(n)) fitting.push(...INSTANTS, ...DATES);
  if (/month/.test(n)) fitting.push(...MONTHS);
  if (/provider/.test(n)) fitting.push(...PROVIDERS);
  if (/model/.test(n)) fitting.push(...MODELS);
  if (/revision|limit|page|id|count|n$/.test(n)) fitting.push(...NUMBERS);
  if (/kind/.test(n)) fitting.push("final", "indicative", "FINAL", "both");
  if (/format/.test(n)) fitting.push("json", "csv", "CSV", "xml", "html");
  if (fitting.length === 0) fitting.push(...CODES, ...INSTANTS.slice(0, 4), ...NUMBERS.slice(0, 4));
  return fitting;
}

/** A value for a parameter, chosen by what its name says it is, mixed with nasty ones. */
export function valueFor(name: string, known: string[] = []): fc.Arbitrary<string> {
  const fitting = fittingValues(name, known);
  return fc.oneof(
    { weight: 6, arbitrary: pool(fitting) },
    { weight: 3, arbitrary: pool(NASTY, NUMBERS, INSTANTS, MONTHS) },
    { weight: 1, arbitrary: anyText },
  );
}

const SEGMENTS = [
  "v1", "v2", "V1", "indices", "INDICES", "CTPI", "NOPE", "latest", "fixings", "revisions", "settlement", "models",
  "prices", "stream", "keys", "admin", "openapi.json", "docs", "widget", "health", "metrics", "static", "assets",
  "index.html", "favicon.ico", "2026-09-29T08:00:00Z",
];

/** A path made of known words, nasty segments and noise, in any order. */
export const randomPath: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 5, arbitrary: pool(SEGMENTS) }, { weight: 3, arbitrary: pool(NASTY) }, { weight: 1, arbitrary: anyText }), {
      maxLength: 7,
    }),
    fc.boolean(),
  )
  .map(([segments, trailingSlash]) => `/${segments.join("/")}${trailingSlash && segments.length > 0 ? "/" : ""}`);

/** A path from a template, each `{param}` replaced by a value for it. */
export function templatePath(route: RouteTemplate): fc.Arbitrary<string> {
  const values = route.pathParams.map((name) => (name === "wildcard" ? randomPath.map((p) => p.slice(1)) : valueFor(name)));
  return fc.tuple(...values).map((chosen) => {
    let i = 0;
    const path = route.template.replace(/\{[^}]+\}/g, () => chosen[i++]!);
    return path;
  });
}

const COMMON_QUERY_NAMES = ["from", "to", "format", "kind", "revision", "as_of", "month", "since", "limit", "page", "callback", "utm_source", "__proto__", ""];

/** A query string: declared and unknown names, duplicates, empty and missing values. */
export function queryString(route: RouteTemplate | null): fc.Arbitrary<string> {
  const declared = route?.queryParams ?? [];
  const names = [...new Set([...declared.map((p) => p.name), ...COMMON_QUERY_NAMES])];
  const pair = fc
    .constantFrom(...names)
    .chain((name) =>
      fc.tuple(
        fc.constant(name),
        valueFor(name, declared.find((p) => p.name === name)?.values),
        fc.constantFrom("k=v", "k=v", "k=v", "k=", "k", "=v"),
      ),
    )
    .map(([name, value, shape]) => (shape === "k=v" ? `${name}=${value}` : shape === "k=" ? `${name}=` : shape === "k" ? name : `=${value}`));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant("") },
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join("&")}`) },
    { weight: 1, arbitrary: fc.constantFrom("?", "??", "?&&", "?%zz", "?=", "?a=%", "?from=%00", "?format=csv&format=json", "?kind=final&kind=indicative") },
  );
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Request headers: content negotiation, conditionals, resumption, credentials, ranges. */
export function headers(knownEtags: () => string[], adminToken: string): fc.Arbitrary<Record<string, string>> {
  const etag = fc.nat().map((i) => {
    const all = knownEtags();
    return all.length > 0 ? all[i % all.length]! : '"none-yet"';
  });
  return fc
    .record(
      {
        accept: fc.oneof(
          fc.constantFrom(
            "application/json", "text/csv", "text/csv;q=0.5, application/json", "*/*", "text/html", "text/event-stream",
            "application/xml", "garbage", "", ";;;", "text/csv;q=abc", "application/json;q=0", "text/*", "*/*;q=0",
          ),
          printable,
        ),
        "if-none-match": fc.oneof(fc.constantFrom("*", '""', '"', "W/", 'W/"x"', "garbage", "a, b", "*, *"), etag, etag.map((e) => `W/${e}`), etag.map((e) => `"x", ${e}`), printable),
        "if-modified-since": fc.constantFrom("Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "yesterday", ""),
        "last-event-id": fc.oneof(pool(NUMBERS), fc.constantFrom("", "abc", "1:2", "-0"), printable),
        authorization: fc.oneof(
          fc.constantFrom("Bearer", "Bearer ", "bearer x", "Basic Zm9vOmJhcg==", "Bearer " + "x".repeat(2000), `Bearer ${adminToken}x`, `Bearer  ${adminToken}`),
          fc.constant(`Bearer ${adminToken}`),
          printable,
        ),
        range: fc.constantFrom("bytes=0-10", "bytes=abc", "bytes=-5", "bytes=10-5", "bytes=0-0,5-6", "bytes=99999999-", "items=0-1", ""),
        origin: fc.constantFrom("https://example.com", "null", ""),
        "access-control-request-method": fc.constantFrom("GET", "POST", "DELETE", "garbage"),
        "content-type": fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"),
        "x-forwarded-for": fc.constantFrom("1.2.3.4", "garbage", ""),
      },
      { requiredKeys: [] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>);
}

export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("GET") },
  { weight: 5, arbitrary: fc.constant("HEAD") },
  { weight: 2, arbitrary: fc.constant("OPTIONS") },
  { weight: 1, arbitrary: fc.constantFrom("POST", "PUT", "DELETE", "PATCH") },
);

const body = fc.oneof(fc.constant(undefined), fc.constantFrom("{}", "{", "null", '{"index":"CTPI"}', "a=b"), printable);

/**
 * A whole request. The operator token only ever goes with a safe method: a valid
 * credential on POST could start real work (collectors reaching the network).
 */
export function request(path: fc.Arbitrary<string>, route: RouteTemplate | null, hdrs: fc.Arbitrary<Record<string, string>>, adminToken: string): fc.Arbitrary<RawRequest> {
  return fc.record({ method, path, query: queryString(route), headers: hdrs, body }).map((r) => {
    const safe = r.method === "GET" || r.method === "HEAD" || r.method === "OPTIONS";
    const headers = { ...r.headers };
    if (!safe && headers.authorization?.includes(adminToken)) headers.authorization = "Bearer wrong-token-0000000";
    const withBody = r.method !== "GET" && r.method !== "HEAD" && r.body !== undefined;
    return { method: r.method, target: r.path + r.query, headers, ...(withBody ? { body: r.body } : {}) };
  });
}

// The values most likely to reach a database or a parser unguarded.
const SWEEP = ["%00", "a%00b", "%zz", "%", "%0A", "%C3%28", "%ED%A0%80", "%FF", "..", "%2F", "", "x".repeat(3000), "9".repeat(400), "-1", "%F0%9F%92%A5"];

/**
 * Every path and query parameter of every route, one nasty value at a time, the others
 * real: a fixed list, so no route's parameter is left to chance.
 */
export function sweep(routes: RouteTemplate[]): RawRequest[] {
  const out: RawRequest[] = [];
  for (const route of routes) {
    const real = Object.fromEntries(route.pathParams.map((p) => [p, p === "wildcard" ? "x" : fittingValues(p)[0]!]));
    const fill = (values: Record<string, string>) => route.template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name]!);
    for (const param of route.pathParams) {
      for (const v of SWEEP) out.push({ method: "GET", target: fill({ ...real, [param]: v }), headers: {} });
    }
    for (const q of route.queryParams) {
      for (const v of SWEEP) out.push({ method: "GET", target: `${fill(real)}?${q.name}=${v}`, headers: {} });
    }
  }
  return out;
}
