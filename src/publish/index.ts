// Publication, in two layers: the read model (read/: typed queries, exact decimal text) and
// the HTTP service that only calls it (everything else here: formats, answers, routes).
//   read/                                                          the read model (read/index.ts maps it)
//   changes-format.ts, settlement-json.ts                          the price-change feed (JSON, CSV) and settlements as published
//   json.ts, csv.ts, csv-tables.ts, csv-writer.ts                  exact JSON; RFC 4180 CSV
//   respond.ts, negotiate.ts, caching.ts, errors.ts                answers: streams, Accept, ETag/304, error shape
//   events.ts, latest-cache.ts                                     new fixings (LISTEN/NOTIFY), the cached latest
//   metrics.ts, page-assets.ts, pages/                             Prometheus; dashboard, widget and hedge pages
//   health.ts, health-schemas.ts, request-stats.ts                 /health and /v1/status from read/status.ts; request counts
//   params.ts, schemas.ts, ranges.ts                               zod parameters and response shapes
//   routes/                                                        one file per route, listed in routes/index.ts
//   app.ts, deps.ts, server.ts                                     the app, what it needs, the listening server
export * from "./read/index.ts";
export { toJson, fixingJson, indexJson, exact, UNIT } from "./json.ts";
export { fixingsCsv, fixingCsvRecord, defuseFormula, FIXING_CSV_COLUMNS } from "./csv.ts";
export { statusFor } from "./errors.ts";
export { createApp } from "./app.ts";
export type { AppDeps } from "./deps.ts";
export { fixingEvents, type FixingEvents } from "./events.ts";
export { startServer, type RunningServer, type ServerOptions } from "./server.ts";
