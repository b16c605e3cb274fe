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
 * The thread count for this process: the explicit value (`--threads`, config `compute.threads`),
 * else `TGS_THREADS` (set by `npm run pipeline` to the cores divided between the fold processes it
 * runs at once), else every core.
 */
export function resolveThreads(explicit: number | 'auto' | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (typeof explicit === 'number') {
    if (!Number.isInteger(explicit) || explicit < 1) throw new UserError(`threads must be a positive integer, got ${explicit}`);
    return explicit;
  }
  const fromEnv = env.TGS_THREADS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (!/^[1-9]\d*$/.test(fromEnv.trim())) throw new UserError(`TGS_THREADS must be a positive integer, got "${fromEnv}"`);
    return Number(fromEnv);
  }
  return Math.max(1, availableParallelism());
}

/** Sets the native kernels' thread count; returns the count in force (1 without the addon). */
export function setNativeThreads(n: number, env: NodeJS.ProcessEnv = process.env): number {
  const s = nativeAddon(env);
  return s.addon === undefined ? 1 : s.addon.setThreads(n);
}
