/**
 * Writing HTTP answers: exact-number JSON, and streamed bodies for long lists. A streamed
 * answer waits for its first chunk (the first database page) before it commits to 200,
 * so a failure there is still a proper error response.
 */
import type { Context } from "hono";
import { batches } from "./batches.ts";
import { bodyTag } from "./caching.ts";
import { toJson } from "./json.ts";

export const JSON_TYPE = "application/json; charset=utf-8";
export const CSV_TYPE = "text/csv; charset=utf-8; header=present";

export function jsonResponse(c: Context, value: unknown): Response {
  return textResponse(c, toJson(value), JSON_TYPE);
}

/** A whole body with its strong ETag, set as it is made so the caching middleware need not read it back. */
export function textResponse(c: Context, text: string, contentType: string): Response {
  return c.body(text, 200, { "Content-Type": contentType, ETag: bodyTag(Buffer.from(text, "utf8")) });
}

/** `{"data":[...]}` written item by item, a batch per chunk. */
export async function* jsonList<T>(items: AsyncIterable<T>, render: (item: T) => object, batchSize = 200): AsyncGenerator<string> {
  let first = true;
  for await (const batch of batches(items, batchSize)) {
    const body = batch.map((item) => toJson(render(item))).join(",");
    yield first ? `{"data":[${body}` : `,${body}`;
    first = false;
  }
  yield first ? `{"data":[]}` : "]}";
}

export async function streamResponse(c: Context, chunks: AsyncIterable<string>, contentType: string): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head = await iterator.next();
  const encoder = new TextEncoder();
  let pending: IteratorResult<string> | null = head;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pending ?? (await iterator.next());
      pending = null;
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
  return c.body(body, 200, { "Content-Type": contentType });
}

/**
 * The route definitions type their 200 bodies as zod-described JSON, but our bodies are
 * written by toJson (exact numbers), which hono's typed c.json() cannot do. This is the
 * one place that tells the type checker so.
 */
export function untyped(response: Response): never {
  return response as never;
}
