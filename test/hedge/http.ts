// POST /v1/hedge from the tests: the raw text is kept, and the JSON parsed with every number
// as its exact text (LosslessNumber), as test/publish/http.ts does for GET.
import { LosslessNumber, parse } from "lossless-json";
import { HedgeAnswer } from "../../src/publish/routes/v1/hedge.ts";

export type Posted = { status: number; headers: Headers; text: string; json: any };

const keepExact = (text: string): unknown =>
  /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : new LosslessNumber(text);

/** A JSON text with exact numbers (CLI stdout, a route's body). */
export const parseExact = (text: string): any => parse(text, null, keepExact);

export async function postBill(base: string, index: string | null, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = { "Content-Type": "text/csv" }): Promise<Posted> {
  const query = index === null ? "" : `?index=${encodeURIComponent(index)}`;
  const res = await fetch(`${base}/v1/hedge${query}`, { method: "POST", headers, body });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, text, json: type.startsWith("application/json") ? parseExact(text) : undefined };
}

/** A 200 answer checked against the route's own response schema. */
export function checkedAnswer(r: Posted): any {
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${r.text}`);
  HedgeAnswer.parse(JSON.parse(r.text));
  return r.json;
}
