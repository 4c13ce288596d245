// Signing published numbers: the key, the signed texts, verification.
export * from "./keys.ts";
export * from "./payload.ts";
export * from "./verify.ts";
export * from "./receipt.ts";
