// Deterministic benchmark data: same seed, same bytes.
//   rng.ts         integer-only PRNG and seeding
//   universe.ts    providers, models, base prices and volumes
//   prices.ts      price sheets as one CSV file (successive sheets with small moves)
//   usage.ts       usage figures as CSV, streamed to a file
//   scenarios.ts   the benches' data sets, anchored on one fixed fixing time
export { Rng, seedOf } from "./rng.ts";
export { FULL_UNIVERSE, universe, priceText, type ModelSpec, type ProviderSpec } from "./universe.ts";
export { PRICE_HEADER, priceSheetLines, writePriceSheets, type SheetSeriesOptions } from "./prices.ts";
export { USAGE_HEADER, usageRowCount, writeUsage, type UsageOptions } from "./usage.ts";
export { isoZ, type WrittenFile } from "./csv-writer.ts";
export * from "./scenarios.ts";
