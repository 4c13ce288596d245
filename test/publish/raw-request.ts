/**
 * One HTTP request sent byte for byte as written: fetch() would normalise the URL (`..`
 * segments, percent-encodings, unicode), hiding exactly what the fuzz tests want to send.
 * An event stream never ends, so its body is not read: the answer is its status and
 * headers, and the connection is closed as soon as they arrive.
 */
import http from "node:http";

export type RawRequest = {
  method: string;
  /** Path and query as sent on the request line (characters 0x21-0xFF only). */
  target: string;
  headers: Record<string, string>;
  body?: string;
};

export type RawAnswer = {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** An event stream: closed after its headers, body not read. */
  eventStream: boolean;
};

export function rawRequest(base: string, request: RawRequest, timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: hostname,
      port,
      method: request.method,
      path: request.target,
      headers: request.headers,
      // A fresh connection each time: no answer depends on a previous request's socket.
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${request.method} ${request.target}`));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("response", (res) => {
      const type = String(res.headers["content-type"] ?? "");
      if (type.startsWith("text/event-stream")) {
        clearTimeout(timer);
        res.destroy();
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), eventStream: true });
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), eventStream: false });
      });
    });
    req.end(request.body);
  });
}
