// The /v1/models routes, one module each.
export * as list from "./list.ts";
export * as prices from "./prices.ts";
