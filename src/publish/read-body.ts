/**
 * A request body read whole, up to a limit: a declared Content-Length over it is refused
 * before a byte is read, and a body sent without one (chunked) is counted as it streams
 * and dropped the moment it passes the limit, so no more than the limit is ever held.
 */

export type LimitedBody = { body: Buffer } | { tooLarge: true; bytes: number };

export async function readBodyWithin(request: Request, limit: number): Promise<LimitedBody> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return { tooLarge: true, bytes: declared };
  if (!request.body) return { body: Buffer.alloc(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => {});
      return { tooLarge: true, bytes };
    }
    chunks.push(value);
  }
  return { body: Buffer.concat(chunks, bytes) };
}
