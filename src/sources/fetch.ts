/**
 * The HTTP fetch every collector uses: one GET with a total deadline per attempt, a size
 * limit enforced while the body streams in, a redirect limit, conditional GET, and retries
 * with exponential backoff on 5xx, network errors and timeouts only (axios-retry).
 * Returns the whole body as bytes (with its sha256) or "304 Not Modified"; anything else
 * throws a FetchError whose `reason` is one line fit for `name: failed: reason`.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress, createUnzip } from "node:zlib";
import axios, { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from "axios";
import axiosRetry from "axios-retry";
import { CiyuanError } from "../errors.ts";

export const FETCH_DEFAULTS = {
  timeoutMs: 10_000,
  maxBytes: 20 * 1024 * 1024,
  retries: 3,
  backoffMs: 1_000,
  maxRedirects: 5,
} as const;

export interface FetchRequest {
  url: string;
  /** Deadline for one attempt, from connect to the last body byte. */
  timeoutMs?: number;
  /** Limit on the (decoded) body; checked while streaming. */
  maxBytes?: number;
  headers?: Record<string, string>;
  /** From the previous 200: sent as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
  /** Retries after the first attempt; the n-th waits backoffMs * 2^(n-1). */
  retries?: number;
  backoffMs?: number;
  maxRedirects?: number;
  /** Aborts the fetch for good (the service stopping): no retry, kind `stopped`. */
  signal?: AbortSignal;
}

export interface FetchedBody {
  status: 200;
  body: Buffer;
  sha256: string;
  etag?: string;
  lastModified?: string;
  contentType?: string;
  finalUrl: string;
  attempts: number;
}

export interface NotModified {
  status: 304;
  etag?: string;
  lastModified?: string;
  finalUrl: string;
  attempts: number;
}

export type FetchResult = FetchedBody | NotModified;

export type FetchFailureKind = "request" | "status" | "timeout" | "too_large" | "truncated" | "encoding" | "redirects" | "network" | "stopped";

export class FetchError extends CiyuanError {
  /** Attempts made in all, set when the error leaves fetchSource. */
  attempts = 1;
  constructor(
    readonly url: string,
    readonly kind: FetchFailureKind,
    readonly reason: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super("bad_input", reason);
    this.name = "FetchError";
  }
}

/** Carries a FetchError through axios-retry, which needs the request config on the error. */
class AttemptError extends Error {
  constructor(
    readonly config: InternalAxiosRequestConfig,
    readonly failure: FetchError,
  ) {
    super(failure.reason);
  }
}

export async function fetchSource(req: FetchRequest): Promise<FetchResult> {
  const url = req.url;
  const timeoutMs = req.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
  const maxBytes = req.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  const backoffMs = req.backoffMs ?? FETCH_DEFAULTS.backoffMs;
  const invalid = checkUrl(url);
  if (invalid) throw invalid;

  const client = axios.create();
  let attempts = 0;
  let deadline: Deadline | undefined;

  // Request interceptors run last-registered first; this one arms each attempt's deadline.
  client.interceptors.request.use((config) => {
    attempts += 1;
    deadline?.clear();
    deadline = armDeadline(timeoutMs, req.signal);
    config.signal = deadline.signal;
    return config;
  });
  // Registered before axios-retry so its failures are what the retry condition sees.
  client.interceptors.response.use(
    async (response) => {
      const current = deadline!;
      try {
        return await settleResponse(response, url, maxBytes, timeoutMs, current);
      } catch (err) {
        throw new AttemptError(response.config, asFetchError(err, url, timeoutMs, current, req.signal));
      } finally {
        current.clear();
      }
    },
    (err: unknown) => {
      deadline?.clear();
      if (err instanceof AttemptError) throw err;
      const config = err instanceof AxiosError ? err.config : undefined;
      const failure = asFetchError(err, url, timeoutMs, deadline, req.signal);
      if (!config) throw failure;
      throw new AttemptError(config, failure);
    },
  );
  axiosRetry(client, {
    retries: req.retries ?? FETCH_DEFAULTS.retries,
    retryCondition: (err) => !req.signal?.aborted && (err as unknown) instanceof AttemptError && (err as unknown as AttemptError).failure.retryable,
    retryDelay: (retryCount) => backoffMs * 2 ** (retryCount - 1),
    // The previous attempt's signal is aborted after a timeout; axios-retry would then
    // skip the backoff. The next attempt gets a fresh one from the request interceptor.
    onRetry: (_count, _err, config) => {
      delete config.signal;
    },
  });

  const headers: Record<string, string> = {
    "User-Agent": "ciyuan-collector/1",
    "Accept-Encoding": "gzip, deflate, br",
    ...req.headers,
  };
  if (req.etag !== undefined) headers["If-None-Match"] = req.etag;
  if (req.lastModified !== undefined) headers["If-Modified-Since"] = req.lastModified;

  try {
    const response = await client.get<FetchResult>(url, {
      headers,
      responseType: "stream",
      // Decoded here, strictly, so a cut-off gzip body is an error, not a short payload.
      decompress: false,
      maxRedirects: req.maxRedirects ?? FETCH_DEFAULTS.maxRedirects,
      validateStatus: () => true,
      timeout: 0,
      httpAgent: FRESH_SOCKETS.http,
      httpsAgent: FRESH_SOCKETS.https,
    });
    return { ...response.data, attempts };
  } catch (err) {
    const failure = req.signal?.aborted ? asFetchError(err, url, timeoutMs, deadline, req.signal) : err instanceof AttemptError ? err.failure : asFetchError(err, url, timeoutMs, deadline);
    failure.attempts = attempts;
    throw failure;
  } finally {
    deadline?.clear();
  }
}

/**
 * A source is polled every few minutes at most, so a kept-alive socket saves nothing and
 * costs something: a pooled socket can die between polls, and axios adds an error
 * listener to a reused socket per request (MaxListenersExceededWarning). One socket per
 * request instead.
 */
const FRESH_SOCKETS = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

interface Deadline {
  signal: AbortSignal;
  expired(): boolean;
  clear(): void;
}

/** One attempt's deadline; `stop` (the service stopping) aborts it as well, at once. */
function armDeadline(ms: number, stop?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`timeout after ${ms} ms`));
  }, ms);
  const onStop = () => controller.abort(new Error("stopped"));
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      clearTimeout(timer);
      stop?.removeEventListener("abort", onStop);
    },
  };
}

/** A URL that can never be fetched: an error with no attempt made. */
function checkUrl(url: string): FetchError | undefined {
  let reason: string | undefined;
  try {
    const { protocol } = new URL(url);
    if (protocol !== "http:" && protocol !== "https:") reason = `unsupported protocol ${protocol}`;
  } catch {
    reason = `invalid URL: ${url}`;
  }
  if (reason === undefined) return undefined;
  const error = new FetchError(url, "request", reason, false);
  error.attempts = 0;
  return error;
}

async function settleResponse(
  response: AxiosResponse,
  url: string,
  maxBytes: number,
  timeoutMs: number,
  deadline: Deadline,
): Promise<AxiosResponse<FetchResult>> {
  const stream = response.data as Readable;
  const header = (name: string): string | undefined => {
    const value: unknown = response.headers[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const finalUrl = finalUrlOf(response) ?? url;
  const validators = { etag: header("etag"), lastModified: header("last-modified") };
  if (response.status === 304) {
    stream.destroy();
    return { ...response, data: { status: 304, ...dropUndefined(validators), finalUrl, attempts: 0 } };
  }
  if (response.status !== 200) {
    stream.destroy();
    throw new FetchError(url, "status", `HTTP ${response.status}`, response.status >= 500, response.status);
  }
  const body = await readBody(stream, url, {
    maxBytes,
    timeoutMs,
    deadline,
    declared: header("content-length"),
    encoding: header("content-encoding"),
  });
  const data: FetchedBody = {
    status: 200,
    body,
    sha256: createHash("sha256").update(body).digest("hex"),
    ...dropUndefined({ ...validators, contentType: header("content-type") }),
    finalUrl,
    attempts: 0,
  };
  return { ...response, data };
}

interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
  deadline: Deadline;
  declared: string | undefined;
  encoding: string | undefined;
}

async function readBody(stream: Readable, url: string, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes } = limits;
  const tooLarge = () => new FetchError(url, "too_large", `body over ${maxBytes} bytes`, false);
  const declared = limits.declared !== undefined && /^\d+$/.test(limits.declared) ? Number(limits.declared) : undefined;
  if (declared !== undefined && declared > maxBytes) {
    stream.destroy();
    throw tooLarge();
  }
  const decoder = decoderFor(limits.encoding, url);

  let received = 0;
  let decoded = 0;
  const chunks: Buffer[] = [];
  const countWire = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      // A compressed body can only be larger once decoded, so this check is safe for both.
      done(received > maxBytes ? tooLarge() : null, chunk);
    },
  });
  const collect = new Writable({
    write(chunk: Buffer, _enc, done) {
      decoded += chunk.length;
      if (decoded > maxBytes) return done(tooLarge());
      chunks.push(chunk);
      done();
    },
  });
  const truncated = () =>
    new FetchError(
      url,
      "truncated",
      declared !== undefined ? `truncated body (got ${received} of ${declared} bytes)` : `truncated body (connection closed after ${received} bytes)`,
      true,
    );

  try {
    await pipeline(decoder ? [stream, countWire, decoder, collect] : [stream, countWire, collect], { signal: limits.deadline.signal });
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (limits.deadline.expired()) throw new FetchError(url, "timeout", `timeout after ${limits.timeoutMs} ms`, true);
    if (declared !== undefined ? received < declared : isConnectionLoss(err)) throw truncated();
    if (decoder) throw new FetchError(url, "encoding", `bad ${limits.encoding} body: ${messageOf(err)}`, false);
    throw new FetchError(url, "network", `network: ${codeOf(err) ?? messageOf(err)}`, true);
  }
  if (declared !== undefined && received < declared) throw truncated();
  return Buffer.concat(chunks);
}

function decoderFor(encoding: string | undefined, url: string): Transform | undefined {
  switch ((encoding ?? "identity").trim().toLowerCase()) {
    case "identity":
      return undefined;
    case "gzip":
    case "x-gzip":
    case "deflate":
      return createUnzip();
    case "br":
      return createBrotliDecompress();
    default:
      throw new FetchError(url, "encoding", `unsupported content-encoding ${encoding}`, false);
  }
}

function finalUrlOf(response: AxiosResponse): string | undefined {
  const request = response.request as { res?: { responseUrl?: unknown } } | undefined;
  const responseUrl = request?.res?.responseUrl;
  return typeof responseUrl === "string" && responseUrl !== "" ? responseUrl : undefined;
}

function asFetchError(err: unknown, url: string, timeoutMs: number, deadline: Deadline | undefined, stop?: AbortSignal): FetchError {
  if (stop?.aborted) return new FetchError(url, "stopped", "stopped: the service is shutting down", false);
  if (err instanceof FetchError) return err;
  if (err instanceof AttemptError) return err.failure;
  if (deadline?.expired()) return new FetchError(url, "timeout", `timeout after ${timeoutMs} ms`, true);
  const code = codeOf(err);
  if (code === "ERR_FR_TOO_MANY_REDIRECTS") return new FetchError(url, "redirects", "too many redirects", false);
  if (code === "ERR_INVALID_URL" || code === "ERR_BAD_OPTION" || code === "ERR_BAD_OPTION_VALUE" || code === "ERR_NOT_SUPPORT") {
    return new FetchError(url, "request", `invalid request: ${messageOf(err)}`, false);
  }
  if (code === "ERR_FR_REDIRECTION_FAILURE") return new FetchError(url, "redirects", `bad redirect: ${messageOf(err)}`, false);
  return new FetchError(url, "network", `network: ${code ?? messageOf(err)}`, true);
}

function isConnectionLoss(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || messageOf(err) === "aborted";
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  // axios wraps socket errors; the system code (ECONNREFUSED, ...) is the useful one.
  const causeCode = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof causeCode === "string" && /^E[A-Z]+$/.test(causeCode)) return causeCode;
  return typeof code === "string" && code !== "" && code !== "ERR_NETWORK" ? code : undefined;
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!;
}

function dropUndefined<T extends Record<string, string | undefined>>(record: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}
