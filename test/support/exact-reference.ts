/**
 * An exact reference for methodology 1.1 (/work/shared/spec/methodology-v1.md): every
 * quantity of a fixing is a rational number with BigInt numerator and denominator, and each
 * published number is rounded once, half-even, from its exact value (value, level,
 * percentiles and prices to 6 places, weights to 8). Tests use it to check the engine from
 * the outside: it shares no code with src/ and no decimal library.
 *
 * Scope (what the exact-arithmetic tests generate): price sheets that are all accepted (it
 * refuses a move of more than 80 %, which the held-price gate would hold), CNY prices in any
 * of the three units, usage records summed over the window (T - 7 days, T], one index
 * definition (weighting total | input | output, cap, sufficiency), and the level chain over
 * consecutive final fixings. FX, held prices and revisions are out of scope.
 *
 * Where the rulebook is silent it decides as METHODOLOGY.md does: p_in with V_in = 0 is the
 * listed input price; an insufficient fixing carries the previous ok fixing's published
 * value and level and has null percentiles; sheets with the same as_of: the later one given
 * wins.
 */

// --- Fraction: an exact rational, always normalised (gcd 1, denominator > 0) -----------

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export class Fraction {
  readonly num: bigint;
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  /** num / den, normalised. */
  static of(num: bigint | number, den: bigint | number = 1n): Fraction {
    let n = BigInt(num);
    let d = BigInt(den);
    if (d === 0n) throw new RangeError("division by zero");
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n, d);
    return g > 1n ? new Fraction(n / g, d / g) : new Fraction(n, d);
  }

  /** A plain decimal text ("12", "0.0000005", "-3.25"), exactly. */
  static parse(text: string): Fraction {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) throw new Error(`not a plain decimal: ${JSON.stringify(text)}`);
    const places = (m[3] ?? "").length;
    const digits = BigInt(`${m[2]}${m[3] ?? ""}`);
    return Fraction.of(m[1] === "-" ? -digits : digits, 10n ** BigInt(places));
  }

  static readonly ZERO = Fraction.of(0n);
  static readonly ONE = Fraction.of(1n);

  add(o: Fraction): Fraction {
    return Fraction.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  sub(o: Fraction): Fraction {
    return Fraction.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  mul(o: Fraction): Fraction {
    return Fraction.of(this.num * o.num, this.den * o.den);
  }

  div(o: Fraction): Fraction {
    if (o.num === 0n) throw new RangeError("division by zero");
    return Fraction.of(this.num * o.den, this.den * o.num);
  }

  /** -1, 0 or 1 as this is below, equal to or above o; exact (cross-multiplied). */
  cmp(o: Fraction): -1 | 0 | 1 {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  eq(o: Fraction): boolean {
    return this.cmp(o) === 0;
  }

  /** "n/d" (or "n"), for messages. */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}

export const frac = (n: bigint | number, d: bigint | number = 1n): Fraction => Fraction.of(n, d);
export const sumOf = (xs: Fraction[]): Fraction => xs.reduce((a, b) => a.add(b), Fraction.ZERO);

/**
 * f rounded half-even to `places` decimals, written with exactly `places` decimals
 * ("1000.000000", "0.25000000"). A tie (the rest is exactly one half of the last unit) goes
 * to the even neighbour; the sign is kept except on zero.
 */
export function roundHalfEven(f: Fraction, places: number): string {
  if (!Number.isInteger(places) || places < 0) throw new RangeError(`bad number of places: ${places}`);
  const negative = f.num < 0n;
  const scaled = abs(f.num) * 10n ** BigInt(places);
  let q = scaled / f.den;
  const twiceRest = 2n * (scaled - q * f.den);
  if (twiceRest > f.den || (twiceRest === f.den && q % 2n === 1n)) q += 1n;
  const digits = q.toString().padStart(places + 1, "0");
  const int = digits.slice(0, digits.length - places);
  const dec = digits.slice(digits.length - places);
  const text = places === 0 ? int : `${int}.${dec}`;
  return negative && q !== 0n ? `-${text}` : text;
}

/** Whether f lies exactly half-way between two neighbours at `places` decimals (the case
 * half-even exists for, and where any error before the rounding can flip the result). */
export function isHalfWay(f: Fraction, places: number): boolean {
  const scaled = abs(f.num) * 10n ** BigInt(places);
  return 2n * (scaled % f.den) === f.den;
}

// --- Inputs ------------------------------------------------------------------------------

export type ExactUnit = "per_token" | "per_1k_tokens" | "per_1m_tokens";
const UNIT_FACTOR: Record<ExactUnit, Fraction> = {
  per_token: frac(1_000_000n),
  per_1k_tokens: frac(1_000n),
  per_1m_tokens: frac(1n),
};

export type ExactSheetModel = {
  model: string;
  /** Decimal text in the sheet's unit; absent or null: not listed. */
  input?: string | null;
  cached_input?: string | null;
  output?: string | null;
  unit?: ExactUnit;
};

export type ExactSheet = {
  provider: string;
  /** Defaults to "CN". */
  country?: string;
  /** ISO 8601 with an offset. */
  as_of: string;
  /** Only CNY: this reference has no FX. */
  currency?: "CNY";
  unit?: ExactUnit;
  models: ExactSheetModel[];
};

export type ExactUsage = {
  provider: string;
  model: string;
  /** ISO 8601 with an offset; the record counts at T when period_end is in (T - window, T]. */
  period_end: string;
  input: bigint;
  cached_input: bigint;
  output: bigint;
};

export type ExactWeighting = "total" | "input" | "output";

export type ExactDefinition = {
  code: string;
  universeCountry: string | null;
  weighting: ExactWeighting;
  cap: string;
  minConstituents: number;
  minProviders: number;
  baseLevel: string;
  windowDays: number;
};

const family = (code: string, weighting: ExactWeighting): ExactDefinition => ({
  code,
  universeCountry: "CN",
  weighting,
  cap: "0.25",
  minConstituents: 5,
  minProviders: 3,
  baseLevel: "1000",
  windowDays: 7,
});

export const EXACT_CTPI_FAMILY: Record<"CTPI" | "CTPI-IN" | "CTPI-OUT", ExactDefinition> = {
  CTPI: family("CTPI", "total"),
  "CTPI-IN": family("CTPI-IN", "input"),
  "CTPI-OUT": family("CTPI-OUT", "output"),
};

// --- Outputs -----------------------------------------------------------------------------

export type ExactConstituent = {
  provider: string;
  model: string;
  vIn: bigint;
  vC: bigint;
  vOut: bigint;
  /** The index's weighting volume (V_in + V_out, V_in or V_out). */
  volume: bigint;
  /** Listed component prices, CNY per 1M tokens. */
  listInput: Fraction;
  listCached: Fraction | null;
  listOutput: Fraction;
  inputPrice: Fraction;
  outputPrice: Fraction;
  blendedPrice: Fraction;
  /** The index's price: blended, p_in or p_out. */
  price: Fraction;
  rawWeight: Fraction;
  weight: Fraction;
  capped: boolean;
};

export type PublishedConstituent = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  input_price: string;
  output_price: string;
  capped: boolean;
};

export type ExactPublished = {
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  /** By "provider/model". */
  constituents: Record<string, PublishedConstituent>;
};

export type ExactFixing = {
  at: string;
  status: "ok" | "insufficient";
  constituents: ExactConstituent[];
  /** Exact, before publication (null where the published number is null). */
  value: Fraction | null;
  /** The exact level before its one rounding: L_prev (published) x num / den. */
  level: Fraction | null;
  p25: Fraction | null;
  p50: Fraction | null;
  p75: Fraction | null;
  /** The chain link to the previous ok fixing, when there is one and the basket M is not empty. */
  chain: { prevAt: string; basket: string[]; num: Fraction; den: Fraction } | null;
  /**
   * The boundaries this fixing sits on, where only exact arithmetic is sure to be right: a
   * published number exactly half-way, a cumulative weight exactly equal to a quantile, an
   * uncapped weight exactly at the cap. Empty for a fixing away from every boundary.
   */
  edges: string[];
  published: ExactPublished;
};

// --- The rules ---------------------------------------------------------------------------

const key = (provider: string, model: string): string => `${provider}/${model}`;

function instant(text: string): number {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(text)) throw new Error(`${text}: no UTC offset`);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`${text}: not an instant`);
  return t;
}

function price(text: string | null | undefined, unit: ExactUnit, what: string): Fraction | null {
  if (text === undefined || text === null) return null;
  const p = Fraction.parse(text);
  if (p.cmp(Fraction.ZERO) <= 0) throw new Error(`${what}: a price must be > 0`);
  return p.mul(UNIT_FACTOR[unit]);
}

type Listed = { input: Fraction | null; cached: Fraction | null; output: Fraction | null };

function listed(sheet: ExactSheet, m: ExactSheetModel): Listed {
  if ((sheet.currency ?? "CNY") !== "CNY") throw new Error("the exact reference has no FX: CNY sheets only");
  const unit = m.unit ?? sheet.unit ?? "per_1m_tokens";
  const what = `${sheet.provider}/${m.model} ${sheet.as_of}`;
  return {
    input: price(m.input, unit, `${what} input`),
    cached: price(m.cached_input, unit, `${what} cached_input`),
    output: price(m.output, unit, `${what} output`),
  };
}

/** Sheets in as_of order (ties: the order given). */
function ordered(sheets: ExactSheet[]): ExactSheet[] {
  return sheets
    .map((s, i) => ({ s, t: instant(s.as_of), i }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.s);
}

/**
 * This reference takes every sheet as accepted; a move the held-price gate would hold
 * (|new - old| > 0.8 x old against the provider's previous sheet listing the model) is a
 * mistake in the test data, so it is refused here.
 */
export function assertNoHeldPrices(sheets: ExactSheet[]): void {
  const last = new Map<string, Listed>();
  for (const s of ordered(sheets)) {
    for (const m of s.models) {
      const now = listed(s, m);
      const before = last.get(key(s.provider, m.model));
      if (before) {
        for (const c of ["input", "cached", "output"] as const) {
          const a = before[c];
          const b = now[c];
          if (a === null || b === null) continue;
          const move = b.cmp(a) >= 0 ? b.sub(a) : a.sub(b);
          if (move.cmp(frac(4n, 5n).mul(a)) > 0) {
            throw new Error(`${s.provider}/${m.model} ${c} moves more than 80 % on ${s.as_of} (${a} -> ${b}): it would be held`);
          }
        }
      }
      last.set(key(s.provider, m.model), now);
    }
  }
}

type Volumes = { vIn: bigint; vC: bigint; vOut: bigint };

/** p_in = ((V_in - V_c) x input + V_c x cached) / V_in, cached defaulting to input;
 * with V_in = 0 the listed input price. */
function effectiveInput(input: Fraction, cached: Fraction | null, v: Volumes): Fraction {
  if (v.vIn === 0n) return input;
  const c = cached ?? input;
  return frac(v.vIn - v.vC).mul(input).add(frac(v.vC).mul(c)).div(frac(v.vIn));
}

/** p = (p_in x V_in + p_out x V_out) / (V_in + V_out). */
function blended(pIn: Fraction, pOut: Fraction, v: Volumes): Fraction {
  const total = v.vIn + v.vOut;
  if (total === 0n) return pIn; // never a constituent of CTPI; only a placeholder for the other two
  return pIn.mul(frac(v.vIn)).add(pOut.mul(frac(v.vOut))).div(frac(total));
}

function indexPrice(w: ExactWeighting, pIn: Fraction, pOut: Fraction, pBlend: Fraction): Fraction {
  return w === "total" ? pBlend : w === "input" ? pIn : pOut;
}

function weightingVolume(w: ExactWeighting, v: Volumes): bigint {
  return w === "total" ? v.vIn + v.vOut : w === "input" ? v.vIn : v.vOut;
}

/**
 * Weights and capping: raw r_i = V_i / sum V; when n x c > 1, repeat until no weight is
 * above c: every weight above c is set to c and marked capped, and 1 - c x (number capped)
 * is shared among the uncapped in proportion to their raw weights.
 */
export function capWeights(volumes: bigint[], cap: Fraction): { weights: Fraction[]; raw: Fraction[]; capped: boolean[] } {
  const total = volumes.reduce((a, b) => a + b, 0n);
  const raw = volumes.map((v) => frac(v, total));
  const capped = volumes.map(() => false);
  if (frac(volumes.length).mul(cap).cmp(Fraction.ONE) <= 0) return { weights: raw, raw, capped };
  for (;;) {
    const k = capped.filter(Boolean).length;
    const left = Fraction.ONE.sub(cap.mul(frac(k)));
    const uncapped = volumes.reduce((a, v, i) => (capped[i] ? a : a + v), 0n);
    const weights = volumes.map((v, i) => (capped[i] ? cap : left.mul(frac(v, uncapped))));
    const over = weights.map((w, i) => !capped[i] && w.cmp(cap) > 0);
    if (!over.some(Boolean)) return { weights, raw, capped };
    over.forEach((o, i) => {
      if (o) capped[i] = true;
    });
  }
}

const QUANTILES = [frac(1n, 4n), frac(1n, 2n), frac(3n, 4n)] as const;

/** For quantile q, the smallest p_i (ascending; equal prices by provider, model) whose
 * cumulative weight is >= q, compared exactly. */
export function weightedPercentile(items: { provider: string; model: string; price: Fraction; weight: Fraction }[], q: Fraction): Fraction {
  const sorted = [...items].sort((a, b) => a.price.cmp(b.price) || cmpText(a.provider, b.provider) || cmpText(a.model, b.model));
  let cumulative = Fraction.ZERO;
  for (const it of sorted) {
    cumulative = cumulative.add(it.weight);
    if (cumulative.cmp(q) >= 0) return it.price;
  }
  throw new Error(`weights sum to ${cumulative}, below ${q}`);
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type ExactFixingInput = {
  sheets: ExactSheet[];
  usage: ExactUsage[];
  definition: ExactDefinition;
  at: string;
  /** The previous ok final fixing of the index (its exact constituents, published level). */
  previous: ExactFixing | null;
};

/** One final fixing at T. */
export function exactFixing(inp: ExactFixingInput): ExactFixing {
  const def = inp.definition;
  const t = instant(inp.at);
  const cap = Fraction.parse(def.cap);
  assertNoHeldPrices(inp.sheets);

  // The latest sheet per provider with as_of <= T; a provider's country is the latest known.
  const inForce = new Map<string, ExactSheet>();
  const country = new Map<string, string>();
  for (const s of ordered(inp.sheets)) {
    if (instant(s.as_of) > t) continue;
    inForce.set(s.provider, s);
    country.set(s.provider, s.country ?? country.get(s.provider) ?? "CN");
  }

  // Usage in the window (T - window, T].
  const from = t - def.windowDays * 86_400_000;
  const volumes = new Map<string, Volumes>();
  for (const u of inp.usage) {
    const end = instant(u.period_end);
    if (!(end > from && end <= t)) continue;
    if (u.input < 0n || u.cached_input < 0n || u.output < 0n || u.cached_input > u.input) throw new Error(`bad usage record ${key(u.provider, u.model)}`);
    const v = volumes.get(key(u.provider, u.model)) ?? { vIn: 0n, vC: 0n, vOut: 0n };
    volumes.set(key(u.provider, u.model), { vIn: v.vIn + u.input, vC: v.vC + u.cached_input, vOut: v.vOut + u.output });
  }

  type Found = Omit<ExactConstituent, "rawWeight" | "weight" | "capped">;
  const found: Found[] = [];
  for (const [provider, sheet] of inForce) {
    if (def.universeCountry !== null && country.get(provider) !== def.universeCountry) continue;
    for (const m of sheet.models) {
      const l = listed(sheet, m);
      if (l.input === null || l.output === null) continue; // missing_price
      const v = volumes.get(key(provider, m.model)) ?? { vIn: 0n, vC: 0n, vOut: 0n };
      const volume = weightingVolume(def.weighting, v);
      if (volume === 0n) continue; // no_volume
      const pIn = effectiveInput(l.input, l.cached, v);
      const pBlend = blended(pIn, l.output, v);
      found.push({
        provider,
        model: m.model,
        ...v,
        volume,
        listInput: l.input,
        listCached: l.cached,
        listOutput: l.output,
        inputPrice: pIn,
        outputPrice: l.output,
        blendedPrice: pBlend,
        price: indexPrice(def.weighting, pIn, l.output, pBlend),
      });
    }
  }
  found.sort((a, b) => cmpText(a.provider, b.provider) || cmpText(a.model, b.model));

  const capping = capWeights(found.map((f) => f.volume), cap);
  const constituents: ExactConstituent[] = found.map((f, i) => ({
    ...f,
    rawWeight: capping.raw[i]!,
    weight: capping.weights[i]!,
    capped: capping.capped[i]!,
  }));
  const providers = new Set(constituents.map((c) => c.provider)).size;
  const ok = constituents.length >= def.minConstituents && providers >= def.minProviders && constituents.length > 0;

  let value: Fraction | null = null;
  let level: Fraction | null = null;
  let pct: (Fraction | null)[] = [null, null, null];
  let chain: ExactFixing["chain"] = null;
  const prev = inp.previous;
  if (prev !== null && (prev.status !== "ok" || prev.published.level === null)) throw new Error("the previous fixing of a chain is an ok fixing");
  if (ok) {
    value = sumOf(constituents.map((c) => c.weight.mul(c.price)));
    pct = QUANTILES.map((q) => weightedPercentile(constituents, q));
    if (prev === null) {
      level = Fraction.parse(def.baseLevel);
    } else {
      // [1.1] level_T = round6(L_prev x num / den), L_prev the published level of prev; the
      // basket M is prev's constituents still constituents at T, each priced at T's listed
      // prices with prev's volumes.
      const lPrev = Fraction.parse(prev.published.level!);
      const now = new Map(constituents.map((c) => [key(c.provider, c.model), c]));
      const basket: string[] = [];
      let num = Fraction.ZERO;
      let den = Fraction.ZERO;
      for (const p of prev.constituents) {
        const c = now.get(key(p.provider, p.model));
        if (!c) continue;
        const pIn = effectiveInput(c.listInput, c.listCached, p);
        const pStar = indexPrice(def.weighting, pIn, c.listOutput, blended(pIn, c.listOutput, p));
        basket.push(key(p.provider, p.model));
        num = num.add(p.weight.mul(pStar));
        den = den.add(p.weight.mul(p.price));
      }
      if (basket.length === 0) {
        level = lPrev;
      } else {
        chain = { prevAt: prev.at, basket, num, den };
        level = lPrev.mul(num).div(den);
      }
    }
  } else if (prev !== null) {
    value = prev.published.value === null ? null : Fraction.parse(prev.published.value);
    level = Fraction.parse(prev.published.level!);
  }

  const r6 = (x: Fraction | null) => (x === null ? null : roundHalfEven(x, 6));
  const [p25, p50, p75] = pct as [Fraction | null, Fraction | null, Fraction | null];
  const edges = boundaries(constituents, cap, ok, { value, level, p25, p50, p75 });
  return {
    at: inp.at,
    status: ok ? "ok" : "insufficient",
    constituents,
    value,
    level,
    p25,
    p50,
    p75,
    chain,
    edges,
    published: {
      status: ok ? "ok" : "insufficient",
      value: r6(value),
      level: r6(level),
      p25: r6(p25),
      p50: r6(p50),
      p75: r6(p75),
      constituents: Object.fromEntries(
        constituents.map((c) => [
          key(c.provider, c.model),
          {
            provider: c.provider,
            model: c.model,
            weight: roundHalfEven(c.weight, 8),
            price: roundHalfEven(c.price, 6),
            input_price: roundHalfEven(c.inputPrice, 6),
            output_price: roundHalfEven(c.outputPrice, 6),
            capped: c.capped,
          },
        ]),
      ),
    },
  };
}

function boundaries(
  constituents: ExactConstituent[],
  cap: Fraction,
  ok: boolean,
  numbers: Record<"value" | "level" | "p25" | "p50" | "p75", Fraction | null>,
): string[] {
  const edges: string[] = [];
  for (const [name, x] of Object.entries(numbers)) if (x !== null && isHalfWay(x, 6)) edges.push(`${name} ${x} is half-way at 7 decimals`);
  for (const c of constituents) {
    const k = key(c.provider, c.model);
    if (isHalfWay(c.weight, 8)) edges.push(`${k} weight ${c.weight} is half-way at 9 decimals`);
    for (const [name, x] of [["price", c.price], ["input_price", c.inputPrice], ["output_price", c.outputPrice]] as const) {
      if (isHalfWay(x, 6)) edges.push(`${k} ${name} ${x} is half-way at 7 decimals`);
    }
    if (!c.capped && c.weight.eq(cap) && frac(constituents.length).mul(cap).cmp(Fraction.ONE) > 0) edges.push(`${k} weight is exactly the cap`);
  }
  if (ok) {
    const sorted = [...constituents].sort((a, b) => a.price.cmp(b.price) || cmpText(a.provider, b.provider) || cmpText(a.model, b.model));
    let cumulative = Fraction.ZERO;
    for (const c of sorted) {
      cumulative = cumulative.add(c.weight);
      for (const q of QUANTILES) if (cumulative.eq(q)) edges.push(`cumulative weight is exactly ${q} at ${key(c.provider, c.model)}`);
    }
  }
  return edges;
}

/**
 * Consecutive final fixings at `times` (ascending), each chained from the previous ok one;
 * every input is given once, and each fixing sees what is in force at its T.
 */
export function exactChain(inp: { sheets: ExactSheet[]; usage: ExactUsage[]; definition: ExactDefinition; times: string[] }): ExactFixing[] {
  const out: ExactFixing[] = [];
  let prev: ExactFixing | null = null;
  for (const at of inp.times) {
    if (out.length > 0 && instant(at) <= instant(out[out.length - 1]!.at)) throw new Error("fixing times must ascend");
    const f = exactFixing({ sheets: inp.sheets, usage: inp.usage, definition: inp.definition, at, previous: prev });
    out.push(f);
    if (f.status === "ok") prev = f;
  }
  return out;
}
