import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { isRunning, processStartTime } from './proc';

/** The preload that gives a non-TypeScript child (Nx itself) the same watchdog: `node --require WATCHDOG_PRELOAD …`. */
export const WATCHDOG_PRELOAD = join(__dirname, 'watchdog.cjs');

/** A pipeline run as its children see it: the run's pid and kernel start time. */
export interface RunIdentity {
  pid: number;
  startTime?: string;
}

/** Environment variables that tell children which run started them (read by {@link runFromEnv} and the preload). */
export function runEnv(run: RunIdentity = { pid: process.pid, startTime: processStartTime(process.pid) }): Record<string, string> {
  return { TGS_RUN_PID: String(run.pid), TGS_RUN_START: run.startTime ?? '' };
}

/** The run that started this process, or undefined when it was started by hand. */
export function runFromEnv(env: NodeJS.ProcessEnv = process.env): RunIdentity | undefined {
  const pid = Number(env.TGS_RUN_PID);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: env.TGS_RUN_START || undefined };
}

/**
 * Ends this process (SIGTERM, then SIGKILL) within about half a second of `run` disappearing.
 * A worker thread polls, so a main thread busy in a synchronous training epoch is still stopped.
 * Writes are atomic, so a step stopped at any instant leaves the old or the new artifact.
 */
export function startRunWatchdog(run: RunIdentity, label: string, intervalMs = 500): void {
  if (!isRunning(run.pid, run.startTime)) {
    process.stderr.write(`${label}: the pipeline run that started this process (pid ${run.pid}) is gone; stopping\n`);
    process.exit(143);
  }
  const worker = new Worker(WATCHDOG_PRELOAD, { workerData: { pid: run.pid, start: run.startTime, label, intervalMs } });
  worker.unref();
}
