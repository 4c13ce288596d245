// The read model of the publication: typed queries that shape what is published (fixings,
// indices, settlements, models and prices, changes, attribution, keys, sources, status).
// Numbers leave the database as exact decimal text (rounded half-even in SQL) and never
// pass through a JS number. The HTTP layer (routes, formats, caching) and the CLI only call
// these; nothing here knows about HTTP.
//   fixing-row.ts           the stored fixing revision as every read shapes it
//   fixing.ts, fixings.ts   one fixing (with constituents), ranges, revisions, the stream's feed
//   indices.ts, definition.ts  the indices and one index's published definition
//   settlement.ts           monthly settlement prices with their coverage
//   models.ts               models and their price history
//   changes.ts              the price-change feed
//   attribution.ts          price versus mix between two finals
//   keys.ts, source-runs.ts, status.ts  signing keys, collector runs, health inputs
//   instants.ts             times as users write them in a query
export * from "./fixing-row.ts";
export * from "./fixing.ts";
export * from "./fixings.ts";
export * from "./indices.ts";
export * from "./attribution.ts";
export * from "./definition.ts";
export * from "./changes.ts";
