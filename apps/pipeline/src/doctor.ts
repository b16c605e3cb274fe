/**
 * `npm run doctor`: what this machine gives the pipeline (backends, native kernels, GPUs, CUDA,
 * threads) and what `npm run pipeline` would choose for the run's config (--config, else
 * SEGKIT_CONFIG, else the default preset).
 */
import { parseFlags } from '@segkit/cli';
import { defaultProbes, doctorLines } from '@segkit/cluster';
import { runCli } from '@segkit/io';
import { resolveContext } from './context';
import { COMMANDS, DOCTOR_FLAGS, doctorHelp } from './flags';

export async function doctor(argv: string[]): Promise<void> {
  const { values } = parseFlags(DOCTOR_FLAGS, argv, { command: COMMANDS.doctor });
  if (values.help) {
    process.stdout.write(doctorHelp());
    return;
  }
  const { config } = resolveContext({ config: values.config });
  for (const line of await doctorLines(defaultProbes({ folds: config.folds.k, threads: config.compute.threads }))) process.stdout.write(`${line}\n`);
}

if (require.main === module) runCli(() => doctor(process.argv.slice(2)));
