/** Text-level helpers shared by the parsers: decoding, format detection, line numbers, BOM. */
import { isLosslessNumber } from "lossless-json";
import { InputError } from "../errors.ts";

/** One input record and where it came from: a CSV line, or a JSON path like `rates[2]`. */
export type RecordUnit = { line: number | undefined; path: string; seq: number; fields: Record<string, unknown> };

/** Which format a file holds: by its extension, else by its first characters. */
export type TextFormat = "json" | "csv" | "ecb-xml";

export function formatByName(location: string): TextFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(location)?.[1]?.toLowerCase();
  if (ext === "json") return "json";
  if (ext === "csv") return "csv";
  if (ext === "xml") return "ecb-xml";
  return undefined;
}

export function formatByContent(head: string): TextFormat {
  const first = head.replace(/^\uFEFF/, "").trimStart()[0];
  if (first === "{" || first === "[") return "json";
  if (first === "<") return "ecb-xml";
  return "csv";
}

export function detectFormat(location: string, head: string): TextFormat {
  return formatByName(location) ?? formatByContent(head);
}

/** Maps a character offset in `text` to its line number (1-based). */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** A lossless-json syntax error's position ("... at position 11") as a line. */
export function jsonErrorLine(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  return m ? lineIndex(text)(parseInt(m[1]!, 10)) : undefined;
}

/**
 * The one rule for what an input file must be before any parser or the database sees it:
 * UTF-8 text. Not UTF-8 (a UTF-16 file, binary, a latin-1 export) or a NUL byte anywhere
 * (Postgres text cannot hold one; no text file has one) is this error, naming only the file:
 * no line or field of such bytes means anything.
 */
export const NOT_TEXT = "not a UTF-8 text file";
export const notText = (location: string): InputError => new InputError(location, undefined, undefined, NOT_TEXT);

/** Whether bytes are UTF-8 text: no UTF-16 byte order mark, no NUL, valid UTF-8. */
export function isText(bytes: Uint8Array): boolean {
  return decodeOrNull(bytes) !== null;
}

/**
 * An input file's bytes as text, or `notText`. A UTF-8 BOM is kept (the parsers strip it),
 * so the text hashes to the file's own bytes. A string that arrived already decoded is
 * checked for a NUL character, the trace a lossy decoder leaves of a binary file.
 */
export function decodeText(location: string, input: Uint8Array | string): string {
  const text = typeof input === "string" ? (input.includes("\0") ? null : input) : decodeOrNull(input);
  if (text === null) throw notText(location);
  return text;
}

// fatal: a byte sequence that is not UTF-8 throws rather than becoming U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeOrNull(bytes: Uint8Array): string | null {
  // FF FE / FE FF are never UTF-8; named here so the rule reads whole.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return null;
  if (bytes.indexOf(0) !== -1) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export const stripBom = (text: string): string => text.replace(/^\uFEFF/, "");

/** A JSON object; lossless-json numbers are objects too, and are not. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
