/**
 * The native kernels' state for logs and `doctor`, and the thread count they run with.
 */
import { availableParallelism } from 'node:os';
import { UserError } from '@tgs/io';
import { nativeAddon } from './addon';

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
 * `--threads`), `TGS_THREADS` (set by `npm run pipeline` to the cores divided between the fold
 * processes it runs at once), the config's `compute.threads`, else every core.
 */
export function resolveThreads(explicit: number | 'auto' | undefined, env: NodeJS.ProcessEnv = process.env, config?: number | 'auto'): number {
  const check = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${what} must be a positive integer, got ${n}`);
    return n;
  };
  if (typeof explicit === 'number') return check(explicit, '--threads');
  const fromEnv = env.TGS_THREADS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (!/^[1-9]\d*$/.test(fromEnv.trim())) throw new UserError(`TGS_THREADS must be a positive integer, got "${fromEnv}"`);
    return Number(fromEnv);
  }
  if (typeof config === 'number') return check(config, 'config compute.threads');
  return Math.max(1, availableParallelism());
}

/**
 * How `npm run pipeline` divides the cores: `parallel` fold processes with `threads` native
 * threads each, parallel x threads <= cores. Without flags: one fold process per core (up to the
 * fold count), each single-threaded; a thread request alone sets how many processes fit.
 */
export function splitCores(cores: number, folds: number, opts: { parallel?: number; threads?: number | 'auto' }): { parallel: number; threads: number; capped: boolean } {
  const c = Math.max(1, cores);
  const threadsReq = typeof opts.threads === 'number' ? opts.threads : undefined;
  const parallel = opts.parallel ?? (threadsReq !== undefined ? Math.max(1, Math.floor(c / threadsReq)) : Math.max(1, Math.min(c, folds)));
  const fair = Math.max(1, Math.floor(c / parallel));
  const threads = threadsReq !== undefined ? Math.min(threadsReq, fair) : fair;
  return { parallel, threads, capped: threadsReq !== undefined && threads < threadsReq };
}

/** Sets the native kernels' thread count; returns the count in force (1 without the addon). */
export function setNativeThreads(n: number, env: NodeJS.ProcessEnv = process.env): number {
  const s = nativeAddon(env);
  return s.addon === undefined ? 1 : s.addon.setThreads(n);
}
