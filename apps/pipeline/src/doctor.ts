/** `npm run doctor`: what this machine gives the pipeline (backends, native kernels, GPUs, CUDA, threads) and what it would choose. */
import { defaultProbes, doctorLines } from '@tgs/cluster';
import { runCli } from '@tgs/io';

export async function doctor(): Promise<void> {
  for (const line of await doctorLines(defaultProbes())) process.stdout.write(`${line}\n`);
}

if (require.main === module) runCli(doctor);
