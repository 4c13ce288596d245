// The fixing schedule, one job per file:
//   times.ts      when fixings are due (pure: final times, catch-up window, 15-minute slots)
//   scheduler.ts  Scheduler: each tick computes what is due now, once per index and T
//   cron.ts       startSchedule: the Scheduler on a node-cron minute timer, catch-up at start
//   sources.ts    scheduleSources: each collector source on its own cron, all once at start
export { CATCH_UP_DAYS, INDICATIVE_MINUTES, dueFinalFixings, finalTimesBetween, indicativeSlot } from "./times.ts";
export { Scheduler, type ComputeIfAbsent, type SchedulerOptions, type TickReport } from "./scheduler.ts";
export { startSchedule, type RunningSchedule } from "./cron.ts";
export { scheduleSources, type RunningSources } from "./sources.ts";
