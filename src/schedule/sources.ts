/**
 * Each configured source on its own cron (`every`, in its `tz`), and every source once at
 * start. A source's runs never overlap: a run still going when its next one is due is
 * skipped, not queued. Each run ends as one log line; a failure never stops the others.
 */
import cron from "node-cron";
import type { Logger } from "pino";
import { collectSource, oneAtATime, type CollectResult } from "../collect/index.ts";
import type { Db } from "../db/index.ts";
import type { SourceConfig } from "../sources/config.ts";

export type RunningSources = {
  /** Settles when the start-up collection of every source has ended. */
  ready: Promise<void>;
  stop(): Promise<void>;
};

function logResult(log: Logger, r: CollectResult): void {
  if (r.stopped) return log.info({ source: r.source, outcome: "stopped" }, `collect: ${r.source}: stopped (the service is shutting down)`);
  const fields = { source: r.source, outcome: r.outcome, detail: r.detail };
  if (r.outcome === "failed") log.warn(fields, `collect: ${r.source}: failed: ${r.detail}`);
  else log.info(fields, `collect: ${r.source}: ${r.outcome === "ok" ? `ok, ${r.detail}` : "not modified"}`);
}

export function scheduleSources(db: Db, sources: readonly SourceConfig[], log: Logger): RunningSources {
  const running = new Map<string, Promise<void>>();
  // Fetches run side by side; the database part of every run, start-up or cron, one at a
  // time, so the registry rules always see the previous run of their source complete.
  const exclusive = oneAtATime();
  // Stopping abandons fetches still going (a hanging source would hold a SIGTERM for its
  // whole timeout and retries); database work under way finishes.
  const stopping = new AbortController();
  const run = (source: SourceConfig): Promise<void> => {
    const going = running.get(source.name);
    if (going) return going;
    const done = collectSource(db, source, { exclusive, signal: stopping.signal })
      .then((r) => logResult(log, r))
      .catch((err: unknown) => log.error({ err, source: source.name }, `collect: ${source.name}: failed`))
      .finally(() => running.delete(source.name));
    running.set(source.name, done);
    return done;
  };
  const ready = Promise.all(sources.map(run)).then(() => undefined);
  const tasks = sources.map((source) =>
    cron.schedule(source.every, () => run(source), { name: `ciyuan-source-${source.name}`, timezone: source.tz ?? "UTC" }),
  );
  return {
    ready,
    async stop() {
      stopping.abort();
      for (const task of tasks) {
        await task.stop();
        await task.destroy();
      }
      await ready;
      await Promise.all(running.values());
    },
  };
}
