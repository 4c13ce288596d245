/**
 * A fetched body through the same parsers, gates and importers as `ciyuan import`:
 * price sheets, registries (import-registry.ts), FX (our CSV/JSON or ECB XML) and
 * usage, and the public usage proxy's weeks (import-rankings.ts). Throws an InputError (or another CiyuanError)
 * when the body cannot be taken; the importers keep nothing half-stored.
 */
import { Readable } from "node:stream";
import type { Db } from "../db/index.ts";
import { InputError } from "../errors.ts";
import { importFx, importPrices, importUsage, type ImportOutcome } from "../normalise/index.ts";
import type { SourceConfig } from "../sources/config.ts";
import type { FetchedBody } from "../sources/fetch.ts";
import { decodeText, formatByName } from "../sources/index.ts";
import type { RegistrySkip } from "../sources/registry-sheet.ts";
import { importRankings } from "./import-rankings.ts";
import { importRegistry } from "./import-registry.ts";

/**
 * `notes`: what the registry rules did beyond storing sheets, for the run's detail line;
 * `skipped`: registry entries that could not be prices, for the run record.
 */
export type BodyImport = { noun: string; outcome: ImportOutcome; notes?: string[]; skipped?: RegistrySkip[] };

export async function importBody(db: Db, source: SourceConfig, fetched: FetchedBody, now: Date): Promise<BodyImport> {
  const location = source.url;
  const text = fetched.body.toString("utf8");
  refuseHtml(source, fetched, text);
  // Bytes that are not UTF-8 text are refused as `ciyuan import` refuses such a file (the
  // usage importer checks its stream itself).
  if (source.kind !== "usage") decodeText(location, fetched.body);
  switch (source.kind) {
    case "price-sheet":
      return { noun: "sheet", outcome: await importPrices(db, { location, text, source: source.name }) };
    case "litellm":
    case "openrouter":
      return { noun: "sheet", ...(await importRegistry(db, source, text, now)) };
    case "ecb":
      return { noun: "rate", outcome: await importFx(db, { location, text, format: "ecb-xml", source: source.name }) };
    case "fx": {
      const format = declaredFormat(fetched, location);
      return { noun: "rate", outcome: await importFx(db, { location, text, source: source.name, ...(format ? { format } : {}) }) };
    }
    case "usage": {
      const format = declaredFormat(fetched, location);
      const stream = Readable.from([fetched.body]);
      return { noun: "record", outcome: await importUsage(db, { location, stream, source: source.name, ...(format ? { format } : {}) }) };
    }
    case "openrouter-rankings":
      return { noun: "record", ...(await importRankings(db, source, text)) };
  }
}

/**
 * An error page served with 200 (a captive portal, a CDN's "unavailable") is a parse
 * failure with its own reason, not a sheet quarantined as broken JSON.
 */
function refuseHtml(source: SourceConfig, fetched: FetchedBody, text: string): void {
  const type = (fetched.contentType ?? "").toLowerCase();
  const head = text.replace(/^\uFEFF/, "").trimStart().slice(0, 64).toLowerCase();
  if (type.includes("text/html") || head.startsWith("<!doctype html") || head.startsWith("<html")) {
    const expected = source.kind === "ecb" ? "XML" : source.kind === "price-sheet" || source.kind === "fx" || source.kind === "usage" ? "JSON or CSV" : "JSON";
    throw new InputError(source.url, undefined, undefined, `got HTML (${fetched.contentType ?? "no content-type"}), expected ${expected}`);
  }
}

/** JSON or CSV by the Content-Type, else by the URL's extension; undefined: sniffed from the body. */
function declaredFormat(fetched: FetchedBody, url: string): "json" | "csv" | undefined {
  const type = (fetched.contentType ?? "").toLowerCase();
  if (type.includes("json")) return "json";
  if (type.includes("csv")) return "csv";
  const named = formatByName(new URL(url).pathname);
  return named === "json" || named === "csv" ? named : undefined;
}
