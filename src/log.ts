/**
 * The service's one log format: pino JSON lines on stderr, one object per event, or the
 * same events made readable by pino-pretty when stderr is a terminal (LOG_FORMAT=auto, the
 * default; `json` or `pretty` force one). Every line of a long-running command (`start`,
 * `serve`) goes through here: the scheduler, the collectors, the HTTP service's failures,
 * progress and lifecycle. A one-shot command's result or refusal stays one plain line
 * (`ciyuan: ...`), which is its answer rather than a log.
 *
 * Writes are synchronous, so a line logged just before the process exits is not lost.
 */
import { pino, type Logger } from "pino";

export type { Logger } from "pino";
export type LogFormat = "auto" | "json" | "pretty";

export type LogOptions = {
  level: string;
  format?: LogFormat | undefined;
  /** Where the lines go (default: stderr, fd 2). */
  fd?: number | undefined;
};

export async function createLog(opts: LogOptions): Promise<Logger> {
  const fd = opts.fd ?? 2;
  const format = opts.format ?? "auto";
  const pretty = format === "pretty" || (format === "auto" && fd === 2 && process.stderr.isTTY === true);
  // pino's own JSON (numeric level, epoch-ms time), so its tools (pino-pretty, transports) read it.
  const base = { level: opts.level };
  if (!pretty) return pino(base, pino.destination({ dest: fd, sync: true }));
  // Loaded only for a terminal: a service writing to a file or a pipe never pays for it.
  const { default: pinoPretty } = await import("pino-pretty");
  return pino(base, pinoPretty({ destination: fd, sync: true, colorize: format === "auto", translateTime: "SYS:standard", ignore: "pid,hostname" }));
}
