/**
 * The store step: parsed input of any kind (sources/parse.ts) through its quality gates
 * into the store, under the origin it came from. The collectors (collect/collect-source.ts)
 * and contributions (contributors/submit.ts) both store through here; `ciyuan import` runs
 * the same per-kind functions (import-prices.ts, import-fx.ts, import-usage.ts).
 *
 * What cannot be taken whole (a usage or FX input with a bad record, a registry with no
 * sheet for its providers, a contribution with a bad sheet) is an error naming why; the
 * per-kind functions keep nothing half-stored. Price sheets of a file or a collector are
 * taken one by one: a rejected sheet is quarantined and listed in `rejected`.
 */
import type { Db } from "../db/index.ts";
import type { ParsedInput } from "../sources/parse.ts";
import { importUsage } from "./import-usage.ts";
import type { ImportOutcome } from "./outcome.ts";
import { storeFxInput } from "./store-fx.ts";
import { storePriceSheets } from "./store-prices.ts";
import { storeRankings } from "./store-rankings.ts";
import { storeRegistry } from "./store-registry.ts";

/** Where an input came from. */
export type InputOrigin = {
  /**
   * "file", "sample", a collector's source name, or "contributor:<name>": the payload's
   * source, and the origin of the batches it opens (batches.ts originOf).
   */
  source: string;
  /** The HTTP status a collector fetched the body with, kept with its payload. */
  httpStatus?: number | undefined;
};

export type StoreOptions = {
  /** Price sheets: accepted or refused whole (a contribution), not sheet by sheet. */
  whole?: boolean;
  /** Price sheets: countries of providers no stored sheet names yet. */
  knownCountries?: Record<string, string>;
  /**
   * Registries: the providers with a held price now. Held prices are the engine's to tell
   * (engine/held.ts), which the store does not import: the collector asks and passes them.
   */
  confirming?: ReadonlySet<string>;
};

/** A price sheet that passed the gates: its provider, where it is, and how many models it lists. */
export type AcceptedSheet = { provider: string; location: string; label: string; models: number };

/**
 * `notes`: what the input's rules did beyond storing (a registry's skips, carries and
 * withdrawals; a proxy's estimates and unmapped entries), for a run's detail line.
 * `accepted`: price sheets only.
 */
export type StoreResult = ImportOutcome & { notes: string[]; accepted?: AcceptedSheet[] };

export async function storeInput(db: Db, input: ParsedInput, origin: InputOrigin, opts: StoreOptions = {}): Promise<StoreResult> {
  switch (input.kind) {
    case "price-sheets":
      return { ...(await storePriceSheets(db, input, origin, { whole: opts.whole, knownCountries: opts.knownCountries })), notes: [] };
    case "registry":
      return storeRegistry(db, input, origin, opts.confirming ?? new Set());
    case "fx":
    case "ecb":
      return { ...(await storeFxInput(db, input, origin)), notes: [] };
    case "usage": {
      const { kind: _kind, ...usage } = input;
      return { ...(await importUsage(db, { ...usage, source: origin.source, httpStatus: origin.httpStatus })), notes: [] };
    }
    case "rankings":
      return storeRankings(db, input, origin);
  }
}
