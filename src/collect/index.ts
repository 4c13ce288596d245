// Collectors: sources fetched, imported through the importers' gates, each run recorded.
export { collectSource, type CollectResult, type CollectOptions } from "./collect-source.ts";
export { collectAll, oneAtATime, type Exclusive } from "./collect-all.ts";
