// The operator routes (/v1/admin/...); `auth` guards them and is registered first.
export * as auth from "./auth.ts";
export * as approve from "./approve.ts";
export * as restate from "./restate.ts";
