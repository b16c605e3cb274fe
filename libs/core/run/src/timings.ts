/**
 * What each step records about its own run (owner: this lib): the seconds of work it took,
 * `<work>/timings/<step>.json`, and for a fold's training the backend and device it ran on,
 * `<work>/fold-<k>/backend.json`. The report reads both; nobody else parses them.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { readJsonArtifact, writeJsonArtifact } from '@segkit/io';
import { foldLayout, runLayout } from './layout';

const timingSchema = z.object({ step: z.string(), seconds: z.number().nonnegative() }).strict();
export type StepTiming = z.infer<typeof timingSchema>;

/** Records the seconds of work one step (or one fold's predict step: `predict-fold-<k>`) took. */
export function writeStepTiming(workDir: string, step: string, seconds: number): void {
  writeJsonArtifact(runLayout(workDir).timings.step(step), timingSchema, { step, seconds } satisfies StepTiming, step);
}

/** The seconds a step took, or 0 when it has not recorded any (it ran in an older layout). */
export function readStepSeconds(workDir: string, step: string): number {
  const path = runLayout(workDir).timings.step(step);
  return existsSync(path) ? readJsonArtifact(path, timingSchema, step).seconds : 0;
}

/** Runs `fn` and records how long it took. */
export async function timedStep<T>(workDir: string, step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const out = await fn();
  writeStepTiming(workDir, step, (Date.now() - started) / 1000);
  return out;
}

const foldBackendSchema = z
  .object({
    /** The backend's one-line description, e.g. `wasm+native (oneDNN 2.6.3, 2 threads)`. */
    backend: z.string().min(1),
    /** The device a multi-GPU run pinned the fold to, e.g. `GPU 1`. */
    device: z.string().min(1).optional(),
  })
  .strict();
export type FoldBackend = z.infer<typeof foldBackendSchema>;

/** Records where a fold trained. */
export function writeFoldBackend(workDir: string, fold: number, backend: FoldBackend): void {
  writeJsonArtifact(foldLayout(workDir, fold).backend, foldBackendSchema, backend, `train-fold-${fold}`);
}

/** Where a fold trained, or undefined when it did not record it. */
export function readFoldBackend(workDir: string, fold: number): FoldBackend | undefined {
  const path = foldLayout(workDir, fold).backend;
  return existsSync(path) ? readJsonArtifact(path, foldBackendSchema, `train-fold-${fold}`) : undefined;
}
