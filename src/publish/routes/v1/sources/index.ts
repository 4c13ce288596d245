// The /v1/sources routes, one module each.
export * as runs from "./runs.ts";
