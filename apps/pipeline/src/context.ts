import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadConfig, overridesFromEnv, PipelineConfig, resolveConfigPath } from '@tgs/config';
import { UserError } from '@tgs/io';

/** The workspace root (this file is apps/pipeline/src/context.ts). */
export const WORKSPACE_ROOT = resolve(__dirname, '../../..');

/** Where the built-in synthetic competition is generated when no data folder is given. */
export const SYNTHETIC_DATA_DIR = join(WORKSPACE_ROOT, 'data', 'tgs-synthetic');
/** Its test masks, kept outside the data folder, for self-scoring. */
export const SYNTHETIC_TRUTH = join(WORKSPACE_ROOT, 'data', 'tgs-synthetic-test-truth.csv');
/**
 * The default work directory of an experiment: `runs/work/<config file name>` (`runs/work/cpu` for
 * the default preset), so different experiments never share fold folders. The Nx plugin derives
 * the same folder (tools/nx/run-settings.cjs).
 */
export function defaultWorkDir(configPath: string): string {
  return join(WORKSPACE_ROOT, 'runs', 'work', basename(configPath).replace(/\.json$/i, ''));
}
export const CACHE_DIR = join(WORKSPACE_ROOT, 'data', 'cache');

/**
 * What every step needs to know, from flags first, then the environment the `npm run pipeline`
 * wrapper sets for the Nx targets (TGS_CONFIG, TGS_DATA, TGS_WORK, TGS_SET), then defaults.
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

export function resolveContext(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): StepContext {
  const configPath = resolveConfigPath(flags.config ?? env.TGS_CONFIG);
  const config = loadConfig(configPath, { sets: [...overridesFromEnv(env), ...(flags.set ?? [])] });
  const dataArg = flags.data ?? env.TGS_DATA;
  const dataDir = dataArg ? resolve(dataArg) : SYNTHETIC_DATA_DIR;
  // TGS_WORK (set for Nx targets) is relative to the workspace root, like the targets' outputs.
  const workDir = flags.work ? resolve(flags.work) : env.TGS_WORK ? resolve(WORKSPACE_ROOT, env.TGS_WORK) : defaultWorkDir(configPath);
  if (flags.threads !== undefined && !/^[1-9]\d*$/.test(flags.threads)) throw new UserError(`--threads must be a positive integer, got "${flags.threads}"`);
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  return { configPath, config, dataDir, synthetic: !dataArg, workDir, backend: flags.backend, threads };
}

/** The folder layout of a run; every step reads and writes only through these names. */
export function workPaths(workDir: string) {
  return {
    folds: join(workDir, 'folds.csv'),
    fold: (k: number) => join(workDir, `fold-${k}`),
    tune: join(workDir, 'tune', 'tune.json'),
    submission: join(workDir, 'submission', 'submission.csv'),
    submissionSummary: join(workDir, 'submission', 'summary.json'),
    report: join(workDir, 'report'),
    bundle: join(workDir, 'bundle'),
    timing: (step: string) => join(workDir, 'timings', `${step}.json`),
    /** The run lock (`npm run pipeline` holds it) and the registry of the run's step processes; never Nx outputs. */
    runLock: join(workDir, 'run', 'lock.json'),
    runSteps: join(workDir, 'run', 'steps'),
  };
}

/** An experiment's (or blend's) own work directory, by name: runs/work/<name>, the same as `--config <name>` defaults to. */
export function experimentWorkDir(name: string): string {
  return join(WORKSPACE_ROOT, 'runs', 'work', name);
}

export function requireFile(path: string, producedBy: string): string {
  if (!existsSync(path)) throw new UserError(`${path} is missing: run the ${producedBy} step first`);
  return path;
}
