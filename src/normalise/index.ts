// Importers and data quality gates: parsed units in, accepted rows (or quarantine) out.
export { UnreadableFile, type ImportOutcome } from "./outcome.ts";
export { storeInput, type InputOrigin, type StoreOptions, type StoreResult, type AcceptedSheet } from "./store-input.ts";
export { importPrices, importPriceFile, type ImportPricesInput } from "./import-prices.ts";
export { importUsage, importUsageFile, type ImportUsageInput } from "./import-usage.ts";
export { importFx, importFxFile, type ImportFxInput } from "./import-fx.ts";
export { validateSheet, rejectionMessage, SHEET_SCHEMA, type Sheet, type ModelPrice, type SheetOrigin, type SheetVerdict } from "./sheet.ts";
export { storeSheet, type StoreSheetResult } from "./store-sheet.ts";
export { storeWithdrawal, type Withdrawal } from "./store-withdrawal.ts";
export { withoutUnchangedSheets, type SheetsText, type WithoutUnchanged } from "./unchanged-sheets.ts";
export { canonicalSheet, contentSha256, jsonText } from "./canonical.ts";
export { validateUsage, type UsageRecord } from "./usage.ts";
export { ecbCrossRates, ecbPublicationTime, validateFx, CROSS_RATE_SCALE, type FxRate } from "./fx.ts";
// The value parsers live in values/ (sources/ reads by them too); named here as before.
export { plainDecimal, divideDecimals, isPositive } from "../values/decimal.ts";
export { parseOffsetInstant } from "../values/instant.ts";
export { ACTIVE_CURRENCIES, WITHDRAWN_CURRENCIES, UNITS, isActiveCurrency, isKnownCurrency, type Unit } from "../values/currencies.ts";
export { openBatch, originOf, visibleWatermark, type BatchKind, type Origin } from "./batches.ts";
export { materialiseHolds, materialiseMissingHolds } from "./hold-states.ts";
