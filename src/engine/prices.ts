/**
 * The rulebook's "Constituents" price rules as exact SQL expressions. A constituent's price
 * is a cost over a volume, p = C / V, with C the cost in CNY of the window's tokens at the
 * listed prices and V the index's weighting volume; nothing is divided here, so weights,
 * value, percentiles and the level can be kept exact (engine/exact.ts).
 *
 *   effective input price p_in = ((V_in - V_c) x input + V_c x cached) / V_in
 *   blended price         p    = (p_in x V_in + p_out x V_out) / (V_in + V_out)
 *                              = (cost of the input tokens + cost of the output tokens) / (V_in + V_out)
 *
 * The same rules serve the fixing (volumes of the window) and the level's frozen basket
 * (the previous fixing's volumes).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Weighting } from "./definitions.ts";

/** Component prices in CNY per 1M tokens; `cached` already falls back to `input`. */
export type Components = { input: SQL; cached: SQL; output: SQL };
export type Volumes = { vIn: SQL; vC: SQL; vOut: SQL };

/** The CNY cost of the input tokens: (V_in - V_c) x input + V_c x cached. */
export function inputCost(p: Components, v: Volumes): SQL {
  return sql`((${v.vIn} - ${v.vC}) * ${p.input} + ${v.vC} * ${p.cached})`;
}

/** The CNY cost of the output tokens: V_out x output. */
export function outputCost(p: Components, v: Volumes): SQL {
  return sql`(${v.vOut} * ${p.output})`;
}

/** C: the cost an index's price is made of (rulebook, "Index family"). */
export function indexCost(weighting: Weighting, p: Components, v: Volumes): SQL {
  if (weighting === "input") return inputCost(p, v);
  if (weighting === "output") return outputCost(p, v);
  return sql`(${inputCost(p, v)} + ${outputCost(p, v)})`;
}

/** V: the volume an index weights by: V = V_in + V_out, V_in or V_out. */
export function weightingVolume(weighting: Weighting, v: Volumes): SQL {
  if (weighting === "input") return v.vIn;
  if (weighting === "output") return v.vOut;
  return sql`(${v.vIn} + ${v.vOut})`;
}
