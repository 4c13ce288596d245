/**
 * HTTP request counts and durations by (method, route pattern, status), kept as plain
 * numbers per series and handed to prom-client's registry only when it is scraped.
 *
 * prom-client's own Counter and Histogram hash the label object and validate it on every
 * observation, twice per request; on the most requested answer (the latest fixing) that
 * was a tenth of the throughput (scripts/bench-http.ts). Here a request costs one Map
 * lookup and a few additions. The registry still writes the exposition text: each metric
 * below is an object with the `name` and `get()` a registry reads, returning the same
 * shape as prom-client's counter and histogram.
 */
import type { Registry } from "prom-client";

/** prom-client's default histogram buckets, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type Labels = { method: string; route: string; status: string };
type Series = { labels: Labels; count: number; sum: number; buckets: number[] };

export type RequestStats = {
  record(method: string, route: string, status: number, seconds: number): void;
};

export function requestStats(
  registry: Registry,
  names: { requests: { name: string; help: string }; duration: { name: string; help: string } },
): RequestStats {
  const series = new Map<string, Series>();

  const requests = {
    name: names.requests.name,
    help: names.requests.help,
    type: "counter" as const,
    async get() {
      const values = [...series.values()].map((s) => ({ labels: { ...s.labels }, value: s.count }));
      return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" as const };
    },
  };

  const duration = {
    name: names.duration.name,
    help: names.duration.help,
    type: "histogram" as const,
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const s of series.values()) {
        // Buckets are cumulative in the exposition: each counts the observations <= its bound.
        let below = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          below += s.buckets[i]!;
          values.push({ labels: { le, ...s.labels }, value: below, metricName: `${this.name}_bucket` });
        });
        values.push({ labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
        values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
        values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
      }
      return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" as const };
    },
  };

  registry.registerMetric(requests as never);
  registry.registerMetric(duration as never);

  return {
    record(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let s = series.get(key);
      if (s === undefined) {
        s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) };
        series.set(key, s);
      }
      s.count++;
      s.sum += seconds;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        if (seconds <= DURATION_BUCKETS[i]!) {
          s.buckets[i]!++;
          break;
        }
      }
    },
  };
}
