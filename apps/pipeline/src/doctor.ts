/**
 * `npm run doctor`: what this machine gives the pipeline (backends, native kernels, GPUs, CUDA,
 * threads) and what `npm run pipeline` would choose for the run's config (TGS_CONFIG, else the default preset).
 */
import { defaultProbes, doctorLines } from '@tgs/cluster';
import { runCli } from '@tgs/io';
import { resolveContext } from './context';

export async function doctor(): Promise<void> {
  const { config } = resolveContext({});
  for (const line of await doctorLines(defaultProbes({ folds: config.folds.k, threads: config.compute.threads }))) process.stdout.write(`${line}\n`);
}

if (require.main === module) runCli(doctor);
