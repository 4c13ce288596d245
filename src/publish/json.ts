/**
 * Published JSON. Exact decimals (Postgres numeric text) are written into the JSON text
 * as numbers digit for digit, through lossless-json's LosslessNumber: a value stored as
 * 2.345000 is published as 2.345000, a token count of 18014398509481986 as exactly that.
 */
import { LosslessNumber, stringify } from "lossless-json";
import { ALG, fixingPayload, type Signer } from "../signing/index.ts";
import type { FixingView } from "./read/fixing-row.ts";
import type { IndexView } from "./read/indices.ts";

/** The unit every published price and value is quoted per. */
export const UNIT = "1M tokens";

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal string as a JSON number; anything else is a bug upstream, not bad input. */
export function exact(text: string): LosslessNumber;
export function exact(text: string | null): LosslessNumber | null;
export function exact(text: string | null): LosslessNumber | null {
  if (text === null) return null;
  if (!DECIMAL.test(text)) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return new LosslessNumber(text);
}

/** JSON text in which exact numbers keep every digit they have. */
export function toJson(value: unknown, space?: number | string): string {
  const text = stringify(value, undefined, space);
  if (text === undefined) throw new Error("value has no JSON form");
  return text;
}

/**
 * The fixing's signature: the one stored when it was computed; for a revision stored
 * without one, the signer's (Ed25519 is deterministic, so it is the same every time).
 */
export function fixingSignature(view: FixingView, signer?: Signer): { kid: string; alg: string; sig: string } | null {
  if (view.signature) return { kid: view.signature.kid, alg: ALG, sig: view.signature.sig };
  if (!signer) return null;
  return { kid: signer.kid, alg: ALG, sig: signer.sign(fixingPayload(view)) };
}

/** The published fixing object (with constituents and exclusions when the view has them). */
export function fixingJson(view: FixingView, signer?: Signer): object {
  const out: Record<string, unknown> = {
    index: view.index,
    fixing_time: view.fixingTime,
    kind: view.kind,
    status: view.status,
    value: exact(view.value),
    level: exact(view.level),
    currency: view.currency,
    unit: UNIT,
    percentiles: { p25: exact(view.p25), p50: exact(view.p50), p75: exact(view.p75) },
    methodology_version: view.methodologyVersion,
    revision: view.revision,
    computed_at: view.computedAt,
    inputs_sha256: view.inputsSha256,
    reason: view.reason,
    constituent_count: view.constituentCount,
    provider_count: view.providerCount,
    carried_from: view.carriedFrom && { fixing_time: view.carriedFrom.fixingTime, revision: view.carriedFrom.revision },
    data_origin: view.dataOrigin,
    coverage: view.coverage && {
      tokens: Object.fromEntries(Object.entries(view.coverage.tokens).map(([k, v]) => [k, exact(v)])),
      shares: Object.fromEntries(Object.entries(view.coverage.shares).map(([k, v]) => [k, exact(v)])),
      total_tokens: exact(view.coverage.total),
      providers_without_usage: view.coverage.providers_without_usage,
    },
    signature: fixingSignature(view, signer),
  };
  if (view.constituents) {
    out.constituents = view.constituents.map((c) => ({
      provider: c.provider,
      model: c.model,
      weight: exact(c.weight),
      price: exact(c.price),
      input_price: exact(c.inputPrice),
      output_price: exact(c.outputPrice),
      input_tokens: exact(c.inputTokens),
      cached_input_tokens: exact(c.cachedInputTokens),
      output_tokens: exact(c.outputTokens),
      capped: c.capped,
      held: c.held,
      sheet_id: exact(c.sheetId),
      origins: c.origins,
      estimated: c.estimated,
    }));
  }
  if (view.exclusions) {
    out.exclusions = view.exclusions.map((e) => ({ provider: e.provider, model: e.model, reason: e.reason }));
  }
  return out;
}

/** One entry of `GET /v1/indices`. */
export function indexJson(view: IndexView): object {
  return {
    code: view.code,
    name: view.name,
    description: view.description,
    currency: view.currency,
    unit: UNIT,
    methodology_version: view.methodologyVersion,
    fixing_time_local: view.fixingTimeLocal,
    fixing_tz: view.fixingTz,
    latest: view.latest && {
      fixing_time: view.latest.fixingTime,
      value: exact(view.latest.value),
      level: exact(view.latest.level),
      status: view.latest.status,
    },
  };
}
