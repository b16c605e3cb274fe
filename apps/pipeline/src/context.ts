import { relative, resolve } from 'node:path';
import { loadConfig, PipelineConfig } from '@segkit/config';
import { UserError } from '@segkit/io';
import { chooseLayout } from '@segkit/data';
import { LAYOUT_NAMES, type LayoutDescriptor } from '@segkit/layouts';
import type { MetricName } from '@segkit/metrics';
import { defaultWorkDir, fromEnv, parseBackendChoice, resolveConfigPath, resolveDataDir, RunSettings, syntheticDataShortcut, WORKSPACE_ROOT } from '@segkit/run';

export { WORKSPACE_ROOT };

/**
 * What every step needs to know, from flags first, then the run settings the `npm run pipeline`
 * wrapper passes the Nx targets through the environment (@segkit/run's RunSettings), then the
 * defaults of @segkit/run's settings.
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
  /**
   * The run's settings as resolved here (flags over the environment; paths absolute, the work
   * directory relative to the workspace): what this process passes on to the processes it starts.
   */
  settings: RunSettings;
}

export interface ContextFlags {
  config?: string;
  data?: string;
  work?: string;
  backend?: string;
  threads?: string;
  /** `--set key.path=value` overrides, applied after those of the environment. */
  set?: string[];
}

/**
 * The work directory: `--work` (relative to the current directory), else the `work` setting
 * (relative to the workspace root, like the Nx targets' outputs), else the experiment's default
 * (`runs/work/<config file name>`, see @segkit/run's defaultWorkDir).
 */
export function resolveWorkDir(work: string | undefined, settings: RunSettings, configPath: string): string {
  if (work) return resolve(work);
  return resolve(WORKSPACE_ROOT, settings.work || defaultWorkDir(configPath));
}

/** An experiment's (or blend's) own work directory, by name: the one `--config <name>` defaults to. */
export function experimentWorkDir(name: string): string {
  return resolve(WORKSPACE_ROOT, defaultWorkDir(name));
}

/**
 * The competition layout of a data folder: what its files are, what its submission looks like and
 * which metric scores it. `setting` is the config's `data.layout` (`'auto'`: recognised from the files).
 */
export function competitionLayout(dataDir: string, setting: unknown = 'auto'): LayoutDescriptor {
  return chooseLayout(dataDir, setting);
}

/**
 * The channels the training images are loaded with (see @segkit/data's LoadOptions): a colour
 * layout's (`channels` 3) are RGB unless every one of them is grey (R = G = B), then luminance, so
 * grey data stored as colour trains the one-channel model it is; a grey layout's are luminance.
 * Every step reading the training split asks the same, so they share its decoded cache.
 */
export function trainChannels(layout: LayoutDescriptor): 1 | 'auto' {
  return layout.channels === 3 ? 'auto' : 1;
}

/**
 * The run's metric: the config's `tune.metric`, else the data layout's (`data.layout`, else
 * recognised from the files). Training picks each stage's best epoch by it; tune, the report and
 * the blend optimise and show it.
 */
export function competitionMetric(config: Pick<PipelineConfig, 'tune'> & Partial<Pick<PipelineConfig, 'data'>>, dataDir: string): MetricName {
  return config.tune.metric ?? competitionLayout(dataDir, config.data?.layout).metric;
}

export function resolveContext(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): StepContext {
  const given = fromEnv(env);
  const configPath = resolveConfigPath(flags.config ?? given.config);
  const data = flags.data ?? given.data;
  // `--data airbus-synthetic`: the built-in competition in that layout, as the override every step then reads.
  const shortcut = syntheticDataShortcut(data);
  if (shortcut !== undefined && !LAYOUT_NAMES.includes(shortcut)) {
    throw new UserError(`--data ${data}: no folder of that name, and "${shortcut}" is not a built-in layout for its synthetic competition (${LAYOUT_NAMES.map((l) => `${l}-synthetic`).join(', ')})`);
  }
  const sets = [...(given.set ?? []), ...(flags.set ?? []), ...(shortcut === undefined ? [] : [`synthetic.layout=${shortcut}`])];
  const config = loadConfig(configPath, { sets });
  const { dataDir, synthetic } = resolveDataDir(shortcut === undefined ? data : undefined, config.synthetic);
  const workDir = resolveWorkDir(flags.work, given, configPath);
  if (flags.threads !== undefined && !/^[1-9]\d*$/.test(flags.threads)) throw new UserError(`--threads must be a positive integer, got "${flags.threads}"`);
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  const settings: RunSettings = {
    ...given,
    config: configPath,
    data: synthetic ? undefined : dataDir,
    work: relative(WORKSPACE_ROOT, workDir),
    backend: flags.backend === undefined ? given.backend : parseBackendChoice(flags.backend, '--backend'),
    set: sets,
    threads: threads ?? given.threads,
  };
  return { configPath, config, dataDir, synthetic, workDir, backend: flags.backend, threads, settings };
}
