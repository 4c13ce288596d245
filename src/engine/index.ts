// The index engine: one rule of the rulebook per file, SQL beside it.
//   inputs.ts        point in time: sheets, FX and usage in force at T
//   holds.ts         held prices (>80 % moves) and their release
//   prices.ts        effective input price, blended price, index price basis
//   constituents.ts  universe, eligibility, exclusions with reasons
//   capping.ts       raw and capped weights
//   value.ts         value and weighted percentiles
//   level.ts         chain-linked level on the frozen basket
//   inputs-hash.ts   the inputs a fixing read and their SHA-256
//   fixing.ts        composes the rules, stores a fixing as a new revision
//   backfill.ts      final fixings over a date range
//   input-scope.ts   which stored input rows a fixing reads (all, or those recorded for it)
//   verify.ts        a stored fixing recomputed from its recorded inputs, hash and signature checked
//   settlement.ts    monthly settlement prices, restated with each final fixing
//   restate.ts       a published final fixing recomputed as revision n+1 with a reason
export { computeFixing, computeFixingIfAbsent, type FixingKind, type FixingRequest, type StoredFixing } from "./fixing.ts";
export { backfill, type BackfillProgress } from "./backfill.ts";
export { restateFixing } from "./restate.ts";
export { definitionAt, indexCodes, type IndexDefinition } from "./definitions.ts";
export { finalFixingTime, datesBetween } from "./schedule-times.ts";
export { heldPrices, approvePrice } from "./held.ts";
export { verifyFixing, type Check, type CheckName, type Verification, type VerifyRequest } from "./verify.ts";
export { settleAfterFixing, settleMonth, type SettledFixing, type StoredSettlement } from "./settlement.ts";
