/**
 * Prometheus metrics of one app, in a registry of its own (several apps in one process,
 * as in the tests, never share or collide). HTTP requests are counted and timed by route
 * pattern, never by raw path, so random URLs cannot grow the label set. Fixing ages and
 * source runs are read from the database on each scrape.
 */
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Db } from "../db/index.ts";
import { requestStats } from "./request-stats.ts";
import { latestFinals, pingDatabase, sourceStatuses } from "./read/status.ts";

export type Metrics = {
  registry: Registry;
  /** The exposition text, after refreshing what is read from the database. */
  scrape(): Promise<string>;
  contentType: string;
  /** One answered request. */
  record(method: string, route: string, status: number, seconds: number): void;
};

declare module "hono" {
  interface ContextVariableMap {
    metrics: Metrics;
  }
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export const UNMATCHED_ROUTE = "unmatched";

// Route patterns are few and fixed, so each is turned into its label once.
const labelOfPath = new Map<string, string>();

/** The pattern of the route that answered, in OpenAPI form (`/v1/indices/{code}/latest`). */
function routeLabel(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method === "ALL") continue;
    let label = labelOfPath.get(route.path);
    if (label === undefined) {
      label = route.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
      labelOfPath.set(route.path, label);
    }
    return label;
  }
  return UNMATCHED_ROUTE;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = requestStats(registry, {
    requests: { name: "ciyuan_http_requests_total", help: "HTTP requests answered, by method, route pattern and status" },
    duration: {
      name: "ciyuan_http_request_duration_seconds",
      help: "Time to the response head (a streamed body may run longer), by method, route pattern and status",
    },
  });
  const databaseUp = new Gauge({
    name: "ciyuan_database_up",
    help: "1 when the database answered this scrape's queries, else 0",
    registers: [registry],
  });
  const fixingAge = new Gauge({
    name: "ciyuan_fixing_age_seconds",
    help: "Seconds since the fixing_time of the index's latest final fixing",
    labelNames: ["index"] as const,
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: "ciyuan_source_last_success_timestamp_seconds",
    help: "Unix time of the source's last run with outcome ok or not_modified",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const lastAttempt = new Gauge({
    name: "ciyuan_source_last_attempt_timestamp_seconds",
    help: "Unix time of the source's last run, whatever its outcome",
    labelNames: ["source", "outcome"] as const,
    registers: [registry],
  });

  // Gauges are reset first, so an index or source that is gone does not linger, and a
  // database that cannot be read leaves them empty rather than frozen at old values.
  async function refresh(): Promise<void> {
    for (const g of [fixingAge, lastSuccess, lastAttempt]) g.reset();
    try {
      await pingDatabase(db);
      const [finals, sources] = [await latestFinals(db), await sourceStatuses(db)];
      for (const f of finals) if (f.ageSeconds !== null) fixingAge.set({ index: f.index }, f.ageSeconds);
      for (const s of sources) {
        lastAttempt.set({ source: s.source, outcome: s.lastAttempt.outcome }, s.lastAttemptEpoch);
        if (s.lastSuccessEpoch !== null) lastSuccess.set({ source: s.source }, s.lastSuccessEpoch);
      }
      databaseUp.set(1);
    } catch {
      for (const g of [fixingAge, lastSuccess, lastAttempt]) g.reset();
      databaseUp.set(0);
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      await refresh();
      return registry.metrics();
    },
    record(method: string, route: string, status: number, seconds: number) {
      requests.record(METHODS.has(method) ? method : "OTHER", route, status, seconds);
    },
  };
}

/** Counts and times every request; registered first, so it sees every answer. */
export function httpMetrics(db: Db): MiddlewareHandler {
  const metrics = createMetrics(db);
  return async (c, next) => {
    c.set("metrics", metrics);
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.record(c.req.method, routeLabel(c), c.res.status, (performance.now() - started) / 1000);
    }
  };
}
