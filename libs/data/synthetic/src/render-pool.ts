/**
 * Renders synthetic samples on worker threads, so generating a competition keeps every core busy:
 * rendering is plain JavaScript (about 5 ms per 101×101 TGS sample on one core) and was the data
 * step's one busy thread. Each sample draws only from its own seed, so where it is rendered
 * changes nothing: the files are byte-identical to rendering in-process (tested).
 *
 * The workers load the TypeScript renderers through tsx's register hook, which also serves this
 * repository's path aliases; the pool is only worth its start-up (about half a second per worker)
 * for a few hundred samples or more, which {@link renderWorkerCount} decides.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from '@segkit/io';
import type { SyntheticSample } from './render';
import type { LayoutSample } from './shapes';

/** One sample to render: the TGS renderer without `layout`, else that layout's shapes. */
export interface RenderJob {
  seed: number;
  size: number;
  layout?: string;
}

/** Below this many samples the workers' start-up costs more than they save. */
export const MIN_SAMPLES_FOR_WORKERS = 512;

/**
 * How many render workers for `samples` samples: none below {@link MIN_SAMPLES_FOR_WORKERS} or on
 * one core, else one per core this process may run on (`availableParallelism`, which honours the
 * CPU affinity a scheduler such as Slurm sets), at most 8. `SEGKIT_SYNTHETIC_WORKERS=<n>` overrides
 * it (0 renders in-process).
 */
export function renderWorkerCount(samples: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const forced = env.SEGKIT_SYNTHETIC_WORKERS;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new UserError(`SEGKIT_SYNTHETIC_WORKERS must be an integer in 0..64, got "${forced}"`);
    return n;
  }
  if (samples < MIN_SAMPLES_FOR_WORKERS || cores < 2) return 0;
  return Math.min(cores, 8);
}

// The worker's bootstrap: tsx's CommonJS hook (resolved here, so the worker finds it from any
// working directory), then the worker module, a .ts file beside this one.
const BOOTSTRAP = `const { workerData } = require('node:worker_threads'); require(workerData.tsx).register(); require(workerData.file);`;

interface Pending {
  resolve: (sample: SyntheticSample | LayoutSample) => void;
  reject: (err: Error) => void;
}

/** A fixed set of render workers; jobs go to the worker with the fewest outstanding. */
export class RenderPool {
  private readonly workers: { worker: Worker; pending: Map<number, Pending> }[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(count: number) {
    for (let k = 0; k < count; k++) {
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsx: require.resolve('tsx/cjs/api'), file: join(__dirname, 'render-worker.ts') } });
      const slot = { worker, pending: new Map<number, Pending>() };
      worker.on('message', (msg: { id: number; sample: SyntheticSample | LayoutSample; error?: undefined } | { id: number; error: string }) => {
        const p = slot.pending.get(msg.id);
        if (!p) return;
        slot.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.sample);
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        for (const p of slot.pending.values()) p.reject(err);
        slot.pending.clear();
      };
      worker.on('error', (err) => fail(new Error(`synthetic render worker failed: ${err.message}`)));
      worker.on('exit', (code) => fail(new Error(`synthetic render worker exited (code ${code})`)));
      this.workers.push(slot);
    }
  }

  /** Renders one sample on the least busy worker. */
  render(job: RenderJob): Promise<SyntheticSample | LayoutSample> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, job });
    });
  }

  /** Stops the workers (outstanding jobs are rejected). */
  async close(): Promise<void> {
    this.failure ??= new Error('synthetic render pool closed');
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/**
 * Runs `use(i, render(i))` for i in 0..count-1 with at most `inFlight` samples between render and
 * use at once, rendering on `workers` worker threads (0: in-process, one at a time). `use` may
 * finish out of order; callers keep results by index. On failure the rest are waited for, then
 * the first error is rethrown.
 */
export async function forEachRendered<S>(
  count: number,
  workers: number,
  job: (i: number) => RenderJob,
  renderHere: (job: RenderJob) => S,
  use: (i: number, sample: S) => Promise<void>,
): Promise<void> {
  const pool = workers > 0 ? new RenderPool(workers) : undefined;
  try {
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(8, 4 * workers);
    let failure: { error: unknown } | null = null;
    for (let i = 0; i < count && failure === null; i++) {
      const rendered = pool ? (pool.render(job(i)) as Promise<S>) : Promise.resolve().then(() => renderHere(job(i)));
      const p: Promise<void> = rendered
        .then((sample) => use(i, sample))
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== null) throw (failure as { error: unknown }).error;
  } finally {
    await pool?.close();
  }
}
