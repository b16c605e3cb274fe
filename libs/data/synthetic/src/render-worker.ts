/** A render worker of ./render-pool: renders the jobs it is sent and posts each sample back. */
import { parentPort } from 'node:worker_threads';
import { renderSample } from './render';
import type { RenderJob } from './render-pool';
import { renderLayoutSample } from './shapes';

parentPort?.on('message', ({ id, job }: { id: number; job: RenderJob }) => {
  try {
    const sample = job.layout === undefined ? renderSample(job.seed, job.size) : renderLayoutSample(job.layout, job.seed, job.size);
    parentPort?.postMessage({ id, sample });
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
