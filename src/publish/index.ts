// Publication: what is read, how it is written, and the HTTP service.
//   views.ts, models.ts, settlement-view.ts, keys.ts, status.ts   reads (exact decimal text)
//   json.ts, csv.ts, csv-tables.ts, csv-writer.ts                  exact JSON; RFC 4180 CSV
//   respond.ts, negotiate.ts, caching.ts, errors.ts                answers: streams, Accept, ETag/304, error shape
//   events.ts, latest-cache.ts                                     new fixings (LISTEN/NOTIFY), the cached latest
//   metrics.ts, page-assets.ts, pages/                             Prometheus; dashboard and widget files
//   params.ts, schemas.ts, instants.ts, ranges.ts                  zod parameters and response shapes
//   routes/                                                        one file per route, listed in routes/index.ts
//   app.ts, deps.ts, server.ts                                     the app, what it needs, the listening server
export * from "./views.ts";
export { toJson, fixingJson, indexJson, exact, UNIT } from "./json.ts";
export { fixingsCsv, fixingCsvRecord, defuseFormula, FIXING_CSV_COLUMNS } from "./csv.ts";
export { statusFor } from "./errors.ts";
export { createApp } from "./app.ts";
export type { AppDeps } from "./deps.ts";
export { fixingEvents, type FixingEvents } from "./events.ts";
export { startServer, type RunningServer, type ServerOptions } from "./server.ts";
