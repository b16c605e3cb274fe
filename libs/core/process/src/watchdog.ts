import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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
  return { SEGKIT_RUN_PID: String(run.pid), SEGKIT_RUN_START: run.startTime ?? '' };
}

/** The run that started this process, or undefined when it was started by hand. */
export function runFromEnv(env: NodeJS.ProcessEnv = process.env): RunIdentity | undefined {
  const pid = Number(env.SEGKIT_RUN_PID);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: env.SEGKIT_RUN_START || undefined };
}

interface WatchTarget {
  pid: number;
  start?: string;
  /** How the farewell names it: `<label>: <what> (pid <pid>) is gone; stopping`. */
  what: string;
}

function startWatchdogWorker(targets: WatchTarget[], label: string, intervalMs: number, killAfterMs: number): void {
  const worker = new Worker(WATCHDOG_PRELOAD, { workerData: { targets, label, intervalMs, killAfterMs } });
  worker.unref();
}

/**
 * Ends this process (SIGTERM, then SIGKILL) within about half a second of `run` disappearing.
 * A worker thread polls, so a main thread busy in a synchronous training epoch is still stopped,
 * also when the run's whole process group died with it (stderr then leads nowhere).
 * Writes are atomic, so a step stopped at any instant leaves the old or the new artifact.
 */
export function startRunWatchdog(run: RunIdentity, label: string, intervalMs = 500): void {
  if (!isRunning(run.pid, run.startTime)) {
    try {
      process.stderr.write(`${label}: the pipeline run that started this process (pid ${run.pid}) is gone; stopping\n`);
    } finally {
      process.exit(143);
    }
  }
  startWatchdogWorker([{ pid: run.pid, start: run.startTime, what: 'the pipeline run that started this process' }], label, intervalMs, 3000);
}

/** `/proc/<pid>/stat`'s parent pid and `/proc/<pid>/cmdline`'s arguments, or undefined when the process is gone. */
function procInfo(pid: number): { ppid: number; argv: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    return { ppid, argv };
  } catch {
    return undefined;
  }
}

/**
 * True for an npm or npx process: its title (`npm run pipeline`, npm renames itself) or its
 * script (`node …/npm-cli.js`).
 */
export function isNpmCommand(argv: readonly string[]): boolean {
  const words = argv.length === 1 ? argv[0].split(' ') : argv;
  return words.slice(0, 2).some((a) => /^(npm|npx)(-cli\.js)?$/.test(basename(a)));
}

/**
 * The processes this one was launched through: its parent up to the nearest npm or npx ancestor
 * (`npm run pipeline` → sh → tsx → this), or only its parent when no npm is among the first few.
 */
export function launcherChain(pid = process.pid, info = procInfo): RunIdentity[] {
  const chain: RunIdentity[] = [];
  let cur = info(pid)?.ppid;
  for (let depth = 0; depth < 6 && cur !== undefined && cur > 1; depth++) {
    const p = info(cur);
    if (!p) break;
    chain.push({ pid: cur, startTime: processStartTime(cur) });
    if (isNpmCommand(p.argv)) return chain;
    cur = p.ppid;
  }
  return chain.slice(0, 1);
}

/**
 * Stops this process, as a SIGTERM its own handlers turn into an orderly stop (SIGKILL only after
 * `killAfterMs`), once any process it was launched through (see {@link launcherChain}) is gone:
 * a `kill -9` of `npm run …` alone, as IDEs and CI runners do, then ends the run with it.
 */
export function startLauncherWatchdog(label: string, opts: { intervalMs?: number; killAfterMs?: number } = {}): RunIdentity[] {
  const chain = launcherChain();
  if (chain.length > 0) {
    const targets = chain.map((p) => ({ pid: p.pid, start: p.startTime, what: `the process that launched this run (${describe(p.pid)})` }));
    startWatchdogWorker(targets, label, opts.intervalMs ?? 500, opts.killAfterMs ?? 20_000);
  }
  return chain;
}

function describe(pid: number): string {
  const argv = procInfo(pid)?.argv ?? [];
  return (argv.length === 1 ? argv[0] : argv.map((a) => basename(a)).join(' ')).slice(0, 60) || 'unknown';
}
