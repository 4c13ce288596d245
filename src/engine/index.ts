// The index engine [1.1]: one evaluation, one rule per file with its SQL beside it.
//   inputs.ts        point in time at (T, watermark): sheets, FX and usage in force
//   holds.ts         held prices by lookup (states materialised at import, normalise/hold-states.ts)
//   prices.ts        costs and volumes: effective input, blended, index price basis
//   constituents.ts  universe, eligibility, exclusions with reasons
//   capping.ts       exact raw and capped weights
//   value.ts         value and weighted percentiles, exact
//   level.ts         chain-linked level from the published previous level
//   decimal.ts       the one rounding at publication (half-even from num / den)
//   evaluate.ts      the rules composed into one statement: a typed Evaluation
//   inputs-hash.ts   the aggregated inputs' canonical JSON and SHA-256
//   snapshot.ts      one REPEATABLE READ snapshot under the (index, kind, T) lock
//   fixing.ts        evaluate, then store as a new revision and sign; the restatement cascade
//   differences.ts   what differs between a stored revision and an evaluation
//   late-data.ts     the finals of the last late_data_days recomputed before a scheduled final
//   backfill.ts      final fixings over a date range
//   verify.ts        a stored fixing evaluated again at its watermark, every number checked
//   settlement.ts    monthly settlement prices, restated with each final fixing
//   restate.ts       a published final fixing recomputed as revision n+1 with a reason
//   v1_0/            what stays of 1.0: the inputs hash of fixings stored under it
export { computeFixing, computeFixingIfAbsent, computeFixingIfChanged, cascadeFrom, type FixingKind, type FixingRequest, type StoredFixing } from "./fixing.ts";
export { evaluate, type Evaluation, type Constituent, type Exclusion } from "./evaluate.ts";
export { inputsDocument, inputsSha256 } from "./inputs-hash.ts";
export { backfill, type BackfillProgress } from "./backfill.ts";
export { restateFixing } from "./restate.ts";
export { recomputeLateData, type LateDataRequest } from "./late-data.ts";
export { definitionAt, indexCodes, type IndexDefinition } from "./definitions.ts";
export { finalFixingTime, datesBetween } from "./schedule-times.ts";
export { assertOnCalendar, isFinalTime, isQuarterHour, resolveFixingTime } from "./calendar.ts";
export { heldPrices, approvePrice } from "./held.ts";
export { verifyFixing, type Check, type CheckName, type Verification, type VerifyRequest } from "./verify.ts";
export { settleAfterFixing, settleMonth, settlementCutoff, type SettledFixing, type StoredSettlement } from "./settlement.ts";
