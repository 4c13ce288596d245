import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "src/cli/bin.js");

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `ciyuan ARGS...` as a real child process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

export type ServingCli = {
  /** The URL from the `serving on` line; rejects if the process exits first. */
  url: Promise<string>;
  exited: Promise<number | null>;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
};

/** Starts a long-running `ciyuan ARGS...` (serve, start) and watches stderr for its URL. */
export function spawnServing(args: string[], env: NodeJS.ProcessEnv): ServingCli {
  // The URL is in the service's `serving on` log line (info): a silenced log would hide it.
  const level = env.LOG_LEVEL === undefined || env.LOG_LEVEL === "silent" ? "info" : env.LOG_LEVEL;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, LOG_LEVEL: level }, cwd: ROOT });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /serving on (http:\/\/[^\s"]+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`ciyuan ${args[0]} exited early: ${stderr}`)));
  });
  return { url, exited, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}
