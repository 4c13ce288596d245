// Read models of the publication: typed queries over the stored fixings and definitions,
// one module each, shared by the HTTP routes (and any CLI command that prints the same).
export * from "./attribution.ts";
export * from "./definition.ts";
export * from "./changes.ts";
