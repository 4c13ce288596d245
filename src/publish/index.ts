// Publication: the fixing views shared by the CLI and HTTP, their JSON/CSV forms, the app.
export * from "./views.ts";
export { toJson, fixingJson, indexJson, exact, UNIT } from "./json.ts";
export { fixingsCsv, fixingCsvRecord, defuseFormula, FIXING_CSV_COLUMNS } from "./csv.ts";
export { statusFor } from "./errors.ts";
export { createApp } from "./app.ts";
export type { AppDeps } from "./deps.ts";
export { fixingEvents, type FixingEvents } from "./events.ts";
export { startServer, type RunningServer, type ServerOptions } from "./server.ts";
