// Small fetch helpers for the HTTP tests: the raw text is kept, since exact numbers are
// checked in the JSON text itself, not after a float parse.
import { LosslessNumber, parse } from "lossless-json";

export type Got = { status: number; headers: Headers; text: string; json: any };

export async function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const json = type.startsWith("application/json") ? parse(text, null, keepExact) : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

// Small integers (revision, counts) as numbers; every other number keeps its exact text
// as a LosslessNumber.
function keepExact(text: string): unknown {
  return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : new LosslessNumber(text);
}

/** The exact text of a JSON number parsed by lossless-json. */
export const n = (value: unknown): string => String(value);
