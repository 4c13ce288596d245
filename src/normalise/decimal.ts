// Moved to values/decimal.ts (exact decimal text is shared with sources/). Kept only for
// src/hedge/bill.ts, written before the move; import from ../values/decimal.ts instead.
export * from "../values/decimal.ts";
