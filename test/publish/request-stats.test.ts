/** Request counts and durations: the same exposition text as prom-client's own Counter and Histogram. */
import fc from "fast-check";
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { requestStats } from "../../src/publish/request-stats.ts";

const names = {
  requests: { name: "t_requests_total", help: "requests" },
  duration: { name: "t_duration_seconds", help: "durations" },
};

describe("request counts and latency are exposed exactly as prom-client's counter and histogram would", () => {
  it("gives the same text as prom-client for any sequence of requests", async () => {
    const request = fc.record({
      method: fc.constantFrom("GET", "HEAD", "POST"),
      route: fc.constantFrom("/v1/indices/{code}/latest", "/health", "unmatched"),
      status: fc.constantFrom(200, 304, 400, 404),
      // Around and on the bucket bounds, where <= matters.
      seconds: fc.oneof(fc.constantFrom(0, 0.005, 0.01, 0.25, 10, 10.5), fc.double({ min: 0, max: 20, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { maxLength: 60 }), async (requests) => {
        const ours = new Registry();
        const stats = requestStats(ours, names);
        const theirs = new Registry();
        const labelNames = ["method", "route", "status"];
        const counter = new Counter({ ...names.requests, labelNames, registers: [theirs] });
        const histogram = new Histogram({ ...names.duration, labelNames, registers: [theirs] });
        for (const r of requests) {
          stats.record(r.method, r.route, r.status, r.seconds);
          const labels = { method: r.method, route: r.route, status: String(r.status) };
          counter.inc(labels);
          histogram.observe(labels, r.seconds);
        }
        const lines = async (registry: Registry) => (await registry.metrics()).split("\n").sort();
        expect(await lines(ours)).toEqual(await lines(theirs));
      }),
      { seed: 20261124, numRuns: 200 },
    );
  });
});
