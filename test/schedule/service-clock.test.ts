/**
 * CIYUAN_CLOCK_OFFSET_MS (test-only): the service's clock — `ciyuan start`'s scheduler and
 * backfill range, /health — shifted from the machine's, so the outage drill
 * (scripts/drill-outage.ts) can make a final fall due while Postgres is down.
 */
import { describe, expect, it } from "vitest";
import { loadConfig, serviceClock } from "../../src/config.ts";
import { CiyuanError } from "../../src/errors.ts";

describe("The service clock: the machine's, shifted by CIYUAN_CLOCK_OFFSET_MS", () => {
  it("is the machine's clock when the variable is unset", () => {
    const config = loadConfig({});
    expect(config.clockOffsetMs).toBe(0);
    const before = Date.now();
    const t = serviceClock(config)().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  it("runs that many milliseconds behind (negative) or ahead of it", () => {
    for (const offset of [-13 * 3_600_000, 90_000]) {
      const clock = serviceClock(loadConfig({ CIYUAN_CLOCK_OFFSET_MS: String(offset) }));
      const before = Date.now();
      const t = clock().getTime();
      expect(t - offset).toBeGreaterThanOrEqual(before);
      expect(t - offset).toBeLessThanOrEqual(Date.now());
    }
  });

  it("refuses a value that is not a whole number of milliseconds, naming the variable", () => {
    expect(() => loadConfig({ CIYUAN_CLOCK_OFFSET_MS: "1.5" })).toThrow(CiyuanError);
    expect(() => loadConfig({ CIYUAN_CLOCK_OFFSET_MS: "soon" })).toThrow(/CIYUAN_CLOCK_OFFSET_MS/);
  });
});

describe("LOG_FORMAT: the service's log lines", () => {
  it("is auto unless set to json or pretty; any other value is refused, naming the variable", () => {
    expect(loadConfig({}).logFormat).toBe("auto");
    expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });
});
