/**
 * The three stages a cluster runs, each an entry point of `apps/pipeline/src/stage.ts`, with the
 * steps @segkit/run's clusterStages() derives from the step table:
 *
 *   prepare  the steps before the per-fold ones (data, folds)
 *   fold     one fold's per-fold steps (train-fold-k, predict-fold-k), the fold from `--fold`,
 *            Slurm's SLURM_ARRAY_TASK_ID or Kubernetes' JOB_COMPLETION_INDEX
 *   final    checks every fold finished, then the rest (ensemble → tune → submit, bundle → report),
 *            with the later pseudo-label rounds (pseudo.rounds) between the ensemble and tune
 *
 * Each stage runs its targets in one Nx invocation with `--excludeTaskDependencies`: Nx still
 * orders the targets it is given (predict after train), but does not re-run the stages before
 * them, which ran in earlier jobs (re-running them from every array task would race on the shared
 * work directory).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { CLUSTER_STAGES, ClusterStage, clusterStages, experimentTargets, nxNodeArgs, RUN_ENV, runLayout, slurmLayout } from '@segkit/run';

export type Stage = ClusterStage;
export const STAGES = CLUSTER_STAGES;

export interface StageContext {
  workspaceRoot: string;
  workDir: string;
  /** folds.k of the run's config. */
  k: number;
  /** pseudo.rounds of the run's config (default 0): later rounds run in the final stage. */
  rounds?: number;
  /** Runs `nx <args>` in the workspace; returns its exit code (injectable for tests). */
  nx?: (args: string[], env: NodeJS.ProcessEnv) => number | null;
  env?: NodeJS.ProcessEnv;
  log: (msg: string) => void;
}

/** The fold of this task: an explicit `--fold`, else the scheduler's array index. */
export function foldFromEnv(flag: string | undefined, k: number, env: NodeJS.ProcessEnv = process.env): number {
  const [value, source] =
    flag !== undefined ? [flag, '--fold'] : env.SLURM_ARRAY_TASK_ID !== undefined ? [env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID'] : [env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX'];
  if (value === undefined) throw new UserError('the fold stage needs --fold <k>, or SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX from the scheduler');
  if (!/^\d+$/.test(value) || Number(value) >= k) throw new UserError(`${source} must be a fold in 0..${k - 1} (folds.k = ${k}), got "${value}"`);
  return Number(value);
}

/** Which folds have both their training result and their predictions on disk. */
export function finishedFolds(workDir: string, k: number): { fold: number; finished: boolean; missing?: string }[] {
  return Array.from({ length: k }, (_, fold) => {
    const layout = runLayout(workDir).fold(fold);
    for (const path of [layout.result, layout.predict.meta]) {
      if (!existsSync(path)) return { fold, finished: false, missing: path };
    }
    return { fold, finished: true };
  });
}

/**
 * What the final job checks before it ensembles: the folds file, and every fold's result and
 * predictions. The error names each unfinished fold and its log file.
 */
export function checkFoldsFinished(workDir: string, k: number): void {
  const paths = slurmLayout(workDir);
  const folds = runLayout(workDir).folds;
  if (!existsSync(folds)) throw new UserError(`the data and folds job did not finish (no ${folds}): see ${paths.log('prepare')}`);
  const unfinished = finishedFolds(workDir, k).filter((f) => !f.finished);
  if (unfinished.length > 0) {
    throw new UserError(unfinished.map((f) => `fold ${f.fold} did not finish (no ${f.missing}): see ${paths.foldLog(f.fold)}`).join('; '));
  }
}

function defaultNx(root: string): (args: string[], env: NodeJS.ProcessEnv) => number | null {
  return (args, env) => spawnSync(process.execPath, [...nxNodeArgs(root), ...args], { cwd: root, env, stdio: 'inherit' }).status;
}

/**
 * The environment of Nx inside a job: no daemon, no cloud, and a workspace-data folder of its own
 * on the node's local disk (Nx's project-graph and cache database are not safe to share between
 * processes on several machines). With a private database Nx's cache could not be hit anyway, so
 * it is skipped: finished folds and stages are skipped by their artifacts' fingerprints instead.
 */
export function nxJobEnv(env: NodeJS.ProcessEnv, jobTag: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_SKIP_NX_CACHE: 'true',
    NX_WORKSPACE_DATA_DIRECTORY: join(tmpdir(), `tgs-nx-${jobTag}`),
  };
  // GPU placement comes from the scheduler here, not from a one-machine --gpus plan.
  delete out[RUN_ENV.gpus];
  return out;
}

function jobTag(env: NodeJS.ProcessEnv): string {
  const id = env.SLURM_JOB_ID ?? env.HOSTNAME ?? 'local';
  return `${id}-${process.pid}`;
}

function runTargets(ctx: StageContext, targets: string[], exclude: boolean): void {
  const env = nxJobEnv(ctx.env ?? process.env, jobTag(ctx.env ?? process.env));
  const nx = ctx.nx ?? defaultNx(ctx.workspaceRoot);
  const args = ['run-many', '--projects=pipeline', `--targets=${targets.join(',')}`, ...(exclude ? ['--excludeTaskDependencies'] : [])];
  ctx.log(`nx ${args.join(' ')}`);
  let status: number | null;
  try {
    status = nx([...args, '--output-style=stream'], env);
  } finally {
    rmSync(env.NX_WORKSPACE_DATA_DIRECTORY as string, { recursive: true, force: true });
  }
  if (status !== 0) throw new UserError(`${targets.map((t) => `pipeline:${t}`).join(', ')} failed (nx exit code ${status}); the step's error is above in this log`);
}

/** The steps before the per-fold ones: data and folds. */
export function runPrepareStage(ctx: StageContext): void {
  runTargets(ctx, clusterStages().prepare, false);
}

/** One fold's per-fold steps: both training stages, then its OOF and test predictions. */
export function runFoldStage(ctx: StageContext, fold: number): void {
  const folds = runLayout(ctx.workDir).folds;
  if (!existsSync(folds)) {
    throw new UserError(`${folds} is missing: the data and folds job has not finished (see ${slurmLayout(ctx.workDir).log('prepare')})`);
  }
  runTargets(
    ctx,
    clusterStages().fold.map((step) => `${step}-fold-${fold}`),
    true,
  );
}

/**
 * Every fold finished → the steps after the per-fold ones: ensemble, the later pseudo-label rounds
 * (each round's folds one after another, in this job), tune, submit and bundle, report.
 */
export function runFinalStage(ctx: StageContext): void {
  checkFoldsFinished(ctx.workDir, ctx.k);
  const { prepare, fold } = clusterStages();
  const earlier = new Set([...prepare, ...fold]);
  const targets = experimentTargets(ctx.k, ctx.rounds ?? 0).filter((t) => !(t.round === 0 && earlier.has(t.step)));
  runTargets(
    ctx,
    targets.map((t) => t.name),
    true,
  );
}
