// The hedge desk (operations-and-users.md section 9), one job per file:
//   bill.ts         the user's CSV bill (month,cost_cny,tokens), checked with zod, errors naming the line
//   settlements.ts  F_t: the index's latest settlement per bill month, as the settlement route reads it
//   statistics.ts   the exact statistics in one SQL statement over the bill (numeric, half-even to 6 places)
//   desk.ts         which months are used, the refusals and warnings, the published object
// Used by POST /v1/hedge (publish/routes/v1/hedge.ts) and `ciyuan hedge` (cli/hedge.ts).
export { BillError, MAX_MONTHS, parseBill, type Bill, type BillRow } from "./bill.ts";
export { FEW_MONTHS, MIN_CONSECUTIVE_MONTHS, hedge, hedgeJson, monthRanges, type HedgeRequest, type HedgeResult, type SeriesMonth, type SettlementStatus } from "./desk.ts";
export { EFFECTIVE_R_SQUARED, hedgeStatistics, roundSqrtRatio, type HedgeStatistics, type StatisticsMonth } from "./statistics.ts";
export { monthlySettlements, type MonthSettlement } from "./settlements.ts";
