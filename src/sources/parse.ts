/**
 * The parse step of a collection and of a contribution: a body (its bytes, and what its
 * sender declared of it) becomes the typed input of the one store step
 * (normalise/store-input.ts), with the registry entries that could not be prices beside it.
 * Pure: no database, and no judgement on values beyond what finding the records takes (the
 * registry adapters check each price by the gates' own field rules, values/fields.ts, so
 * one bad entry is skipped rather than rejecting its provider's sheet). A body that cannot
 * be read at all throws an InputError naming it.
 *
 * One function per kind of input, used alike by `ciyuan import` (normalise's importers),
 * the collectors (`parseBody`, by the source's kind) and contributions.
 */
import { Readable } from "node:stream";
import { InputError } from "../errors.ts";
import type { SourceConfig } from "./config.ts";
import { parseEcb, type EcbDay } from "./ecb.ts";
import { fxCsvUnits, fxJsonUnits } from "./fx.ts";
import { litellmSheets } from "./litellm.ts";
import { rankingsWeek, type RankingsMapping, type RankingsWeek } from "./openrouter-rankings.ts";
import { openrouterSheets } from "./openrouter.ts";
import { parsePriceSheets, type SheetUnit } from "./price-sheet.ts";
import type { RegistryProviders, RegistrySheets, RegistrySkip } from "./registry-sheet.ts";
import { decodeText, detectFormat, formatByContent, formatByName, type RecordUnit } from "./text.ts";

/** A file or body of price sheets, split into its sheets (the unit of acceptance). */
export type PriceSheetsInput = { kind: "price-sheets"; location: string; text: string; units: SheetUnit[] };

/**
 * A registry (LiteLLM, OpenRouter) read as one sheet per mapped provider. `previous`: the
 * source's previous successful fetch read the same way (the two-fetch rule's evidence),
 * null when there is none or it no longer reads.
 */
export type RegistryInput = {
  kind: "registry";
  location: string;
  /** The collection time: every sheet's `as_of`, and a withdrawal's. */
  asOf: string;
  /** Our providers the source maps (its `providers` values), each once, in map order. */
  mapped: string[];
  sheets: RegistrySheets;
  previous: RegistrySheets | null;
};

/** FX rates in our CSV or JSON format: one unit per rate. */
export type FxInput = { kind: "fx"; location: string; text: string; format: "csv" | "json"; units: RecordUnit[] };

/** The ECB reference rates (foreign currency per EUR), by day. */
export type EcbInput = { kind: "ecb"; location: string; text: string; days: EcbDay[] };

/**
 * Usage records, as a stream: a usage file can be gigabytes, and its importer reads it
 * record by record (and checks that it is UTF-8 text on the way). `reopen`: the same bytes
 * again from the start, which lets a CSV take the straight way first.
 */
export type UsageInput = {
  kind: "usage";
  location: string;
  format?: "csv" | "json";
  stream: NodeJS.ReadableStream;
  reopen?: () => Promise<NodeJS.ReadableStream>;
};

/** A week of the public usage proxy, with the source's names for what it lists. */
export type RankingsInput = { kind: "rankings"; location: string; text: string; week: RankingsWeek; mapping: RankingsMapping };

export type ParsedInput = PriceSheetsInput | RegistryInput | FxInput | EcbInput | UsageInput | RankingsInput;

/** `skipped`: a registry's entries of mapped providers that cannot be prices (registries only). */
export type Parsed = { input: ParsedInput; skipped?: RegistrySkip[] };

export function priceSheetsInput(location: string, body: Uint8Array | string, format?: "csv" | "json"): PriceSheetsInput {
  const text = decodeText(location, body);
  return { kind: "price-sheets", location, text, units: parsePriceSheets(location, text, format) };
}

/** Our CSV or JSON, or the ECB's XML: as declared, else by the name's extension or the first characters. */
export function fxInput(location: string, body: Uint8Array | string, format?: "csv" | "json" | "ecb-xml"): FxInput | EcbInput {
  const text = decodeText(location, body);
  const f = format ?? detectFormat(location, text);
  if (f === "ecb-xml") return { kind: "ecb", location, text, days: parseEcb(location, text) };
  return { kind: "fx", location, text, format: f, units: f === "json" ? fxJsonUnits(location, text) : fxCsvUnits(location, text) };
}

/**
 * A usage body held in memory: its format as declared, else by its first characters (as a
 * file without an extension). `readAgain`: offer the body again from its start (see UsageInput).
 */
export function usageBodyInput(location: string, body: Buffer, format?: "csv" | "json", opts: { readAgain?: boolean } = {}): UsageInput {
  const f = format ?? (formatByContent(body.toString("utf8", 0, 64)) === "json" ? "json" : "csv");
  const input: UsageInput = { kind: "usage", location, format: f, stream: bodyStream(body) };
  if (opts.readAgain) input.reopen = async () => bodyStream(body);
  return input;
}

export type RegistryParseOptions = {
  location: string;
  /** ISO 8601 with offset: the collection time. */
  asOf: string;
  providers: RegistryProviders;
  /** The body of the source's previous successful fetch, if one is on record. */
  previousBody: string | null;
};

export function registryInput(kind: "litellm" | "openrouter", body: Uint8Array | string, opts: RegistryParseOptions): Parsed {
  const text = decodeText(opts.location, body);
  const read = (t: string) => (kind === "litellm" ? litellmSheets : openrouterSheets)(t, { asOf: opts.asOf, providers: opts.providers, location: opts.location });
  const sheets = read(text);
  // A body that no longer reads (a parser made stricter since) counts as no previous fetch:
  // nothing is carried or withdrawn on its evidence.
  let previous: RegistrySheets | null = null;
  if (opts.previousBody === text) previous = sheets;
  else if (opts.previousBody !== null) {
    try {
      previous = read(opts.previousBody);
    } catch {
      previous = null;
    }
  }
  const mapped = [...new Set(Object.values(opts.providers).map((p) => p.provider))];
  return { input: { kind: "registry", location: opts.location, asOf: opts.asOf, mapped, sheets, previous }, skipped: sheets.skipped };
}

export function rankingsInput(location: string, body: Uint8Array | string, mapping: RankingsMapping): RankingsInput {
  const text = decodeText(location, body);
  return { kind: "rankings", location, text, week: rankingsWeek(location, text), mapping };
}

/** A fetched body and what its server declared of it. */
export type Body = { body: Buffer; contentType?: string | undefined };

export type BodyParseOptions = {
  /** The collection time: registry sheets' `as_of`. */
  now: Date;
  /** The body of the source's previous successful fetch (registries' two-fetch rule). */
  previousBody: string | null;
};

/**
 * A collected body by its source's kind. An HTML page (a portal's or a CDN's error page
 * served with 200) is refused before any parser sees it; bytes that are not UTF-8 text are
 * refused by each kind's function as `ciyuan import` refuses such a file (usage by its
 * importer, which checks its stream itself).
 */
export function parseBody(source: SourceConfig, fetched: Body, opts: BodyParseOptions): Parsed {
  const location = source.url;
  refuseHtml(source, fetched);
  switch (source.kind) {
    case "price-sheet":
      return { input: priceSheetsInput(location, fetched.body) };
    case "litellm":
    case "openrouter":
      return registryInput(source.kind, fetched.body, { location, asOf: opts.now.toISOString(), providers: source.providers ?? {}, previousBody: opts.previousBody });
    case "ecb":
      return { input: fxInput(location, fetched.body, "ecb-xml") };
    case "fx":
      return { input: fxInput(location, fetched.body, declaredFormat(fetched, location)) };
    case "usage":
      // Read once, the careful way, as a collector always has.
      return { input: usageBodyInput(location, fetched.body, declaredFormat(fetched, location)) };
    case "openrouter-rankings":
      return {
        input: rankingsInput(location, fetched.body, {
          providers: source.providers ?? {},
          ...(source.models !== undefined ? { models: source.models } : {}),
          ...(source.default_input_share !== undefined ? { defaultInputShare: source.default_input_share } : {}),
        }),
      };
  }
}

/** An error page served with 200 is a parse failure with its own reason, not a sheet quarantined as broken JSON. */
function refuseHtml(source: SourceConfig, fetched: Body): void {
  const type = (fetched.contentType ?? "").toLowerCase();
  const head = fetched.body.toString("utf8").replace(/^\uFEFF/, "").trimStart().slice(0, 64).toLowerCase();
  if (type.includes("text/html") || head.startsWith("<!doctype html") || head.startsWith("<html")) {
    const expected = source.kind === "ecb" ? "XML" : source.kind === "price-sheet" || source.kind === "fx" || source.kind === "usage" ? "JSON or CSV" : "JSON";
    throw new InputError(source.url, undefined, undefined, `got HTML (${fetched.contentType ?? "no content-type"}), expected ${expected}`);
  }
}

/** JSON or CSV by the Content-Type, else by the URL's extension; undefined: told by the body. */
function declaredFormat(fetched: Body, url: string): "json" | "csv" | undefined {
  const type = (fetched.contentType ?? "").toLowerCase();
  if (type.includes("json")) return "json";
  if (type.includes("csv")) return "csv";
  const named = formatByName(new URL(url).pathname);
  return named === "json" || named === "csv" ? named : undefined;
}

/** Bytes in memory as a stream, in chunks as a socket would give them. */
function bodyStream(body: Buffer): Readable {
  const CHUNK = 1 << 20;
  return Readable.from(
    (function* () {
      for (let at = 0; at < body.length; at += CHUNK) yield body.subarray(at, at + CHUNK);
    })(),
    { objectMode: false },
  );
}
