/**
 * The production clock for the Scheduler: node-cron fires a tick every minute (each tick
 * works out what is due, so a missed minute or a suspended machine only delays, never
 * skips, a fixing), and one tick runs at start for the catch-up.
 */
import cron from "node-cron";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";

export type RunningSchedule = {
  scheduler: Scheduler;
  /** Settles when the start-up (catch-up) tick has run. */
  ready: Promise<void>;
  /** Stops the timer and waits for a tick in progress to finish. */
  stop(): Promise<void>;
};

export function startSchedule(opts: SchedulerOptions): RunningSchedule {
  const scheduler = new Scheduler(opts);
  const tick = () =>
    scheduler.tick().then(
      () => undefined,
      (err: unknown) => opts.log.error({ err }, "schedule: tick failed"),
    );
  const ready = tick();
  const task = cron.schedule("* * * * *", tick, { name: "ciyuan-fixings", timezone: "UTC" });
  return {
    scheduler,
    ready,
    async stop() {
      await task.stop();
      await task.destroy();
      await scheduler.idle();
    },
  };
}
