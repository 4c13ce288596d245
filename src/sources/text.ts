/** Text-level helpers shared by the parsers: format detection, line numbers, BOM. */
import { isLosslessNumber } from "lossless-json";

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

export const stripBom = (text: string): string => text.replace(/^\uFEFF/, "");

/** A JSON object; lossless-json numbers are objects too, and are not. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
