/**
 * `npm run pipeline -- --slurm …` and `--emit k8s`: the run's settings turned into cluster jobs.
 * The jobs, their scripts and their states are @segkit/cluster's; this file only fills in the
 * workspace's paths, the run's settings and the user's flags.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  detachMessage,
  followSlurm,
  k8sManifest,
  logTail,
  readSubmittedRun,
  SlurmOptions,
  SlurmRun,
  submitSlurm,
  SubmittedRun,
} from '@segkit/cluster';
import { atomicWriteFile, log, UserError } from '@segkit/io';
import { outLayout, runLayout, RunSettings, slurmLayout } from '@segkit/run';
import { StepContext, WORKSPACE_ROOT } from './context';
import { K8S_DEFAULTS } from './flags';

export interface ClusterFlags extends SlurmOptions {
  detach?: boolean;
  follow?: boolean;
  /** Passed on to the final job (see publishOutputs). */
  'allow-worthless'?: boolean;
}

async function follow(rec: SubmittedRun): Promise<void> {
  const { state } = await followSlurm(rec, { log: (m) => log('slurm', m) });
  const finalLog = slurmLayout(rec.workDir).log('final');
  if (state === 'COMPLETED') {
    log('slurm', `done: ${outLayout(rec.outDir).submission}, ${outLayout(rec.outDir).reportHtml} (log ${finalLog})`);
    return;
  }
  if (state === 'UNKNOWN') throw new UserError(`Slurm no longer knows jobs ${Object.values(rec.jobs).join(', ')}; see ${finalLog}`);
  throw new UserError(`the final job ${rec.jobs.final} ended ${state}; ${finalLog} ends with:\n${logTail(finalLog)}`);
}

/** Submits the run as Slurm jobs (or follows the last submission) and, without --detach, waits for the final job. */
export async function runOnSlurm(ctx: StepContext, settings: RunSettings, outDir: string, flags: ClusterFlags, command = 'npm run pipeline -- --slurm'): Promise<void> {
  if (flags.follow) {
    const rec = readSubmittedRun(ctx.workDir);
    if (!rec) throw new UserError(`no Slurm submission recorded in ${slurmLayout(ctx.workDir).record}`);
    return follow(rec);
  }
  const run: SlurmRun = {
    workspaceRoot: WORKSPACE_ROOT,
    workDir: ctx.workDir,
    k: ctx.config.folds.k,
    name: ctx.config.name,
    settings,
    node: process.execPath,
    stageScript: join(WORKSPACE_ROOT, 'apps', 'pipeline', 'src', 'stage.ts'),
    outDir,
    allowWorthless: flags['allow-worthless'],
  };
  // The run lock of local runs: a submission and a local run of one work directory exclude each other.
  const rec = await submitSlurm(run, flags, { log: (m) => log('slurm', m), lockPath: runLayout(ctx.workDir).run.lock, command });
  if (flags.detach) {
    for (const line of detachMessage(rec)) log('slurm', line);
    return;
  }
  return follow(rec);
}

/** Writes the Kubernetes manifests for the run into `<out>/k8s/pipeline.yaml`. */
export function emitK8s(ctx: StepContext, settings: RunSettings, outDir: string, opts: { image?: string; claim?: string; gres?: string; 'allow-worthless'?: boolean }): void {
  const gpus = opts.gres ? Number(/^gpu(?::[^:]+)?:(\d+)$/.exec(opts.gres)?.[1] ?? NaN) : 0;
  if (!Number.isInteger(gpus)) throw new UserError(`--gres must read gpu:<n> (or gpu:<type>:<n>) for --emit k8s, got "${opts.gres}"`);
  const mountPath = '/workspace';
  // Paths inside the pods: the workspace is the volume, mounted at /workspace.
  const inPod = (p: string) => {
    const rel = relative(WORKSPACE_ROOT, p);
    if (rel.startsWith('..')) throw new UserError(`${p} is outside the workspace; with --emit k8s the config, data and --out must live in the workspace (the shared volume)`);
    return `${mountPath}/${rel}`;
  };
  const podSettings: RunSettings = { ...settings, config: inPod(ctx.configPath), data: ctx.synthetic ? undefined : inPod(ctx.dataDir) };
  const path = outLayout(outDir).k8sManifest;
  mkdirSync(dirname(path), { recursive: true });
  atomicWriteFile(
    path,
    k8sManifest({ name: ctx.config.name, k: ctx.config.folds.k, image: opts.image ?? K8S_DEFAULTS.image, claim: opts.claim ?? K8S_DEFAULTS.claim, mountPath, settings: podSettings, outDir: inPod(outDir), allowWorthless: opts['allow-worthless'], gpusPerFold: gpus }),
  );
  log('k8s', `wrote ${path}: a data + folds Job, an Indexed Job of ${ctx.config.folds.k} folds and a final Job; apply them in the order its header says`);
}
