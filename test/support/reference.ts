/**
 * An independent, "spreadsheet-style" reference calculator for methodology v1
 * (/work/shared/spec/methodology-v1.md), written straight from the rulebook in plain
 * TypeScript with exact decimals (decimal.js, 50 significant digits). Tests use it to
 * check the SQL engine from the outside: it shares no code with src/.
 *
 * Left out on purpose: held prices (the >80 % gate). Every sheet given here is taken as
 * accepted and in force; tests of held prices live with the engine.
 *
 * Where the rulebook is silent, this calculator decides as follows (METHODOLOGY.md
 * lists the same choices for the lead to confirm):
 * - Exclusion reasons are checked in the order not_in_universe, delisted/not_listed,
 *   missing_price, no_fx_rate, no_volume; the first that applies is the reason.
 * - A provider with no sheet in force at T has no known country at T, so its usage is
 *   `not_listed` (never `not_in_universe`).
 * - p_in with V_in = 0 (possible only in CTPI/CTPI-OUT) is the listed input price.
 * - An `insufficient` fixing has null percentiles.
 * - Two sheets of one provider with the same as_of: the later one in the input wins;
 *   the same for FX rates with the same (currency, as_of) and for usage records with
 *   the same key (a correction supersedes the record before it).
 */
import { Decimal } from "decimal.js";
import { DateTime } from "luxon";
import { parse as parseLossless } from "lossless-json";
import { parse as parseCsv } from "csv-parse/sync";

/** Decimal arithmetic with 50 significant digits, ties to even, never exponent notation. */
export const D = Decimal.clone({
  precision: 50,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -1000,
  toExpPos: 1000,
});
export type Dec = Decimal;

export type Unit = "per_token" | "per_1k_tokens" | "per_1m_tokens";
/** A decimal number written as text ("0.28", "7.1"). */
export type DecimalText = string;

export type RefSheetModel = {
  model: string;
  input?: DecimalText | null;
  cached_input?: DecimalText | null;
  output?: DecimalText | null;
  currency?: string;
  unit?: Unit;
};

export type RefSheet = {
  provider: string;
  country?: string;
  as_of: string;
  currency: string;
  unit: Unit;
  models: RefSheetModel[];
};

export type RefFxRate = { currency: string; cny_per_unit: DecimalText; as_of: string };

export type RefUsage = {
  provider: string;
  model: string;
  period_start: string;
  period_end: string;
  input_tokens: string | bigint;
  cached_input_tokens?: string | bigint | null;
  output_tokens: string | bigint;
};

export type Weighting = "total" | "input" | "output";

export type RefIndexDefinition = {
  code?: string;
  universeCountry: string | null;
  weighting: Weighting;
  cap: DecimalText;
  minConstituents: number;
  minProviders: number;
  baseLevel?: DecimalText;
  windowDays?: number;
};

export const CTPI_FAMILY: Record<"CTPI" | "CTPI-IN" | "CTPI-OUT", RefIndexDefinition> = {
  CTPI: { code: "CTPI", universeCountry: "CN", weighting: "total", cap: "0.25", minConstituents: 5, minProviders: 3 },
  "CTPI-IN": { code: "CTPI-IN", universeCountry: "CN", weighting: "input", cap: "0.25", minConstituents: 5, minProviders: 3 },
  "CTPI-OUT": { code: "CTPI-OUT", universeCountry: "CN", weighting: "output", cap: "0.25", minConstituents: 5, minProviders: 3 },
};

/** The previous `ok` final fixing of the same index, as the level chain needs it. */
export type RefPrevFixing = {
  value: DecimalText | Dec | null;
  level: DecimalText | Dec;
  constituents: {
    provider: string;
    model: string;
    weight: DecimalText | Dec;
    price: DecimalText | Dec;
    input_tokens: string | bigint;
    cached_input_tokens: string | bigint;
    output_tokens: string | bigint;
  }[];
};

export type ExclusionReason = "not_in_universe" | "not_listed" | "delisted" | "no_fx_rate" | "no_volume" | "missing_price";

export type RefConstituent = {
  provider: string;
  model: string;
  sheetAsOf: string;
  inputTokens: bigint;
  cachedInputTokens: bigint;
  outputTokens: bigint;
  /** The index's weighting volume: V_in + V_out, V_in or V_out. */
  volume: bigint;
  /** Listed prices normalised to CNY per 1M tokens at T. */
  listInput: Dec;
  listCachedInput: Dec | null;
  listOutput: Dec;
  /** p_in, the effective input price with cached tokens. */
  inputPrice: Dec;
  outputPrice: Dec;
  blendedPrice: Dec;
  /** The index's price basis: blended, p_in or p_out. */
  price: Dec;
  rawWeight: Dec;
  weight: Dec;
  capped: boolean;
};

export type RefExclusion = { provider: string; model: string; reason: ExclusionReason };

/** One pass of the capping loop: who was capped before it, the weights it gave. */
export type RefCappingStep = {
  cappedBefore: string[];
  remaining: Dec;
  weights: { key: string; weight: Dec }[];
  newlyCapped: string[];
};

export type RefChain = {
  basket: { key: string; weightPrev: Dec; pricePrev: Dec; priceNow: Dec }[];
  numerator: Dec;
  denominator: Dec;
};

export type RefFixing = {
  index: string | undefined;
  at: string;
  status: "ok" | "insufficient";
  value: Dec | null;
  level: Dec | null;
  p25: Dec | null;
  p50: Dec | null;
  p75: Dec | null;
  constituents: RefConstituent[];
  exclusions: RefExclusion[];
  providerCount: number;
  cappingApplies: boolean;
  cappingSteps: RefCappingStep[];
  chain: RefChain | null;
  published: RefPublished;
};

export type RefPublished = {
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  constituents: {
    provider: string;
    model: string;
    weight: string;
    raw_weight: string;
    capped: boolean;
    price: string;
    input_price: string;
    output_price: string;
    input_tokens: string;
    cached_input_tokens: string;
    output_tokens: string;
  }[];
  exclusions: RefExclusion[];
};

export type RefInputs = {
  sheets: RefSheet[];
  fx: RefFxRate[];
  usage: RefUsage[];
  definition: RefIndexDefinition;
  at: string;
  previous: RefPrevFixing | null;
};

const UNIT_FACTOR: Record<Unit, string> = { per_token: "1000000", per_1k_tokens: "1000", per_1m_tokens: "1" };
const DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;
const INTEGER_RE = /^[0-9]+$/;
const OFFSET_RE = /(Z|[+-]\d{2}:\d{2})$/;
const QUANTILES = ["0.25", "0.5", "0.75"] as const;

const keyOf = (provider: string, model: string): string => `${provider}/${model}`;

function instant(text: string, what: string): number {
  if (!OFFSET_RE.test(text)) throw new Error(`${what}: ${text} has no UTC offset`);
  const t = DateTime.fromISO(text, { setZone: true });
  if (!t.isValid) throw new Error(`${what}: ${text} is not an ISO 8601 instant`);
  return t.toMillis();
}

function decimal(text: DecimalText | Dec, what: string): Dec {
  if (typeof text !== "string") return new D(text);
  if (!DECIMAL_RE.test(text)) throw new Error(`${what}: ${text} is not a plain decimal`);
  return new D(text);
}

function positivePrice(text: DecimalText | null | undefined, what: string): Dec | null {
  if (text === undefined || text === null) return null;
  const d = decimal(text, what);
  if (d.lte(0)) throw new Error(`${what}: a price must be > 0 (the sheet would be quarantined)`);
  return d;
}

function tokens(text: string | bigint | null | undefined, what: string): bigint {
  if (text === undefined || text === null || text === "") return 0n;
  if (typeof text === "bigint") return text;
  if (!INTEGER_RE.test(text)) throw new Error(`${what}: ${text} is not a non-negative integer`);
  return BigInt(text);
}

const dec = (n: bigint): Dec => new D(n.toString());

/** Rounds half-even to `dp` places and writes every place ("1.500000"). */
export function publish(x: Dec | null, dp: number): string | null {
  return x === null ? null : x.toFixed(dp, D.ROUND_HALF_EVEN);
}

type Listing = { sheet: RefSheet; model: RefSheetModel };

/** Latest sheet per provider with as_of <= T; ties go to the later sheet in the input. */
function sheetsInForce(sheets: RefSheet[], t: number): Map<string, RefSheet[]> {
  const byProvider = new Map<string, { sheet: RefSheet; t: number; i: number }[]>();
  sheets.forEach((sheet, i) => {
    const st = instant(sheet.as_of, `sheet ${sheet.provider} as_of`);
    if (st > t) return;
    const list = byProvider.get(sheet.provider) ?? [];
    list.push({ sheet, t: st, i });
    byProvider.set(sheet.provider, list);
  });
  const out = new Map<string, RefSheet[]>();
  for (const [provider, list] of byProvider) {
    list.sort((a, b) => a.t - b.t || a.i - b.i);
    out.set(provider, list.map((x) => x.sheet));
  }
  return out;
}

function countryAt(inForce: RefSheet[]): string {
  for (let i = inForce.length - 1; i >= 0; i--) {
    const c = inForce[i]!.country;
    if (c) return c;
  }
  throw new Error(`provider ${inForce[0]?.provider}: no known country (unknown_country)`);
}

/** CNY per one unit of `currency` at T, or null when no rate is in force. */
function fxAt(fx: RefFxRate[], currency: string, t: number): Dec | null {
  if (currency === "CNY") return new D(1);
  let best: { t: number; i: number; rate: RefFxRate } | null = null;
  fx.forEach((rate, i) => {
    if (rate.currency !== currency) return;
    const rt = instant(rate.as_of, `fx ${currency} as_of`);
    if (rt > t) return;
    if (best === null || rt > best.t || (rt === best.t && i > best.i)) best = { t: rt, i, rate };
  });
  if (best === null) return null;
  const rate = decimal((best as { rate: RefFxRate }).rate.cny_per_unit, `fx ${currency}`);
  if (rate.lte(0)) throw new Error(`fx ${currency}: rate must be > 0`);
  return rate;
}

type Volumes = { vin: bigint; vc: bigint; vout: bigint };

/** Sums of the usage records whose period_end lies in (T - window, T]; corrections win. */
function usageInWindow(usage: RefUsage[], t: number, windowDays: number): Map<string, Volumes & { provider: string; model: string }> {
  const latest = new Map<string, RefUsage>();
  for (const u of usage) latest.set(`${u.provider}\u0000${u.model}\u0000${instant(u.period_start, "period_start")}\u0000${instant(u.period_end, "period_end")}`, u);
  const from = t - windowDays * 24 * 3600 * 1000;
  const out = new Map<string, Volumes & { provider: string; model: string }>();
  for (const u of latest.values()) {
    const end = instant(u.period_end, "period_end");
    if (!(end > from && end <= t)) continue;
    const vin = tokens(u.input_tokens, "input_tokens");
    const vc = tokens(u.cached_input_tokens, "cached_input_tokens");
    const vout = tokens(u.output_tokens, "output_tokens");
    if (vc > vin) throw new Error(`usage ${u.provider}/${u.model}: cached_input_tokens > input_tokens`);
    const k = keyOf(u.provider, u.model);
    const acc = out.get(k) ?? { provider: u.provider, model: u.model, vin: 0n, vc: 0n, vout: 0n };
    acc.vin += vin;
    acc.vc += vc;
    acc.vout += vout;
    out.set(k, acc);
  }
  return out;
}

type Normalised = { input: Dec; cached: Dec | null; output: Dec };

/** price x unit factor x fx(currency, T), CNY per 1M tokens; null components stay null. */
function normalise(l: Listing, fx: Dec): { input: Dec | null; cached: Dec | null; output: Dec | null } {
  const unit = l.model.unit ?? l.sheet.unit;
  const factor = UNIT_FACTOR[unit];
  if (!factor) throw new Error(`unknown unit ${unit}`);
  const what = `${l.sheet.provider}/${l.model.model}`;
  const n = (x: DecimalText | null | undefined, c: string) => {
    const p = positivePrice(x, `${what} ${c}`);
    return p === null ? null : p.times(factor).times(fx);
  };
  return { input: n(l.model.input, "input"), cached: n(l.model.cached_input, "cached_input"), output: n(l.model.output, "output") };
}

/** p_in = ((V_in - V_c) x input + V_c x cached) / V_in; cached defaults to input. */
function effectiveInput(p: Normalised, v: Volumes): Dec {
  if (v.vin === 0n) return p.input;
  const cached = p.cached ?? p.input;
  return dec(v.vin - v.vc).times(p.input).plus(dec(v.vc).times(cached)).div(dec(v.vin));
}

/** p = (p_in x V_in + p_out x V_out) / (V_in + V_out). */
function blended(pIn: Dec, pOut: Dec, v: Volumes): Dec {
  const total = v.vin + v.vout;
  if (total === 0n) throw new Error("blended price of a model without volume");
  return pIn.times(dec(v.vin)).plus(pOut.times(dec(v.vout))).div(dec(total));
}

function basis(weighting: Weighting, pIn: Dec, pOut: Dec, pBlend: Dec): Dec {
  return weighting === "total" ? pBlend : weighting === "input" ? pIn : pOut;
}

function weightingVolume(weighting: Weighting, v: Volumes): bigint {
  return weighting === "total" ? v.vin + v.vout : weighting === "input" ? v.vin : v.vout;
}

type Capping = { capped: boolean[]; remaining: Dec; uncappedVolume: bigint; applies: boolean; steps: RefCappingStep[] };

/**
 * Capping, exactly: a weight is cap (capped) or V_i x R / U with R = 1 - cap x (number
 * capped) and U the volume of the uncapped. Comparisons are made on V_i x R against
 * cap x U so no rounded quotient decides who is capped.
 */
function capWeights(keys: string[], volumes: bigint[], cap: Dec): Capping {
  const n = volumes.length;
  const capped = volumes.map(() => false);
  const total = volumes.reduce((a, b) => a + b, 0n);
  const applies = cap.times(n).gt(1);
  const steps: RefCappingStep[] = [];
  if (!applies) return { capped, remaining: new D(1), uncappedVolume: total, applies, steps };
  for (;;) {
    const k = capped.filter(Boolean).length;
    const remaining = new D(1).minus(cap.times(k));
    const uncappedVolume = volumes.reduce((a, v, i) => (capped[i] ? a : a + v), 0n);
    const weights = volumes.map((v, i) => ({ key: keys[i]!, weight: capped[i] ? cap : dec(v).times(remaining).div(dec(uncappedVolume)) }));
    const newly = volumes.map((v, i) => !capped[i] && dec(v).times(remaining).gt(cap.times(dec(uncappedVolume))));
    steps.push({
      cappedBefore: keys.filter((_, i) => capped[i]),
      remaining,
      weights,
      newlyCapped: keys.filter((_, i) => newly[i]),
    });
    if (!newly.some(Boolean)) return { capped, remaining, uncappedVolume, applies, steps };
    newly.forEach((b, i) => {
      if (b) capped[i] = true;
    });
  }
}

/**
 * Weighted percentile: the smallest price (ascending) whose cumulative weight >= q. The
 * cumulative weight of a prefix S is cap x k_S + R x V_S / U; the test is done as
 * (cap x k_S - q) x U + R x V_S >= 0, exact.
 */
function percentile(sorted: { price: Dec; capped: boolean; volume: bigint }[], q: Dec, cap: Dec, c: Capping): Dec {
  let k = 0;
  let vs = 0n;
  for (const s of sorted) {
    if (s.capped) k += 1;
    else vs += s.volume;
    const lhs = cap.times(k).minus(q).times(dec(c.uncappedVolume)).plus(c.remaining.times(dec(vs)));
    if (lhs.gte(0)) return s.price;
  }
  return sorted[sorted.length - 1]!.price;
}

/** Computes one fixing of one index at T from the inputs, as the rulebook says. */
export function computeFixing(inp: RefInputs): RefFixing {
  const def = inp.definition;
  const t = instant(inp.at, "fixing time");
  const cap = decimal(def.cap, "cap");
  const windowDays = def.windowDays ?? 7;
  const inForce = sheetsInForce(inp.sheets, t);
  const used = usageInWindow(inp.usage, t, windowDays);

  const candidates = new Map<string, { provider: string; model: string }>();
  for (const [provider, list] of inForce) {
    const latest = list[list.length - 1]!;
    const seen = new Set<string>();
    for (const m of latest.models) {
      if (seen.has(m.model)) throw new Error(`sheet ${provider} ${latest.as_of}: ${m.model} listed twice`);
      seen.add(m.model);
      candidates.set(keyOf(provider, m.model), { provider, model: m.model });
    }
  }
  for (const [k, u] of used) candidates.set(k, { provider: u.provider, model: u.model });

  const exclusions: RefExclusion[] = [];
  const found: Omit<RefConstituent, "rawWeight" | "weight" | "capped">[] = [];
  for (const { provider, model } of candidates.values()) {
    const exclude = (reason: ExclusionReason) => exclusions.push({ provider, model, reason });
    const list = inForce.get(provider);
    if (!list) {
      exclude("not_listed");
      continue;
    }
    const latest = list[list.length - 1]!;
    if (def.universeCountry !== null && countryAt(list) !== def.universeCountry) {
      exclude("not_in_universe");
      continue;
    }
    const listing = latest.models.find((m) => m.model === model);
    if (!listing) {
      exclude(list.some((s) => s.models.some((m) => m.model === model)) ? "delisted" : "not_listed");
      continue;
    }
    const l: Listing = { sheet: latest, model: listing };
    if (listing.input == null || listing.output == null) {
      exclude("missing_price");
      continue;
    }
    const rate = fxAt(inp.fx, listing.currency ?? latest.currency, t);
    if (rate === null) {
      exclude("no_fx_rate");
      continue;
    }
    const v = used.get(keyOf(provider, model)) ?? { vin: 0n, vc: 0n, vout: 0n };
    const volume = weightingVolume(def.weighting, v);
    if (volume === 0n) {
      exclude("no_volume");
      continue;
    }
    const n = normalise(l, rate) as Normalised;
    const pIn = effectiveInput(n, v);
    const pOut = n.output;
    const pBlend = blended(pIn, pOut, v);
    found.push({
      provider,
      model,
      sheetAsOf: latest.as_of,
      inputTokens: v.vin,
      cachedInputTokens: v.vc,
      outputTokens: v.vout,
      volume,
      listInput: n.input,
      listCachedInput: n.cached,
      listOutput: n.output,
      inputPrice: pIn,
      outputPrice: pOut,
      blendedPrice: pBlend,
      price: basis(def.weighting, pIn, pOut, pBlend),
    });
  }
  found.sort((a, b) => cmpText(a.provider, b.provider) || cmpText(a.model, b.model));
  exclusions.sort((a, b) => cmpText(a.provider, b.provider) || cmpText(a.model, b.model));

  const keys = found.map((f) => keyOf(f.provider, f.model));
  const volumes = found.map((f) => f.volume);
  const total = volumes.reduce((a, b) => a + b, 0n);
  const capping = capWeights(keys, volumes, cap);
  const constituents: RefConstituent[] = found.map((f, i) => ({
    ...f,
    rawWeight: dec(f.volume).div(dec(total)),
    capped: capping.capped[i]!,
    weight: capping.capped[i] ? cap : dec(f.volume).times(capping.remaining).div(dec(capping.uncappedVolume)),
  }));

  const providerCount = new Set(found.map((f) => f.provider)).size;
  const sufficient = found.length >= def.minConstituents && providerCount >= def.minProviders && found.length > 0;

  let value: Dec | null = null;
  let level: Dec | null = null;
  let p25: Dec | null = null;
  let p50: Dec | null = null;
  let p75: Dec | null = null;
  let chain: RefChain | null = null;
  if (sufficient) {
    value = constituents.reduce((acc, c) => acc.plus(c.weight.times(c.price)), new D(0));
    const sorted = [...constituents].sort((a, b) => a.price.comparedTo(b.price) || cmpText(a.provider, b.provider) || cmpText(a.model, b.model));
    [p25, p50, p75] = QUANTILES.map((q) => percentile(sorted, new D(q), cap, capping)) as [Dec, Dec, Dec];
    if (inp.previous === null) {
      level = decimal(def.baseLevel ?? "1000", "base level");
    } else {
      chain = chainLink(inp.previous, constituents, def.weighting);
      const prevLevel = decimal(inp.previous.level, "previous level");
      level = chain.basket.length === 0 ? prevLevel : prevLevel.times(chain.numerator).div(chain.denominator);
    }
  } else if (inp.previous !== null) {
    value = inp.previous.value === null ? null : decimal(inp.previous.value, "previous value");
    level = decimal(inp.previous.level, "previous level");
  }

  const status = sufficient ? "ok" : "insufficient";
  return {
    index: def.code,
    at: inp.at,
    status,
    value,
    level,
    p25,
    p50,
    p75,
    constituents,
    exclusions,
    providerCount,
    cappingApplies: capping.applies,
    cappingSteps: capping.steps,
    chain,
    published: {
      status,
      value: publish(value, 6),
      level: publish(level, 6),
      p25: publish(p25, 6),
      p50: publish(p50, 6),
      p75: publish(p75, 6),
      constituents: constituents.map((c) => ({
        provider: c.provider,
        model: c.model,
        weight: publish(c.weight, 8)!,
        raw_weight: publish(c.rawWeight, 8)!,
        capped: c.capped,
        price: publish(c.price, 6)!,
        input_price: publish(c.inputPrice, 6)!,
        output_price: publish(c.outputPrice, 6)!,
        input_tokens: c.inputTokens.toString(),
        cached_input_tokens: c.cachedInputTokens.toString(),
        output_tokens: c.outputTokens.toString(),
      })),
      exclusions,
    },
  };
}

/**
 * The frozen basket: M = prev's constituents that are constituents now; p* is each one's
 * price from the component prices in force now with prev's volumes.
 */
function chainLink(prev: RefPrevFixing, now: RefConstituent[], weighting: Weighting): RefChain {
  const current = new Map(now.map((c) => [keyOf(c.provider, c.model), c]));
  const basket: RefChain["basket"] = [];
  for (const p of prev.constituents) {
    const key = keyOf(p.provider, p.model);
    const c = current.get(key);
    if (!c) continue;
    const v: Volumes = {
      vin: tokens(p.input_tokens, "prev input_tokens"),
      vc: tokens(p.cached_input_tokens, "prev cached_input_tokens"),
      vout: tokens(p.output_tokens, "prev output_tokens"),
    };
    const prices: Normalised = { input: c.listInput, cached: c.listCachedInput, output: c.listOutput };
    const pIn = effectiveInput(prices, v);
    const priceNow = weighting === "output" ? c.listOutput : weighting === "input" ? pIn : blended(pIn, c.listOutput, v);
    basket.push({ key, weightPrev: decimal(p.weight, "prev weight"), pricePrev: decimal(p.price, "prev price"), priceNow });
  }
  const numerator = basket.reduce((a, b) => a.plus(b.weightPrev.times(b.priceNow)), new D(0));
  const denominator = basket.reduce((a, b) => a.plus(b.weightPrev.times(b.pricePrev)), new D(0));
  return { basket, numerator, denominator };
}

/** The previous-fixing view of a reference result (exact weights and prices), for chaining. */
export function asPrevious(f: RefFixing): RefPrevFixing {
  if (f.status !== "ok" || f.level === null) throw new Error("only an ok fixing can be the previous fixing of a chain");
  return {
    value: f.value,
    level: f.level,
    constituents: f.constituents.map((c) => ({
      provider: c.provider,
      model: c.model,
      weight: c.weight,
      price: c.price,
      input_tokens: c.inputTokens,
      cached_input_tokens: c.cachedInputTokens,
      output_tokens: c.outputTokens,
    })),
  };
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- Reading our own input formats (numbers stay text) -------------------------------

const asText = (v: unknown): string | null | undefined => (v === undefined || v === null ? (v as null | undefined) : String(v));

/** One price-sheet JSON document (ciyuan.price-sheet/1); prices are read as decimal text. */
export function parseSheetJson(text: string): RefSheet {
  const doc = parseLossless(text, null, (n: string) => n) as Record<string, unknown>;
  if (doc.schema !== "ciyuan.price-sheet/1") throw new Error(`not a ciyuan.price-sheet/1 document`);
  const models = (doc.models as Record<string, unknown>[]).map((m) => {
    const out: RefSheetModel = {
      model: String(m.model),
      input: asText(m.input),
      cached_input: asText(m.cached_input),
      output: asText(m.output),
    };
    if (m.currency !== undefined) out.currency = String(m.currency);
    if (m.unit !== undefined) out.unit = m.unit as Unit;
    return out;
  });
  const sheet: RefSheet = {
    provider: String(doc.provider),
    as_of: String(doc.as_of),
    currency: String(doc.currency),
    unit: doc.unit as Unit,
    models,
  };
  if (doc.country !== undefined) sheet.country = String(doc.country);
  return sheet;
}

/** FX CSV `currency,cny_per_unit,as_of` or JSON ciyuan.fx/1. */
export function parseFx(text: string): RefFxRate[] {
  if (text.trimStart().startsWith("{")) {
    const doc = parseLossless(text, null, (n: string) => n) as { schema: string; rates: Record<string, unknown>[] };
    if (doc.schema !== "ciyuan.fx/1") throw new Error("not a ciyuan.fx/1 document");
    return doc.rates.map((r) => ({ currency: String(r.currency), cny_per_unit: String(r.cny_per_unit), as_of: String(r.as_of) }));
  }
  return (parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]).map((r) => ({
    currency: r.currency!,
    cny_per_unit: r.cny_per_unit!,
    as_of: r.as_of!,
  }));
}

/** Usage CSV with header provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens. */
export function parseUsageCsv(text: string): RefUsage[] {
  return (parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]).map((r) => ({
    provider: r.provider!,
    model: r.model!,
    period_start: r.period_start!,
    period_end: r.period_end!,
    input_tokens: r.input_tokens!,
    cached_input_tokens: r.cached_input_tokens === "" ? null : r.cached_input_tokens!,
    output_tokens: r.output_tokens!,
  }));
}
