/**
 * The rulebook's "Constituents" price rules as SQL expressions, so the same rule serves
 * the fixing (volumes in the window) and the level's frozen basket (prev's volumes).
 */
import { sql, type SQL } from "drizzle-orm";
import { div } from "./decimal.ts";
import type { Weighting } from "./definitions.ts";

export type Components = { input: SQL; cached: SQL; output: SQL };
export type Volumes = { vIn: SQL; vC: SQL; vOut: SQL };

/** Effective input price: ((V_in - V_c) x input + V_c x cached) / V_in; cached falls back to
 * input where no cached price is listed. With no input volume it is the listed input price. */
export function effectiveInputPrice(p: Components, v: Volumes): SQL {
  return sql`CASE WHEN ${v.vIn} > 0
    THEN ${div(sql`(${v.vIn} - ${v.vC}) * ${p.input} + ${v.vC} * coalesce(${p.cached}, ${p.input})`, v.vIn)}
    ELSE ${p.input} END`;
}

/** Blended price: (p_in x V_in + p_out x V_out) / (V_in + V_out). */
export function blendedPrice(p: Components, v: Volumes): SQL {
  return sql`CASE WHEN ${v.vIn} + ${v.vOut} > 0
    THEN ${div(sql`${effectiveInputPrice(p, v)} * ${v.vIn} + ${p.output} * ${v.vOut}`, sql`${v.vIn} + ${v.vOut}`)}
    END`;
}

/** The price an index uses (rulebook, "Index family"). */
export function indexPrice(weighting: Weighting, p: Components, v: Volumes): SQL {
  if (weighting === "input") return effectiveInputPrice(p, v);
  if (weighting === "output") return p.output;
  return blendedPrice(p, v);
}

/** The volume an index weights by: V = V_in + V_out, V_in or V_out. */
export function weightingVolume(weighting: Weighting, v: Volumes): SQL {
  if (weighting === "input") return v.vIn;
  if (weighting === "output") return v.vOut;
  return sql`(${v.vIn} + ${v.vOut})`;
}
