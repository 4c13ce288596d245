/**
 * The hedge statistics of section 9, computed exactly in one SQL statement over the bill
 * as a VALUES list.
 *
 * Why SQL: Postgres `numeric` adds, subtracts and multiplies decimals exactly, and the
 * index and its settlements are computed by the same engine with the same half-even
 * rounding (round_ratio_half_even, migrations/0008), so the desk's figures are exact
 * decimals like the settlement prices they are built on, and identical on PGlite and
 * Postgres. JS floats would not be; Postgres' own covar_samp/regr_* are float-only.
 *
 * Exactness: every statistic is a ratio of sums that stay exact decimals, rounded once:
 * - S_t = cost x 1e6 / tokens is a rational, so each is multiplied by B, the least common
 *   multiple of the used months' token counts (B = 1 without tokens): S_t x B is an exact
 *   decimal, and B cancels out of every ratio published.
 * - Sample (n - 1) moments are kept as n(n-1) x moment, which needs no division:
 *   vx = n Σ dF² - (Σ dF)², vy = n Σ (B dS)² - (Σ B dS)², cxy = n Σ B dS dF - Σ B dS Σ dF.
 *   Then hedge_ratio = cov(dS,dF) / var(dF) = cxy / (B vx), r_squared = cxy² / (vx vy).
 * - variance_reduction is computed from its definition, 1 - var(dS - h dF) / var(dS) with
 *   the exact h: the hedged change scaled by B vx, e_t = B dS_t vx - cxy dF_t, is exact, and
 *   ve = n Σ e² - (Σ e)² gives var(dS - h dF) / var(dS) = ve / (vx² vy). In sample it equals
 *   r_squared, as the spec says; both are published.
 * - correlation = sign(cxy) sqrt(r_squared) and volatility_reduction = 1 - sqrt(ve / (vx² vy))
 *   are irrational in general: sqrt of an exact ratio rounded half-even to 6 places by an
 *   exact integer square root (roundSqrtRatio below), so even these are the correctly
 *   rounded values, not a float's.
 * - contracts_per_month = h x mean monthly tokens / 1e6 = cxy Σ tokens / (B vx m 1e6), over
 *   the m months used.
 * A zero variance leaves the ratios that divide by it null (nullif): the caller refuses.
 */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { roundHalfEven, roundRatio } from "../engine/decimal.ts";

export type StatisticsMonth = {
  month: string;
  costCny: string;
  tokens: string | null;
  /** The settlement value F_t; null when the month has none. */
  settlement: string | null;
  /** Which run of consecutive settled months it belongs to; null when it is not used. */
  run: number | null;
};

export type HedgeStatistics = {
  /** S_t of every month given, rounded half-even to 6 places. */
  unitCosts: string[];
  /** Monthly changes used. */
  changes: number;
  /** var(dF) = 0 / var(dS) = 0 over the months used: the ratios below are null. */
  flatSettlement: boolean;
  flatCost: boolean;
  hedgeRatio: string | null;
  correlation: string | null;
  rSquared: string | null;
  varianceReduction: string | null;
  volatilityReduction: string | null;
  /** r_squared as published >= 0.8. */
  effective: boolean | null;
  /** Null without tokens. */
  contractsPerMonth: string | null;
};

const PLACES = 6;
/** R² (as published) from which the hedge counts as effective: the 80 % of the regression test. */
export const EFFECTIVE_R_SQUARED = "0.8";

/**
 * sqrt(num / den) rounded half-even to `places` decimals, exactly (num >= 0, den > 0;
 * null when den is null). With q = floor(4 x 10^(2 places) x num / den) and m = isqrt(q)
 * = floor(2 x 10^places x sqrt(num / den)): an even m is twice the rounded result; an odd m
 * means the root lies at or past the half-way point, exactly on it only when m² = 4 x
 * 10^(2 places) x num / den (then the even neighbour wins). isqrt corrects numeric sqrt's
 * rounding to a whole number by one either way, so no digit of the result rests on a
 * rounded root.
 */
export function roundSqrtRatio(num: SQL, den: SQL, places: number): SQL {
  const four = sql.raw(`4${"0".repeat(2 * places)}`);
  // Multiplied, not divided: numeric division keeps only about 16 significant digits.
  const unit = sql.raw(places === 0 ? "1" : `0.${"0".repeat(places - 1)}1`);
  const p = sql.raw(String(places));
  return sql`(SELECT round(CASE WHEN mod(m, 2) = 0 THEN div(m, 2)
                                WHEN m * m * d = ${four} * n AND mod(div(m - 1, 2), 2) = 0 THEN div(m - 1, 2)
                                ELSE div(m + 1, 2) END * ${unit}, ${p})
              FROM (SELECT n, d, CASE WHEN r * r > q THEN r - 1 WHEN (r + 1) * (r + 1) <= q THEN r + 1 ELSE r END AS m
                    FROM (SELECT n, d, q, trunc(sqrt(q)) AS r
                          FROM (SELECT n, d, div(${four} * n, d) AS q
                                FROM (SELECT (${num})::numeric AS n, (${den})::numeric AS d) AS given) AS quotient) AS root) AS floor_root)`;
}

type Row = {
  unit_cost: string;
  changes: number;
  flat_settlement: boolean;
  flat_cost: boolean;
  hedge_ratio: string | null;
  correlation: string | null;
  r_squared: string | null;
  variance_reduction: string | null;
  volatility_reduction: string | null;
  effective: boolean | null;
  contracts_per_month: string | null;
};

/** The statistics over the months with a run (consecutive settled months), changes within each run. */
export async function hedgeStatistics(db: Db, months: StatisticsMonth[]): Promise<HedgeStatistics> {
  const values = sql.join(
    months.map(
      (m, i) =>
        sql`(${i + 1}::int, ${m.run}::int, ${m.costCny}::numeric, ${m.tokens}::numeric, ${m.settlement}::numeric)`,
    ),
    sql`, `,
  );
  const r2 = roundRatio(sql`m.cxy * m.cxy`, sql`nullif(m.vx * m.vy, 0)`, PLACES);
  const found = await rows<Row>(
    db,
    sql`
    WITH RECURSIVE bill(seq, run, cost, tokens, f) AS (VALUES ${values}),
    -- B: the least common multiple of the used months' token counts, folded in month order.
    common(seq, b) AS (
      SELECT 0, 1::numeric
      UNION ALL
      SELECT c.seq + 1, CASE WHEN x.run IS NOT NULL AND x.tokens IS NOT NULL THEN lcm(c.b, x.tokens) ELSE c.b END
      FROM common c JOIN bill x ON x.seq = c.seq + 1
    ),
    denominator AS (SELECT b FROM common ORDER BY seq DESC LIMIT 1),
    -- S_t x B, exact: B / tokens is a whole number.
    used AS (
      SELECT x.seq, x.run, x.f, x.tokens,
             CASE WHEN x.tokens IS NULL THEN x.cost ELSE x.cost * 1000000 * div(s.b, x.tokens) END AS sb
      FROM bill x, denominator s
      WHERE x.run IS NOT NULL
    ),
    -- Monthly changes within each run of consecutive settled months.
    changes AS (
      SELECT ds, df FROM (
        SELECT sb - lag(sb) OVER w AS ds, f - lag(f) OVER w AS df
        FROM used WINDOW w AS (PARTITION BY run ORDER BY seq)
      ) AS c
      WHERE ds IS NOT NULL
    ),
    -- n(n-1) x the sample moments: vx of dF, vy of B dS, cxy their covariance.
    moments AS (
      SELECT count(*)::int AS changes, count(*)::numeric * sum(df * df) - sum(df) * sum(df) AS vx,
             count(*)::numeric * sum(ds * ds) - sum(ds) * sum(ds) AS vy,
             count(*)::numeric * sum(ds * df) - sum(ds) * sum(df) AS cxy
      FROM changes
    ),
    -- The hedged change dS - h dF with the exact h, times B vx.
    residuals AS (
      SELECT count(*)::numeric * sum(e * e) - sum(e) * sum(e) AS ve
      FROM (SELECT c.ds * m.vx - m.cxy * c.df AS e FROM changes c, moments m) AS hedged
    ),
    volumes AS (SELECT count(*)::numeric AS months, sum(tokens) AS tokens FROM used),
    stats AS (
      SELECT m.changes, m.vx = 0 AS flat_settlement, m.vy = 0 AS flat_cost,
             ${roundRatio(sql`m.cxy`, sql`nullif(s.b * m.vx, 0)`, PLACES)} AS hedge_ratio,
             sign(m.cxy) * ${roundSqrtRatio(sql`m.cxy * m.cxy`, sql`nullif(m.vx * m.vy, 0)`, PLACES)} AS correlation,
             ${r2} AS r_squared,
             ${roundRatio(sql`m.vx * m.vx * m.vy - r.ve`, sql`nullif(m.vx * m.vx * m.vy, 0)`, PLACES)} AS variance_reduction,
             1 - ${roundSqrtRatio(sql`r.ve`, sql`nullif(m.vx * m.vx * m.vy, 0)`, PLACES)} AS volatility_reduction,
             ${r2} >= ${EFFECTIVE_R_SQUARED}::numeric AS effective,
             ${roundRatio(sql`m.cxy * v.tokens`, sql`nullif(s.b * m.vx * v.months * 1000000, 0)`, PLACES)} AS contracts_per_month
      FROM moments m, residuals r, volumes v, denominator s
    )
    SELECT CASE WHEN x.tokens IS NULL THEN ${roundHalfEven(sql`x.cost`, PLACES)}
                ELSE ${roundRatio(sql`x.cost * 1000000`, sql`x.tokens`, PLACES)} END::text AS unit_cost,
           st.changes, st.flat_settlement, st.flat_cost, st.hedge_ratio::text, st.correlation::text, st.r_squared::text,
           st.variance_reduction::text, st.volatility_reduction::text, st.effective, st.contracts_per_month::text
    FROM bill x, stats st
    ORDER BY x.seq`,
  );
  const head = found[0]!;
  return {
    unitCosts: found.map((r) => r.unit_cost),
    changes: head.changes,
    flatSettlement: head.flat_settlement,
    flatCost: head.flat_cost,
    hedgeRatio: head.hedge_ratio,
    correlation: head.correlation,
    rSquared: head.r_squared,
    varianceReduction: head.variance_reduction,
    volatilityReduction: head.volatility_reduction,
    effective: head.effective,
    contractsPerMonth: head.contracts_per_month,
  };
}
