/**
 * Cores leased, not fixed. The processes of one run on one machine that run the native kernels
 * share the run's cores through a lease folder: each holds a file `<pid>.json` (pid and start
 * time, so a reused pid never counts). Every few seconds, between two kernel calls, a process
 * re-reads the folder and runs with its share of the cores among the live holders:
 *
 *   share(p) = floor(cores / n) + (1 if rank(p) < cores mod n), at least 1
 *
 * with n live holders and rank(p) the position of p's pid among them in ascending order. So when a
 * fold process ends and none waits, the others take its cores at their next refresh; a process that
 * starts takes its part the same way. Safe for the numbers because the kernels give the same bits
 * at any thread count.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, processStartTime } from '@segkit/process';

/** This process's share of `cores` among the `holders` (pids, this one included). */
export function coreShare(cores: number, holders: readonly number[], pid: number): number {
  if (!Number.isInteger(cores) || cores < 1) throw new Error(`coreShare: cores must be a positive integer, got ${cores}`);
  const live = [...new Set([...holders, pid])].sort((a, b) => a - b);
  const n = live.length;
  const rank = live.indexOf(pid);
  return Math.max(1, Math.floor(cores / n) + (rank < cores % n ? 1 : 0));
}

export interface CoreLease {
  /** Re-reads the folder now; returns this process's share. */
  refresh(): number;
  /** Re-reads the folder if `everyMs` passed since the last time; returns the share in force. */
  refreshIfDue(now?: number): number;
  /** Gives the cores back (also done when the process exits). */
  release(): void;
}

interface Holder {
  pid: number;
  startTime?: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (!Number.isInteger(h.pid) || (h.startTime !== undefined && typeof h.startTime !== 'string')) return undefined;
    return { pid: h.pid as number, startTime: h.startTime };
  } catch {
    return undefined; // torn, foreign or removed while listing
  }
}

/** Live holders' pids in `dir`; files of processes that are gone are removed. */
export function leaseHolders(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names.filter((n) => /^\d+\.json$/.test(n))) {
    const h = readHolder(join(dir, name));
    if (h === undefined) continue;
    if (isRunning(h.pid, h.startTime)) pids.push(h.pid);
    else rmSync(join(dir, name), { force: true });
  }
  return pids;
}

/**
 * Joins the lease on `cores` in `dir` and calls `apply(share)` whenever this process's share
 * changes (first with the share on joining). `everyMs` bounds how often refreshIfDue reads the folder.
 */
export function leaseCores(opts: { dir: string; cores: number; apply: (threads: number) => void; everyMs?: number }): CoreLease {
  const { dir, cores, apply } = opts;
  const everyMs = opts.everyMs ?? 2000;
  const file = join(dir, `${process.pid}.json`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.new`, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }) + '\n');
  renameSync(`${file}.new`, file);
  let share = 0;
  let last = 0;
  let released = false;
  const release = (): void => {
    released = true;
    rmSync(file, { force: true });
  };
  process.on('exit', release);
  const refresh = (): number => {
    if (released) return share;
    last = Date.now();
    const next = coreShare(cores, leaseHolders(dir), process.pid);
    if (next !== share) {
      share = next;
      apply(share);
    }
    return share;
  };
  refresh();
  return {
    refresh,
    refreshIfDue: (now = Date.now()) => (now - last >= everyMs ? refresh() : share),
    release,
  };
}
