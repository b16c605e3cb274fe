import { resolve } from 'node:path';
import { loadConfig, overridesFromEnv, PipelineConfig } from '@tgs/config';
import { UserError } from '@tgs/io';
import { LAYOUTS, type LayoutDescriptor } from '@tgs/layouts';
import { defaultWorkDir, resolveConfigPath, resolveDataDir, RUN_ENV, WORKSPACE_ROOT } from '@tgs/run';

export { WORKSPACE_ROOT };

/**
 * What every step needs to know, from flags first, then the environment the `npm run pipeline`
 * wrapper sets for the Nx targets (see @tgs/run's RUN_ENV: TGS_CONFIG, TGS_DATA, TGS_WORK,
 * TGS_SET), then the defaults of @tgs/run's settings.
 */
export interface StepContext {
  configPath: string;
  config: PipelineConfig;
  dataDir: string;
  /** True when dataDir is the built-in synthetic competition. */
  synthetic: boolean;
  workDir: string;
  backend?: string;
  /** `--threads` of a step: native kernel threads for this process. */
  threads?: number;
}

export interface ContextFlags {
  config?: string;
  data?: string;
  work?: string;
  backend?: string;
  threads?: string;
  /** `--set key.path=value` overrides, applied after those of TGS_SET. */
  set?: string[];
}

/**
 * The work directory: `--work` (relative to the current directory), else TGS_WORK (relative to
 * the workspace root, like the Nx targets' outputs), else the experiment's default
 * (`runs/work/<config file name>`, see @tgs/run's defaultWorkDir).
 */
export function resolveWorkDir(work: string | undefined, env: NodeJS.ProcessEnv, configPath: string): string {
  if (work) return resolve(work);
  return resolve(WORKSPACE_ROOT, env[RUN_ENV.work] || defaultWorkDir(configPath));
}

/** An experiment's (or blend's) own work directory, by name: the one `--config <name>` defaults to. */
export function experimentWorkDir(name: string): string {
  return resolve(WORKSPACE_ROOT, defaultWorkDir(name));
}

/** The competition layout of a data folder: what its submission looks like and which metric scores it. */
export function competitionLayout(_dataDir: string): LayoutDescriptor {
  return LAYOUTS.tgs;
}

export function resolveContext(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): StepContext {
  const configPath = resolveConfigPath(flags.config ?? env[RUN_ENV.config]);
  const config = loadConfig(configPath, { sets: [...overridesFromEnv(env), ...(flags.set ?? [])] });
  const { dataDir, synthetic } = resolveDataDir(flags.data ?? env[RUN_ENV.data], config.synthetic);
  const workDir = resolveWorkDir(flags.work, env, configPath);
  if (flags.threads !== undefined && !/^[1-9]\d*$/.test(flags.threads)) throw new UserError(`--threads must be a positive integer, got "${flags.threads}"`);
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  return { configPath, config, dataDir, synthetic, workDir, backend: flags.backend, threads };
}
