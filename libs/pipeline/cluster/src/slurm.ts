/**
 * The pipeline as three Slurm jobs (https://slurm.schedmd.com/sbatch.html):
 *
 *   prepare   data + folds                                   one job
 *   folds     train-fold-k + predict-fold-k, k = array index  --array=0-(k-1) --dependency=afterok:<prepare>
 *   final     ensemble → tune → submit → report               --dependency=afterany:<folds>
 *
 * The final job depends on the array with `afterany`, not `afterok`: with `afterok` a failed fold
 * leaves it pending forever ("DependencyNeverSatisfied") and nobody is told which fold failed. It
 * starts when every task has ended, checks that every fold finished, and fails with a message
 * naming each unfinished fold and its log otherwise. Fold tasks are submitted with `--requeue`, so a
 * preempted or node-failed task runs again and resumes from its last complete epoch.
 *
 * All jobs share the work directory and the workspace (a shared filesystem on a real cluster).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { atomicWriteFile, UserError, writeJsonArtifact } from '@segkit/io';
import { defaultExec, Exec, execFailure } from './exec';
import { acquireLock } from '@segkit/process';
import { CLUSTER_STAGES, ClusterStage, clusterStages, RUN_ENV, RunSettings, shellQuote, slurmLayout, toEnv } from '@segkit/run';
import { z } from 'zod';

/** What a Slurm user passes per submission (all optional; the cluster's defaults otherwise). */
export interface SlurmOptions {
  partition?: string;
  /** Generic resources for each fold task, e.g. "gpu:1". */
  gres?: string;
  /** Time limit of each job, in sbatch's formats ("30", "4:00:00", "1-00:00:00"). */
  time?: string;
  account?: string;
  /** CPUs of each fold task (`--cpus-per-task`); its native kernels use that many threads. */
  cpusPerTask?: number;
}

/** What every job needs to run a stage of this pipeline. */
export interface SlurmRun {
  /** The workspace every job runs in (cwd). */
  workspaceRoot: string;
  workDir: string;
  k: number;
  /** A short name for the job names, e.g. the config's name. */
  name: string;
  /** The run's settings, exported by every job script (absolute paths: jobs may start elsewhere). */
  settings: RunSettings;
  /** The Node binary and the stage entry point (`apps/pipeline/src/stage.ts`). */
  node: string;
  stageScript: string;
  /** Where the final job copies submission.csv and report/. */
  outDir: string;
  /** The final job writes submission.csv to outDir even when the run is worthless (`--allow-worthless`). */
  allowWorthless?: boolean;
}

const submittedRunSchema = z.object({
  submittedAt: z.string(),
  workDir: z.string(),
  outDir: z.string(),
  k: z.number().int().min(2),
  jobs: z.object({ prepare: z.string(), folds: z.string(), final: z.string() }),
});

/** The record of a submission (`slurm/run.json`): where it runs, its folds and its three job ids. */
export type SubmittedRun = z.infer<typeof submittedRunSchema>;

/** The bash script of one stage's job. */
export function jobScript(run: SlurmRun, stage: ClusterStage): string {
  const env = Object.entries(toEnv(run.settings))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  const args = stage === 'final' ? ` --out ${shellQuote(run.outDir)}${run.allowWorthless ? ' --allow-worthless' : ''}` : '';
  return [
    '#!/bin/bash',
    `# ${stage} job of the pipeline run in ${run.workDir}, written by \`npm run pipeline -- --slurm\`.`,
    'set -eo pipefail',
    `cd ${shellQuote(run.workspaceRoot)}`,
    ...env,
    // Native kernel threads follow the CPUs Slurm allocated (not the node's cores) unless the run set them.
    `if [ -z "\${${RUN_ENV.threads}:-}" ]; then export ${RUN_ENV.threads}="\${SLURM_CPUS_PER_TASK:-\${SLURM_CPUS_ON_NODE:-1}}"; fi`,
    // A requeued or resubmitted job appends to the same log; this line tells the attempts apart.
    `echo "[slurm] $(date -u +%Y-%m-%dT%H:%M:%SZ) job \${SLURM_JOB_ID}\${SLURM_ARRAY_TASK_ID:+ (array task \${SLURM_ARRAY_TASK_ID})} on $(hostname), restart \${SLURM_RESTART_COUNT:-0}"`,
    // Started from one cached bundle of its TypeScript (tools/run/bundled.cjs), as the steps are.
    `exec ${shellQuote(run.node)} --require ./tools/run/bundled.cjs ${shellQuote(run.stageScript)} ${stage}${args}`,
    '',
  ].join('\n');
}

function commonArgs(run: SlurmRun, opts: SlurmOptions, stage: string): string[] {
  return [
    '--parsable',
    `--job-name=tgs-${run.name}-${stage}`,
    `--chdir=${run.workspaceRoot}`,
    '--open-mode=append',
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
    ...(opts.account ? [`--account=${opts.account}`] : []),
    ...(opts.time ? [`--time=${opts.time}`] : []),
  ];
}

/** sbatch's arguments for each job; `prepare`/`folds` are the ids of the jobs it depends on. */
export function sbatchArgs(run: SlurmRun, opts: SlurmOptions, deps: { prepare?: string; folds?: string } = {}) {
  const paths = slurmLayout(run.workDir);
  return {
    prepare: [...commonArgs(run, opts, 'prepare'), `--output=${paths.log('prepare')}`, paths.script('prepare')],
    folds: [
      ...commonArgs(run, opts, 'fold'),
      `--array=0-${run.k - 1}`,
      `--dependency=afterok:${deps.prepare ?? '<prepare>'}`,
      '--kill-on-invalid-dep=yes',
      '--requeue',
      ...(opts.gres ? [`--gres=${opts.gres}`] : []),
      ...(opts.cpusPerTask ? [`--cpus-per-task=${opts.cpusPerTask}`] : []),
      `--output=${paths.foldLogPattern}`,
      paths.script('fold'),
    ],
    final: [...commonArgs(run, opts, 'final'), `--dependency=afterany:${deps.folds ?? '<folds>'}`, `--output=${paths.log('final')}`, paths.script('final')],
  };
}

/** Reads `--parsable` output: "123" or "123;cluster". */
export function parseJobId(stdout: string): string {
  const id = stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed "${stdout.trim()}" instead of a job id`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Job states

/** Slurm's job states that will not change any more. */
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'SPECIAL_EXIT', 'REVOKED']);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

export interface JobStatus {
  /** "12" for a job, "12_3" for an array task. */
  id: string;
  /** The array index, for array tasks. */
  task?: number;
  state: string;
  /** e.g. "0:0", "1:0" (exit code : signal). */
  exitCode?: string;
  reason?: string;
  node?: string;
}

/** Expands Slurm's array index lists: "0-3", "1,4-5", "0-7%2" (a throttle). */
export function expandArrayIndices(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/**
 * Parses `scontrol show job -o <id>`: one line of Key=Value pairs per job or array task; the
 * pending tasks of an array share one line whose ArrayTaskId is a list ("1-3").
 */
export function parseScontrolJobs(text: string): JobStatus[] {
  const out: JobStatus[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('JobId=')) continue;
    const field = (key: string) => new RegExp(`(?:^| )${key}=(\\S*)`).exec(line)?.[1];
    const jobId = field('JobId') as string;
    const arrayJob = field('ArrayJobId');
    const arrayTask = field('ArrayTaskId');
    const base = { state: (field('JobState') ?? 'UNKNOWN').split('+')[0], exitCode: field('ExitCode'), reason: field('Reason'), node: field('BatchHost') ?? field('NodeList') };
    if (arrayJob !== undefined && arrayTask !== undefined) {
      const tasks = /^\d+$/.test(arrayTask) ? [Number(arrayTask)] : expandArrayIndices(arrayTask);
      for (const t of tasks) out.push({ id: `${arrayJob}_${t}`, task: t, ...base });
    } else {
      out.push({ id: jobId, ...base });
    }
  }
  return out;
}

/** Parses `sacct -n -P -X -o JobID,State,ExitCode,NodeList`: "12|COMPLETED|0:0|n1", "13_[1-3]|PENDING|0:0|None". */
export function parseSacct(text: string): JobStatus[] {
  const out: JobStatus[] = [];
  for (const line of text.trim().split('\n')) {
    const [jobId, stateField, exitCode, node] = line.split('|');
    if (!jobId || !stateField) continue;
    const state = stateField.split(' ')[0]; // "CANCELLED by 0"
    const m = /^(\d+)_(?:\[([^\]]+)\]|(\d+))$/.exec(jobId);
    const base = { state, exitCode, node: node && node !== 'None assigned' ? node : undefined };
    if (!m) out.push({ id: jobId, ...base });
    else for (const t of m[3] !== undefined ? [Number(m[3])] : expandArrayIndices(m[2])) out.push({ id: `${m[1]}_${t}`, task: t, ...base });
  }
  return out;
}

/**
 * The states of a job or of every task of an array: from `scontrol` while the controller still
 * holds the job, else from `sacct` (accounting). A job neither knows is UNKNOWN.
 */
export function jobStatuses(jobId: string, exec: Exec = defaultExec): JobStatus[] {
  const sc = exec('scontrol', ['show', 'job', '-o', jobId]);
  if (!sc.error && sc.status === 0) {
    const jobs = parseScontrolJobs(sc.stdout);
    if (jobs.length > 0) return jobs;
  }
  const sa = exec('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode,NodeList']);
  if (!sa.error && sa.status === 0) {
    const jobs = parseSacct(sa.stdout);
    if (jobs.length > 0) return jobs;
  }
  return [{ id: jobId, state: 'UNKNOWN' }];
}

// ---------------------------------------------------------------------------------------------
// Submission

export interface SlurmIo {
  exec?: Exec;
  log: (msg: string) => void;
  /**
   * The lock a submission holds while it checks for running jobs and records its own: the work
   * directory's run lock, so a submission and a local run of the same directory exclude each
   * other (default: `slurm/submit.lock`).
   */
  lockPath?: string;
  /** The command line, for the message a concurrent run shows. */
  command?: string;
}

/** Reads the record of an earlier submission into this work directory, if any. */
export function readSubmittedRun(workDir: string): SubmittedRun | undefined {
  const path = slurmLayout(workDir).record;
  if (!existsSync(path)) return undefined;
  const fail = (why: string) => new UserError(`${path}: not a Slurm run record (${why}); delete it if no jobs of this run are queued`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw fail((err as Error).message);
  }
  const parsed = submittedRunSchema.safeParse(raw);
  if (!parsed.success) throw fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** The jobs of the earlier submission into this work directory that are still queued or running. */
export function activeJobs(workDir: string, exec: Exec = defaultExec): string[] {
  const rec = readSubmittedRun(workDir);
  if (!rec) return [];
  const active: string[] = [];
  for (const id of [rec.jobs.prepare, rec.jobs.folds, rec.jobs.final]) {
    for (const s of jobStatuses(id, exec)) if (!isTerminal(s.state) && s.state !== 'UNKNOWN') active.push(s.id);
  }
  return active;
}

/** Refuses to start work in a directory that a Slurm run is still using. */
export function assertNoActiveRun(workDir: string, exec: Exec = defaultExec): void {
  const active = activeJobs(workDir, exec);
  if (active.length > 0) {
    throw new UserError(
      `Slurm jobs ${active.join(', ')} of an earlier submission are still using ${workDir}; follow them with \`npm run pipeline -- --slurm --follow\` (same --config/--data/--out), or cancel them with \`scancel ${[...new Set(active.map((id) => id.split('_')[0]))].join(' ')}\``,
    );
  }
}

/**
 * Writes the job scripts and submits the three jobs. Two submissions into the same work
 * directory at once cannot both succeed: the submission holds the run lock while it checks that
 * no job of an earlier submission is still queued or running and records its own job ids.
 */
export async function submitSlurm(run: SlurmRun, opts: SlurmOptions, io: SlurmIo): Promise<SubmittedRun> {
  const exec = io.exec ?? defaultExec;
  const paths = slurmLayout(run.workDir);
  mkdirSync(paths.dir, { recursive: true });
  const lock = await acquireLock(io.lockPath ?? paths.submitLock, { what: `the work directory ${run.workDir}`, command: io.command ?? 'npm run pipeline -- --slurm' });
  try {
    assertNoActiveRun(run.workDir, exec);
    for (const stage of CLUSTER_STAGES) {
      atomicWriteFile(paths.script(stage), jobScript(run, stage));
      chmodSync(paths.script(stage), 0o755);
    }
    const sbatch = (args: string[]): string => {
      const res = exec('sbatch', args);
      if (res.error || res.status !== 0) throw new UserError(`sbatch failed: ${execFailure('sbatch', res)}`);
      return parseJobId(res.stdout);
    };
    const submitted: string[] = [];
    try {
      const prepare = sbatch(sbatchArgs(run, opts).prepare);
      submitted.push(prepare);
      const folds = sbatch(sbatchArgs(run, opts, { prepare }).folds);
      submitted.push(folds);
      const final = sbatch(sbatchArgs(run, opts, { folds }).final);
      submitted.push(final);
      const record: SubmittedRun = { submittedAt: new Date().toISOString(), workDir: run.workDir, outDir: run.outDir, k: run.k, jobs: { prepare, folds, final } };
      writeJsonArtifact(paths.record, submittedRunSchema, record, 'pipeline --cluster slurm');
      io.log(`submitted: data + folds job ${prepare}, fold array ${folds} (tasks 0-${run.k - 1}), final job ${final}`);
      return record;
    } catch (err) {
      // A half-submitted run would wait for jobs that never come: take back what was queued.
      if (submitted.length > 0) exec('scancel', submitted);
      throw err;
    }
  } finally {
    lock.release();
  }
}

/** The lines --detach prints: the job ids and how to follow them. */
export function detachMessage(rec: SubmittedRun): string[] {
  const paths = slurmLayout(rec.workDir);
  const { prepare, folds, final } = rec.jobs;
  return [
    `jobs: ${prepare} (data + folds), ${folds} (fold array 0-${rec.k - 1}), ${final} (ensemble → report)`,
    `follow: squeue -j ${prepare},${folds},${final}    or: npm run pipeline -- --slurm --follow (same --config/--data/--out)`,
    `logs: ${paths.log('prepare')}, ${paths.foldLogPattern.replace('%a', '<k>')}, ${paths.log('final')}`,
    `results: ${rec.outDir}/submission.csv, report/ and bundle/ when job ${final} completes`,
    `cancel: scancel ${prepare} ${folds} ${final}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Following

export interface FollowOptions extends SlurmIo {
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The last `maxBytes` of a file (logs grow; the poll reads only their end). */
function readTail(path: string, maxBytes: number): string {
  const size = statSync(path).size;
  const n = Math.min(size, maxBytes);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/**
 * The last progress line of a fold's log: a step's `[train] …` / `[predict] …` line or a progress
 * line (`fold 0 stage 1 epoch 2/3 40% …`), without Nx's `pipeline: ` prefix; undefined when none.
 */
export function lastStepLine(path: string, maxBytes = 16_384): string | undefined {
  if (!existsSync(path)) return undefined;
  const lines = readTail(path, maxBytes)
    .split(/[\r\n]+/)
    .map((l) => l.replace(/^pipeline: /, '').trim())
    .filter((l) => /^\[[a-z]+\] /.test(l) || /^fold \d+ /.test(l));
  return lines.at(-1);
}

function describe(s: JobStatus | undefined): string {
  if (!s) return 'UNKNOWN';
  const where = s.node && s.state === 'RUNNING' ? ` on ${s.node}` : '';
  const why = s.state === 'PENDING' && s.reason && s.reason !== 'None' ? ` (${s.reason})` : '';
  const exit = isTerminal(s.state) && s.state !== 'COMPLETED' && s.exitCode ? ` (exit ${s.exitCode})` : '';
  return `${s.state}${where}${why}${exit}`;
}

/**
 * Follows a submitted run until its final job ends, printing a line whenever the data job, a
 * fold or the final job changes state or a running fold's log shows new progress. Resolves with
 * the final job's state and throws nothing: the caller decides what a failure means.
 */
export async function followSlurm(rec: SubmittedRun, opts: FollowOptions): Promise<{ state: string; final: JobStatus }> {
  const exec = opts.exec ?? defaultExec;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const paths = slurmLayout(rec.workDir);
  const shown = new Map<string, string>();
  const show = (key: string, line: string) => {
    if (shown.get(key) === line) return;
    shown.set(key, line);
    opts.log(line);
  };
  const steps = clusterStages();
  for (;;) {
    const prepare = jobStatuses(rec.jobs.prepare, exec)[0];
    show('prepare', `${steps.prepare.join(' + ')} (job ${rec.jobs.prepare}): ${describe(prepare)}`);
    const tasks = jobStatuses(rec.jobs.folds, exec);
    for (let fold = 0; fold < rec.k; fold++) {
      const t = tasks.find((s) => s.task === fold) ?? (tasks.length === 1 && tasks[0].task === undefined ? tasks[0] : undefined);
      const progress = t?.state === 'RUNNING' ? lastStepLine(paths.foldLog(fold)) : undefined;
      show(`fold-${fold}`, `fold ${fold} (job ${rec.jobs.folds}_${fold}): ${describe(t)}${progress ? ` — ${progress}` : ''}`);
    }
    const final = jobStatuses(rec.jobs.final, exec)[0];
    show('final', `${steps.final[0]} → ${steps.final.at(-1)} (job ${rec.jobs.final}): ${describe(final)}`);
    if (isTerminal(final.state)) return { state: final.state, final };
    if (final.state === 'UNKNOWN' && [prepare, ...tasks].every((s) => s.state === 'UNKNOWN')) {
      return { state: 'UNKNOWN', final };
    }
    await sleep(opts.intervalMs ?? 2000);
  }
}

/** The last lines of a log, for an error message. */
export function logTail(path: string, lines = 8): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  return readTail(path, 16_384).trimEnd().split('\n').slice(-lines).join('\n');
}

/** Whether sbatch can reach a controller (sinfo answers). */
export function slurmAvailable(exec: Exec = defaultExec): { ok: boolean; reason?: string } {
  const sb = exec('sbatch', ['--version']);
  if (sb.error || sb.status !== 0) return { ok: false, reason: execFailure('sbatch --version', sb) };
  const si = exec('sinfo', ['-h', '-o', '%T']);
  if (si.error || si.status !== 0) return { ok: false, reason: execFailure('sinfo', si) };
  return { ok: true };
}
