/** The collectors' HTTP fetch against a local server that serves recorded files and misbehaves. */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CiyuanError } from "../../src/errors.ts";
import { FetchError, fetchSource, type FetchRequest, type FetchResult } from "../../src/sources/fetch.ts";
import { closedPort, FIXTURE_LAST_MODIFIED, FIXTURES_DIR, startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";

const SHEET = "prices/deepseek.2025-12-20.json";
const SHEET_BYTES = fs.readFileSync(FIXTURES_DIR + SHEET);
/** Short enough to keep the suite fast, long enough for a loaded machine to answer a healthy request. */
const TIMEOUT = 300;
const BACKOFF = 20;

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function request(path: string, extra: Partial<FetchRequest> = {}): FetchRequest {
  return { url: server.url(path), timeoutMs: TIMEOUT, backoffMs: BACKOFF, ...extra };
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

async function fails(req: FetchRequest): Promise<{ error: FetchError; ms: number }> {
  const start = performance.now();
  try {
    await fetchSource(req);
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return { error: error as FetchError, ms: performance.now() - start };
  }
  throw new Error(`expected ${req.url} to fail`);
}

function body(result: FetchResult): Buffer {
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status}`);
  return result.body;
}

describe("a recorded file served with 200", () => {
  it("returns the bytes unchanged with their sha256, validators, content type and final URL", async () => {
    const result = await fetchSource(request(`/files/${SHEET}`));
    expect(result).toMatchObject({
      status: 200,
      etag: server.etagOf(SHEET),
      lastModified: FIXTURE_LAST_MODIFIED,
      contentType: "application/json",
      finalUrl: server.url(`/files/${SHEET}`),
      attempts: 1,
    });
    expect(body(result).equals(SHEET_BYTES)).toBe(true);
    expect(result.status === 200 && result.sha256).toBe(createHash("sha256").update(SHEET_BYTES).digest("hex"));
  });
  it("sends the configured headers", async () => {
    await fetchSource(request(`/files/${SHEET}`, { headers: { Authorization: "Bearer abc", "X-Feed": "1" } }));
    expect(server.requestsTo(`/files/${SHEET}`)[0]!.headers).toMatchObject({ authorization: "Bearer abc", "x-feed": "1" });
  });
  it("decodes a gzip-encoded body", async () => {
    expect(body(await fetchSource(request(`/gzip/${SHEET}`))).equals(SHEET_BYTES)).toBe(true);
  });
});

describe("500 then 200 (retried)", () => {
  it("500 then 200 (retried): one retry, then the file", async () => {
    const result = await fetchSource(request(`/flaky/1/${SHEET}`));
    expect(body(result).equals(SHEET_BYTES)).toBe(true);
    expect(result.attempts).toBe(2);
    expect(server.attempts(`/flaky/1/${SHEET}`)).toBe(2);
  });
  it("500 twice then 200: the retries back off exponentially (base, then twice the base)", async () => {
    const { value, ms } = await timed(() => fetchSource(request(`/flaky/2/${SHEET}`, { backoffMs: 100 })));
    expect(value.attempts).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(100 + 200 - 5);
    expect(ms).toBeLessThan(2000);
  });
});

describe("always 500 (retried, then failed)", () => {
  it("fails with HTTP 500 after the first attempt and every retry", async () => {
    const { error, ms } = await fails(request("/status/500", { retries: 2 }));
    expect(error.reason).toBe("HTTP 500");
    expect(error).toMatchObject({ kind: "status", status: 500, attempts: 3 });
    expect(error).toBeInstanceOf(CiyuanError);
    expect(server.attempts("/status/500")).toBe(3);
    expect(ms).toBeLessThan(2000);
  });
  it("503 is retried too (any 5xx)", async () => {
    const { error } = await fails(request("/status/503", { retries: 1 }));
    expect(error).toMatchObject({ reason: "HTTP 503", attempts: 2 });
  });
});

describe("404 (not retried)", () => {
  it("404 (not retried): one attempt, reason HTTP 404", async () => {
    const { error } = await fails(request("/status/404"));
    expect(error).toMatchObject({ reason: "HTTP 404", kind: "status", status: 404, attempts: 1, retryable: false });
    expect(server.attempts("/status/404")).toBe(1);
  });
  it("429 and other 4xx are not retried either", async () => {
    const { error } = await fails(request("/status/429"));
    expect(error).toMatchObject({ reason: "HTTP 429", attempts: 1 });
  });
  it("a status other than 200 or 304 is an error (204 No Content)", async () => {
    const { error } = await fails(request("/status/204"));
    expect(error.reason).toBe("HTTP 204");
  });
});

describe("a hang past the timeout", () => {
  it("a hang past the timeout (headers never sent) fails after the timeout", async () => {
    const { error, ms } = await fails(request("/hang", { retries: 0 }));
    expect(error).toMatchObject({ reason: `timeout after ${TIMEOUT} ms`, kind: "timeout", attempts: 1 });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
    expect(ms).toBeLessThan(TIMEOUT + 700);
  });
  it("a timeout is retried, each attempt with its own deadline and after the backoff", async () => {
    const { error, ms } = await fails(request("/hang", { retries: 2, timeoutMs: 150, backoffMs: 50 }));
    expect(error).toMatchObject({ reason: "timeout after 150 ms", attempts: 3 });
    expect(server.attempts("/hang")).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(3 * 150 + 50 + 100 - 5);
    expect(ms).toBeLessThan(3 * 150 + 150 + 1000);
  });
  it("headers then a hanging body also time out (a total deadline per attempt)", async () => {
    const { error, ms } = await fails(request("/hang-body", { retries: 0 }));
    expect(error).toMatchObject({ reason: `timeout after ${TIMEOUT} ms`, attempts: 1 });
    expect(ms).toBeLessThan(TIMEOUT + 700);
  });
  it("a body trickling in, never idle but never done, times out at the same deadline", async () => {
    const { error, ms } = await fails(request("/trickle", { retries: 0 }));
    expect(error).toMatchObject({ reason: `timeout after ${TIMEOUT} ms`, attempts: 1 });
    expect(ms).toBeLessThan(TIMEOUT + 700);
  });
});

describe("the service stopping (signal)", () => {
  it("a hanging fetch is abandoned at once when the signal aborts: kind stopped, no retry", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const { error, ms } = await fails(request("/hang", { retries: 3, timeoutMs: 5_000, signal: stop.signal }));
    expect(error).toMatchObject({ kind: "stopped", reason: "stopped: the service is shutting down", retryable: false, attempts: 1 });
    expect(server.attempts("/hang")).toBe(1);
    expect(ms).toBeLessThan(1_000);
  });
  it("a signal aborted before the fetch makes no request that waits", async () => {
    const stop = new AbortController();
    stop.abort();
    const { error, ms } = await fails(request("/hang", { signal: stop.signal }));
    expect(error.kind).toBe("stopped");
    expect(ms).toBeLessThan(1_000);
  });
});

describe("a truncated body", () => {
  it("a truncated body (Content-Length larger than what arrives) is an error, not a short payload", async () => {
    const { error } = await fails(request("/truncated", { retries: 0 }));
    expect(error).toMatchObject({ reason: "truncated body (got 100 of 1000 bytes)", kind: "truncated", attempts: 1 });
  });
  it("a truncated body is retried like a network error", async () => {
    const { error } = await fails(request("/truncated", { retries: 1 }));
    expect(error.attempts).toBe(2);
    expect(server.attempts("/truncated")).toBe(2);
  });
  it("a chunked body cut off before its last chunk is truncated too", async () => {
    const { error } = await fails(request("/truncated-chunked", { retries: 0 }));
    expect(error).toMatchObject({ reason: "truncated body (connection closed after 100 bytes)", kind: "truncated" });
  });
  it("a gzip body cut off halfway is an error, not a short payload", async () => {
    const { error } = await fails(request(`/gzip-truncated/${SHEET}`, { retries: 0 }));
    expect(error.kind).toBe("truncated");
  });
});

describe("a body over max_bytes", () => {
  it("a body over max_bytes with Content-Length is refused before reading, not retried", async () => {
    const { error } = await fails(request("/big/5000", { maxBytes: 1000 }));
    expect(error).toMatchObject({ reason: "body over 1000 bytes", kind: "too_large", attempts: 1 });
    expect(server.attempts("/big/5000")).toBe(1);
  });
  it("a body over max_bytes without Content-Length (chunked) is cut off as soon as it is over", async () => {
    const total = 200 * 1024 * 1024;
    const { error, ms } = await fails(request(`/big-chunked/${total}`, { maxBytes: 1024 * 1024, timeoutMs: 5000 }));
    expect(error).toMatchObject({ reason: "body over 1048576 bytes", attempts: 1 });
    expect(ms).toBeLessThan(2000);
  });
  it("a body over max_bytes that ends only when the connection closes is cut off too", async () => {
    const total = 200 * 1024 * 1024;
    const { error, ms } = await fails(request(`/big-until-close/${total}`, { maxBytes: 1024 * 1024, timeoutMs: 5000 }));
    expect(error).toMatchObject({ reason: "body over 1048576 bytes", attempts: 1 });
    expect(ms).toBeLessThan(2000);
  });
  it("a body without any length that ends at connection close, under the limit, is accepted whole", async () => {
    expect(body(await fetchSource(request("/big-until-close/5000", { maxBytes: 10_000 }))).length).toBe(5000);
  });
  it("a body of exactly max_bytes is accepted", async () => {
    expect(body(await fetchSource(request("/big-chunked/1000", { maxBytes: 1000 }))).length).toBe(1000);
  });
});

describe("HTML instead of JSON", () => {
  it("HTML instead of JSON comes back as a 200 with its content type, for the collector's parser to refuse", async () => {
    const result = await fetchSource(request("/html"));
    expect(result).toMatchObject({ status: 200, contentType: "text/html; charset=utf-8", attempts: 1 });
    expect(body(result).toString("utf8")).toMatch(/^<!doctype html>/);
  });
});

describe("a redirect loop", () => {
  it("a redirect loop fails with too many redirects, not retried", async () => {
    const { error, ms } = await fails(request("/loop"));
    expect(error).toMatchObject({ reason: "too many redirects", kind: "redirects", attempts: 1 });
    expect(server.attempts("/loop")).toBe(6);
    expect(ms).toBeLessThan(1000);
  });
  it("redirects within the limit are followed and the final URL is reported", async () => {
    const result = await fetchSource(request(`/redirect/3/${SHEET}`));
    expect(body(result).equals(SHEET_BYTES)).toBe(true);
    expect(result.finalUrl).toBe(server.url(`/files/${SHEET}`));
  });
});

describe("304 Not Modified", () => {
  it("304 Not Modified when If-None-Match carries the ETag served before", async () => {
    const first = await fetchSource(request(`/files/${SHEET}`));
    if (first.status !== 200) throw new Error("expected 200");
    const second = await fetchSource(request(`/files/${SHEET}`, { etag: first.etag }));
    expect(second).toMatchObject({ status: 304, etag: first.etag, attempts: 1 });
    expect(second).not.toHaveProperty("body");
    const [plain, conditional] = server.requestsTo(`/files/${SHEET}`);
    expect(plain!.headers["if-none-match"]).toBeUndefined();
    expect(conditional!.headers["if-none-match"]).toBe(first.etag);
  });
  it("304 Not Modified when If-Modified-Since carries the Last-Modified served before", async () => {
    const result = await fetchSource(request(`/files/${SHEET}`, { lastModified: FIXTURE_LAST_MODIFIED }));
    expect(result.status).toBe(304);
    expect(server.requestsTo(`/files/${SHEET}`)[0]!.headers["if-modified-since"]).toBe(FIXTURE_LAST_MODIFIED);
  });
  it("a stale ETag gets the full body", async () => {
    const result = await fetchSource(request(`/files/${SHEET}`, { etag: '"stale"' }));
    expect(body(result).equals(SHEET_BYTES)).toBe(true);
  });
});

describe("network errors", () => {
  it("a connection reset is a network error, retried", async () => {
    const { error } = await fails(request("/reset", { retries: 1 }));
    expect(error).toMatchObject({ reason: "network: ECONNRESET", kind: "network", attempts: 2 });
    expect(server.attempts("/reset")).toBe(2);
  });
  it("a refused connection is a network error, retried", async () => {
    const port = await closedPort();
    const { error, ms } = await fails({ url: `http://127.0.0.1:${port}/x`, timeoutMs: TIMEOUT, backoffMs: BACKOFF, retries: 2 });
    expect(error).toMatchObject({ reason: "network: ECONNREFUSED", attempts: 3 });
    expect(ms).toBeLessThan(1000);
  });
  it("a URL that is not http(s) is refused without a request", async () => {
    const { error } = await fails({ url: "file:///etc/passwd" });
    expect(error).toMatchObject({ reason: "unsupported protocol file:", kind: "request", attempts: 0 });
  });
});
