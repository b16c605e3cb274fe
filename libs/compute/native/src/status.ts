/**
 * The native kernels' state for logs and `doctor`, and the thread count they run with.
 */
import { availableParallelism } from 'node:os';
import { UserError } from '@segkit/io';
import { readRunSetting } from '@segkit/run';
import { nativeAddon } from './addon';
import { setBeforeKernel } from './kernels';
import { type CoreLease, leaseCores } from './lease';

export interface NativeKernelStatus {
  available: boolean;
  /** Why the kernels are unavailable. */
  reason?: string;
  /** The loaded oneDNN library's version, e.g. '2.6.3'. */
  version?: string;
  /** Threads the kernels run with (1 when unavailable). */
  threads: number;
}

export function nativeKernelStatus(env: NodeJS.ProcessEnv = process.env): NativeKernelStatus {
  const s = nativeAddon(env);
  if (s.addon === undefined) return { available: false, reason: s.reason, threads: 1 };
  const v = s.addon.version();
  return { available: true, version: `${v.major}.${v.minor}.${v.patch}`, threads: s.addon.threads() };
}

/**
 * The thread count for this process, in precedence order: the explicit value (a step's
 * `--threads`), the run's `threads` setting (SEGKIT_THREADS, set by `npm run pipeline` to the cores divided between the fold
 * processes it runs at once), the config's `compute.threads`, else every core.
 */
export function resolveThreads(explicit: number | 'auto' | undefined, env: NodeJS.ProcessEnv = process.env, config?: number | 'auto'): number {
  const check = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${what} must be a positive integer, got ${n}`);
    return n;
  };
  if (typeof explicit === 'number') return check(explicit, '--threads');
  const fromEnv = readRunSetting(env, 'threads');
  if (fromEnv !== undefined) return fromEnv;
  if (typeof config === 'number') return check(config, 'config compute.threads');
  return Math.max(1, availableParallelism());
}

/**
 * The share of a training step that runs in the native kernels' threads (the rest, tfjs's
 * bookkeeping and wasm kernels, is single-threaded), from the measured 2-thread speed-up s2 of the
 * default model's step (`npm run bench -- backend`): PARALLEL_SHARE = 2 (1 - 1/s2). Measured on a
 * 2-core AVX2 machine: 2,004 ms at 1 thread, 1,354 ms at 2 (s2 = 1.48).
 */
export const PARALLEL_SHARE = 0.65;

/** Amdahl's law: the step's speed-up at t threads, 1 / ((1 - p) + p / t). */
export function threadSpeedup(t: number, share = PARALLEL_SHARE): number {
  return 1 / (1 - share + share / t);
}

/**
 * How `npm run pipeline` divides the cores: `parallel` fold processes with `threads` native
 * threads each, parallel x threads <= cores. Without flags it picks the split with the shortest
 * expected training time, rounds x step time = ceil(folds / parallel) / threadSpeedup(threads)
 * (ties: more processes): 4 folds on 2 cores run as 2 x 1 thread; so do 3 (a last
 * round on one core, 2 rounds, beats 3 folds at 1.48x, 2.03 rounds); 3 folds on 8 cores as 3 x 2. A thread request alone sets how many processes fit.
 */
export function splitCores(cores: number, folds: number, opts: { parallel?: number; threads?: number | 'auto' }): { parallel: number; threads: number; capped: boolean } {
  const c = Math.max(1, cores);
  const threadsReq = typeof opts.threads === 'number' ? opts.threads : undefined;
  let parallel = opts.parallel ?? (threadsReq !== undefined ? Math.max(1, Math.floor(c / threadsReq)) : undefined);
  if (parallel === undefined) {
    let best = { p: 1, time: Infinity };
    for (let p = Math.min(c, Math.max(1, folds)); p >= 1; p--) {
      const time = Math.ceil(folds / p) / threadSpeedup(Math.floor(c / p));
      if (time < best.time - 1e-9) best = { p, time };
    }
    parallel = best.p;
  }
  const fair = Math.max(1, Math.floor(c / parallel));
  const threads = threadsReq !== undefined ? Math.min(threadsReq, fair) : fair;
  return { parallel, threads, capped: threadsReq !== undefined && threads < threadsReq };
}

/** Sets the native kernels' thread count; returns the count in force (1 without the addon). */
export function setNativeThreads(n: number, env: NodeJS.ProcessEnv = process.env): number {
  const s = nativeAddon(env);
  return s.addon === undefined ? 1 : s.addon.setThreads(n);
}

/**
 * Joins the run's core lease (see ./lease): the native kernels run with this process's share of
 * `cores` among the processes holding a file in `dir`, re-read at most every `everyMs` between
 * two kernel calls. Undefined (nothing leased) without the addon.
 */
export function leaseNativeCores(opts: { dir: string; cores: number; everyMs?: number; log?: (message: string) => void }, env: NodeJS.ProcessEnv = process.env): CoreLease | undefined {
  const s = nativeAddon(env);
  const addon = s.addon;
  if (addon === undefined) return undefined;
  const lease = leaseCores({
    dir: opts.dir,
    cores: opts.cores,
    everyMs: opts.everyMs,
    apply: (n) => {
      addon.setThreads(n);
      opts.log?.(`native threads ${n} (this process's share of the run's ${opts.cores} leased cores)`);
    },
  });
  // Also puts the share back if something else set the thread count since.
  setBeforeKernel(() => {
    const n = lease.refreshIfDue();
    if (addon.threads() !== n) addon.setThreads(n);
  });
  return lease;
}
