// Contributions: providers and platforms submitting usage and prices, and the audit trail.
export * as auth from "./guard.ts";
export * as usage from "./usage.ts";
export * as prices from "./prices.ts";
export * as list from "./list.ts";
