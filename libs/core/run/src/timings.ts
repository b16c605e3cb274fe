import { z } from 'zod';
import { atomicWriteJson, readJsonArtifact } from '@tgs/io';
import { existsSync } from 'node:fs';
import { runLayout } from './layout';

const timingSchema = z.object({ step: z.string(), seconds: z.number().nonnegative() }).strict();
export type StepTiming = z.infer<typeof timingSchema>;

/** Records the seconds of work one step (or one fold's predict step: `predict-fold-<k>`) took. */
export function writeStepTiming(workDir: string, step: string, seconds: number): void {
  atomicWriteJson(runLayout(workDir).timings.step(step), { step, seconds } satisfies StepTiming);
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
