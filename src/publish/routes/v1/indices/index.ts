// The /v1/indices routes, one module each.
export * as list from "./list.ts";
export * as latest from "./latest.ts";
export * as fixings from "./fixings.ts";
export * as fixing from "./fixing.ts";
export * as revisions from "./revisions.ts";
export * as settlement from "./settlement.ts";
export * as definition from "./definition.ts";
export * as attribution from "./attribution.ts";
