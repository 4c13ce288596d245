/**
 * The hedge desk (operations-and-users.md section 9): a user's monthly bill against the
 * index's monthly settlement prices, answered with the minimum-variance hedge ratio and how
 * well it hedges. One function for the route and the CLI, so both give the same object.
 *
 * Which months are used (decided here; METHODOLOGY.md "Hedge desk" says the same):
 * - A bill month without a settlement (before the index's first fixing, or not yet
 *   settled) is left out, with a warning. A monthly change is taken only between two
 *   consecutive bill months that both have a settlement, so a month without one splits
 *   the series into runs; a settled month with no settled neighbour gives no change and is
 *   left out too. `months` counts the bill months that enter at least one change.
 * - At least 4 consecutive months with a settlement (3 changes) are needed: otherwise 400.
 * - var(dF) = 0 (the settlement never moved) leaves the hedge ratio undefined and var(dS)
 *   = 0 (the cost never moved) leaves correlation and R² undefined: both are refused with
 *   a 400 saying so, rather than answered with nulls a user could take for numbers.
 */
import type { Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { exact } from "../publish/json.ts";
import { requireIndex } from "../publish/read/index.ts";
import { nextMonth, parseBill } from "./bill.ts";
import { monthlySettlements, type MonthSettlement } from "./settlements.ts";
import { hedgeStatistics } from "./statistics.ts";

/** Consecutive settled months needed (3 monthly changes). */
export const MIN_CONSECUTIVE_MONTHS = 4;
/** Fewer months used than this is warned about. */
export const FEW_MONTHS = 12;

export type HedgeRequest = {
  index: string;
  /** The CSV bill as sent or read from the file. */
  bill: Uint8Array | string;
  /** The moment settlements' coverage (final, complete) is judged at; default the clock. */
  now?: Date | undefined;
};

export type SettlementStatus = "final" | "not_final" | "provisional" | "none";

export type SeriesMonth = {
  month: string;
  /** S_t rounded half-even to 6 places. */
  unitCost: string;
  settlement: string | null;
  status: SettlementStatus;
  complete: boolean | null;
  used: boolean;
};

export type HedgeResult = {
  index: string;
  hedgeRatio: string;
  correlation: string;
  rSquared: string;
  varianceReduction: string;
  volatilityReduction: string;
  effective: boolean;
  contractsPerMonth: string | null;
  months: number;
  warnings: string[];
  costUnit: string;
  series: SeriesMonth[];
};

export async function hedge(db: Db, req: HedgeRequest): Promise<HedgeResult> {
  await requireIndex(db, req.index);
  const bill = parseBill(req.bill);
  const months = bill.rows.map((r) => r.month);
  const settlements = await monthlySettlements(db, req.index, months[0]!, months.at(-1)!, req.now);
  const runs = settledRuns(months, settlements);
  requireEnoughMonths(req.index, months, runs);
  const runOf = new Map<string, number>();
  runs.forEach((run, i) => {
    if (run.length >= 2) for (const m of run) runOf.set(m, i + 1);
  });

  const stats = await hedgeStatistics(
    db,
    bill.rows.map((r) => ({
      month: r.month,
      costCny: r.costCny,
      tokens: r.tokens,
      settlement: settlements.get(r.month)?.value ?? null,
      run: runOf.get(r.month) ?? null,
    })),
  );
  if (stats.flatSettlement) {
    throw new CiyuanError(
      "bad_input",
      `the settlement of ${req.index} did not change over the months used (var(dF) = 0): no hedge ratio can be estimated`,
    );
  }
  if (stats.flatCost) {
    throw new CiyuanError(
      "bad_input",
      `your ${bill.withTokens ? "unit cost" : "monthly cost"} did not change over the months used (var(dS) = 0): there is nothing to hedge`,
    );
  }

  const series: SeriesMonth[] = bill.rows.map((r, i) => {
    const s = settlements.get(r.month);
    return {
      month: r.month,
      unitCost: stats.unitCosts[i]!,
      settlement: s?.value ?? null,
      status: statusOf(s),
      complete: s ? s.complete : null,
      used: runOf.has(r.month),
    };
  });
  return {
    index: req.index,
    hedgeRatio: stats.hedgeRatio!,
    correlation: stats.correlation!,
    rSquared: stats.rSquared!,
    varianceReduction: stats.varianceReduction!,
    volatilityReduction: stats.volatilityReduction!,
    effective: stats.effective!,
    contractsPerMonth: stats.contractsPerMonth,
    months: runOf.size,
    warnings: warningsFor(req.index, series, runs),
    costUnit: bill.withTokens ? "CNY per 1M tokens" : "CNY per month",
    series,
  };
}

/** The bill's maximal runs of consecutive months with a settlement, oldest first. */
function settledRuns(months: string[], settlements: Map<string, MonthSettlement>): string[][] {
  const runs: string[][] = [];
  let current: string[] = [];
  for (const m of months) {
    if (settlements.has(m)) current.push(m);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

function requireEnoughMonths(index: string, months: string[], runs: string[][]): void {
  const longest = runs.reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
  if (longest.length >= MIN_CONSECUTIVE_MONTHS) return;
  const need = `at least ${MIN_CONSECUTIVE_MONTHS} consecutive months with a settlement of ${index} are needed`;
  if (longest.length === 0) {
    throw new CiyuanError("bad_input", `${need}; none of the bill's months (${monthRanges(months)}) has one`);
  }
  throw new CiyuanError("bad_input", `${need}; the bill has ${longest.length} at most (${monthRanges(longest)})`);
}

function statusOf(s: MonthSettlement | undefined): SettlementStatus {
  if (!s) return "none";
  if (s.provisional) return "provisional";
  return s.final ? "final" : "not_final";
}

function warningsFor(index: string, series: SeriesMonth[], runs: string[][]): string[] {
  const used = series.filter((s) => s.used);
  const warnings: string[] = [];
  if (used.length < FEW_MONTHS) {
    warnings.push(`only ${used.length} months used: fewer than ${FEW_MONTHS} months make these estimates uncertain`);
  }
  const none = series.filter((s) => s.status === "none").map((s) => s.month);
  if (none.length > 0) warnings.push(`no settlement of ${index} for ${monthRanges(none)}: left out`);
  const isolated = runs.filter((r) => r.length === 1).map((r) => r[0]!);
  if (isolated.length > 0) {
    warnings.push(`${monthRanges(isolated)}: settled, but no neighbouring bill month is, so no monthly change: left out`);
  }
  const listed = (status: SettlementStatus) => used.filter((s) => s.status === status).map((s) => s.month);
  const provisional = listed("provisional");
  if (provisional.length > 0) {
    warnings.push(`provisional settlement (the month's last final fixing is not published yet) for ${monthRanges(provisional)}: it may still change`);
  }
  const notFinal = listed("not_final");
  if (notFinal.length > 0) {
    warnings.push(`settlement not final yet (before its cut-off) for ${monthRanges(notFinal)}: it may still be revised`);
  }
  const incomplete = used.filter((s) => s.status !== "provisional" && s.complete === false).map((s) => s.month);
  if (incomplete.length > 0) {
    warnings.push(`incomplete settlement (days without a final fixing) for ${monthRanges(incomplete)}`);
  }
  return warnings;
}

/** "2026-01 to 2026-03, 2026-06": consecutive months written as a range. */
export function monthRanges(months: string[]): string {
  const parts: string[] = [];
  let start = months[0];
  let end = months[0];
  for (const m of months.slice(1)) {
    if (m === nextMonth(end!)) end = m;
    else {
      parts.push(start === end ? start! : `${start} to ${end}`);
      start = m;
      end = m;
    }
  }
  if (start !== undefined) parts.push(start === end ? start : `${start} to ${end}`);
  return parts.join(", ");
}

/** The published object: section 9's fields at the top level, then the series charted. */
export function hedgeJson(r: HedgeResult): object {
  return {
    index: r.index,
    hedge_ratio: exact(r.hedgeRatio),
    correlation: exact(r.correlation),
    r_squared: exact(r.rSquared),
    variance_reduction: exact(r.varianceReduction),
    volatility_reduction: exact(r.volatilityReduction),
    effective: r.effective,
    contracts_per_month: exact(r.contractsPerMonth),
    months: r.months,
    warnings: r.warnings,
    cost_unit: r.costUnit,
    series: r.series.map((s) => ({
      month: s.month,
      unit_cost: exact(s.unitCost),
      settlement: exact(s.settlement),
      settlement_status: s.status,
      complete: s.complete,
      used: s.used,
    })),
  };
}
