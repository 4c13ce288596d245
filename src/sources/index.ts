// File and body parsers: text (or a stream) -> units with their lines; no judgement on values.
export { parsePriceSheets, PRICE_CSV_COLUMNS, SHEET_SCHEMA, type SheetUnit, type JsonSheetUnit, type CsvSheetUnit, type BrokenUnit } from "./price-sheet.ts";
export { usageCsvUnits, usageJsonUnits, sniffUsageFormat, USAGE_COLUMNS, USAGE_SCHEMA, type UsageUnit } from "./usage.ts";
export { fxCsvUnits, fxJsonUnits, FX_COLUMNS, FX_SCHEMA } from "./fx.ts";
export { parseEcb, type EcbDay } from "./ecb.ts";
export { decodeText, isText, notText, NOT_TEXT, detectFormat, formatByName, formatByContent, type TextFormat, type RecordUnit } from "./text.ts";
export { cellsByName, type CsvRow } from "./csv.ts";
