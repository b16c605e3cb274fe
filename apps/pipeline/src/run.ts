/**
 * `npm run pipeline -- [--data <dir>] [--out <dir>] [--config <preset|file>] [--backend <name>] …` (`--help`: every flag, see ./flags.ts)
 *
 * Runs every step as Nx targets (folds in parallel, unchanged steps restored from the Nx cache),
 * then copies `submission.csv` and `report/` into `--out`. Without `--data` it runs on the built-in
 * synthetic TGS-like competition. With `--slurm` the same steps run as Slurm jobs instead (see
 * ./cluster.ts); `--emit k8s` writes them as Kubernetes Jobs.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { integerFlag, parseFlags } from '@segkit/cli';
import { checkImageSizes, checkLayout, chooseLayout, listFiles, readTestIds, sampleSubmissionPath } from '@segkit/data';
import { checkOutputDir, log, runCli, UserError } from '@segkit/io';
import { checkForcedBackend, parseBackendChoice, splitCores } from '@segkit/backend';
import { assertNoActiveRun, detectGpus, gpuBackendInstalled, resolveGpus } from '@segkit/cluster';
import { acquireLock, clearSteps, describeHolder, readSteps, removeStaleTemps, runEnv, runSupervised, signalExitCode, startLauncherWatchdog, stepFailureReport, stopProcesses, WATCHDOG_PRELOAD } from '@segkit/process';
import { emitK8s, runOnSlurm } from './cluster';
import { configNameClashes, nxNodeArgs, nxWorkspaceData, runLayout, withRunSettings, WORKSPACE_PATHS } from '@segkit/run';
import { resolveContext, WORKSPACE_ROOT } from './context';
import { COMMANDS, PIPELINE_FLAGS, pipelineHelp } from './flags';
import { publishOutputs } from './publish';

/** Cheap checks of a user's data folder (no image decoded), so a bad folder fails in a second, not after training. */
function preflight(dataDir: string, layoutSetting: unknown, resized: boolean): void {
  const layout = checkLayout(dataDir, undefined, chooseLayout(dataDir, layoutSetting));
  log('pipeline', `${dataDir}: the ${layout.name} layout${layoutSetting === 'auto' ? ', recognised from its files' : ', from data.layout'}`);
  listFiles(dataDir, layout.train.images);
  if (layout.train.masks.files && existsSync(join(dataDir, layout.train.masks.files.dir))) listFiles(dataDir, layout.train.masks.files);
  const listed = listFiles(dataDir, layout.test.images);
  const images = new Set(listed.stems.map((s) => layout.test.images.id.replace('{stem}', s)));
  const missing = readTestIds(dataDir, layout).filter((id) => !images.has(id));
  if (missing.length > 0) {
    throw new UserError(`${sampleSubmissionPath(dataDir, layout)}: ${missing.length} id(s) have no image in ${join(dataDir, layout.test.images.dir)} (first: ${missing[0]})`);
  }
  // Resized images may have any size, also different sizes in one split.
  if (!resized) checkImageSizes(dataDir, layout);
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseFlags(PIPELINE_FLAGS, argv, { command: COMMANDS.pipeline });
  if (values.help) {
    process.stdout.write(pipelineHelp());
    return;
  }
  // Fail on bad input before any work starts. A config named like a library breaks Nx for every run.
  const clash = configNameClashes()[0];
  if (clash) throw new UserError(`rename ${relative(WORKSPACE_ROOT, clash.file)}: "${clash.name}" is the project name of ${clash.project} (every config is an Nx project named after its file)`);
  // Flags and the run settings already in the environment, validated together.
  const ctx = resolveContext({ config: values.config, data: values.data, set: values.set, backend: values.backend });
  // A forced backend that cannot load fails now, as the flag's (its steps would blame SEGKIT_BACKEND).
  if (values.backend) checkForcedBackend(parseBackendChoice(values.backend, '--backend'), '--backend');
  const outDir = resolve(values.out ?? WORKSPACE_PATHS.output);
  checkOutputDir(outDir, '--out');
  if (!ctx.synthetic) preflight(ctx.dataDir, ctx.config.data.layout, ctx.config.input.mode === 'resize');
  const parallelFlag = integerFlag('parallel', values.parallel);
  const threadsFlag = integerFlag('threads', values.threads);
  const cpusPerTask = integerFlag('cpus-per-task', values['cpus-per-task']);
  // Fold processes x native threads never exceed the cores.
  const cores = Math.max(1, availableParallelism());
  const split = splitCores(cores, ctx.config.folds.k, { parallel: parallelFlag, threads: threadsFlag ?? ctx.config.compute.threads });
  if (split.capped) log('pipeline', `threads capped at ${split.threads}: ${split.parallel} fold processes share ${cores} cores`);
  const parallel = String(split.parallel);
  const slurmOnly = (['partition', 'time', 'account', 'cpus-per-task', 'detach', 'follow'] as const).filter((f) => values[f] !== undefined);
  if (!values.slurm && slurmOnly.length > 0) throw new UserError(`--${slurmOnly[0]} needs --slurm`);
  if (values.emit !== undefined && values.emit !== 'k8s') throw new UserError(`--emit supports k8s, got "${values.emit}"`);
  if (values.emit && values.slurm) throw new UserError('--emit k8s and --slurm exclude each other');
  if (values.detach && values.follow) throw new UserError('--detach and --follow exclude each other');
  const k8sOnly = (['image', 'claim'] as const).find((f) => values[f] !== undefined);
  if (k8sOnly && !values.emit) throw new UserError(`--${k8sOnly} needs --emit k8s`);
  if (values.gpus !== undefined && (values.slurm || values.emit)) throw new UserError('--gpus spreads folds over the GPUs of this machine; on a cluster ask for them with --gres gpu:1');
  // Cluster jobs get the run's settings; native threads only from --threads or the environment (else each job's CPUs), GPUs from the scheduler, and no core lease (a job keeps the cores it was given).
  const clusterSettings = { ...ctx.settings, threads: threadsFlag ?? ctx.settings.threads, gpus: undefined, cores: undefined };
  if (values.emit) return emitK8s(ctx, clusterSettings, outDir, values);
  if (values.slurm) {
    return runOnSlurm(ctx, clusterSettings, outDir, { ...values, cpusPerTask }, `npm run pipeline -- ${argv.join(' ')}`.trim());
  }
  const gpus = resolveGpus(values.gpus, { backend: values.backend, gpuBackendInstalled, detect: () => detectGpus() });

  // Every step reads the same settings: the overrides (the environment's, then --set, which Nx
  // hashes), the backend (--backend over the environment's, over the config's: see @segkit/backend),
  // the cores' split and the GPUs the fold steps pin themselves to (fold k on device k mod n).
  // The cores the split uses are leased: when a fold process ends and none waits, the others take its cores.
  const settings = { ...ctx.settings, threads: split.threads, cores: split.parallel * split.threads, gpus: gpus.devices.length > 0 ? gpus.devices : undefined };
  // Nx's project graph of this run's targets, built by this run alone (see nxWorkspaceData).
  const env: NodeJS.ProcessEnv = { ...withRunSettings(process.env, settings), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_WORKSPACE_DATA_DIRECTORY: nxWorkspaceData(ctx.workDir) };
  // A run of its own, also when started from an Nx task (Nx would take it for a nested invocation).
  delete env.NX_INVOCATION_ROOT_PID;

  // Killed with the npm that launched it (IDEs and CI runners kill npm alone): stop as on Ctrl-C.
  startLauncherWatchdog('pipeline');
  // One run per work directory; what an earlier, killed run left behind is dealt with first.
  const paths = runLayout(ctx.workDir).run;
  const lock = await acquireLock(paths.lock, {
    what: `the work directory ${ctx.workDir}`,
    command: `npm run pipeline -- ${argv.join(' ')}`.trim(),
    wait: values.wait,
    onWait: (h) => log('pipeline', `waiting for the run using ${ctx.workDir} to finish (${describeHolder(h)})`),
    onTakeover: (h) => log('pipeline', `taking over the lock of a run that is gone (${describeHolder(h)})`),
  });
  // A Slurm run still using this work directory would be corrupted by a local one (checked under
  // the lock, which a Slurm submission holds while it records its jobs).
  try {
    assertNoActiveRun(ctx.workDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  const survivors = readSteps(paths.steps).running;
  if (survivors.length > 0) {
    log('pipeline', `stopping ${survivors.length} step(s) an earlier run left running: ${survivors.map((s) => `${s.step} (pid ${s.pid})`).join(', ')}`);
    await stopProcesses(survivors);
  }
  clearSteps(paths.steps);
  // Temp files of killed writers go before any step runs, so Nx never caches or restores next to one.
  const cleaned = removeStaleTemps(ctx.workDir);
  for (const p of cleaned.restored) log('pipeline', `restored ${p} (its replacement was cut off by a kill)`);
  if (cleaned.removed.length > 0) log('pipeline', `removed ${cleaned.removed.length} temporary file(s) left by killed writers`);
  Object.assign(env, runEnv());

  log('pipeline', `config ${relative(WORKSPACE_ROOT, ctx.configPath)} (${ctx.config.folds.k} folds), data ${ctx.synthetic ? 'built-in synthetic' : ctx.dataDir}, ${split.parallel} fold process${split.parallel === 1 ? '' : 'es'} x ${split.threads} native thread${split.threads === 1 ? '' : 's'}, ${gpus.reason}`);
  // Nx gets the watchdog too, so it stops (and starts no more steps) if this process is killed.
  const res = await runSupervised(process.execPath, ['--require', WATCHDOG_PRELOAD, ...nxNodeArgs(), 'run', 'pipeline:report', `--parallel=${parallel}`, '--output-style=stream'], {
    cwd: WORKSPACE_ROOT,
    env,
    stepsDir: paths.steps,
    log: (m) => log('pipeline', m),
  });
  if (res.kind === 'interrupted') {
    log('pipeline', `stopped${res.stopped.length ? ` ${res.stopped.map((s) => s.step).join(', ')}` : ''}; finished steps and epochs are kept: run the same command again to resume`);
    lock.release();
    process.exit(signalExitCode(res.signal));
  }
  if (res.kind === 'signalled' || res.status !== 0) {
    const report = stepFailureReport(readSteps(paths.steps), res.kind === 'signalled' ? signalExitCode(res.signal) : res.status);
    for (const line of report.earlier) process.stderr.write(`error: ${line}\n`);
    throw new UserError(report.last, { exitCode: report.exitCode });
  }

  await publishOutputs(ctx.workDir, outDir, { allowWorthless: values['allow-worthless'], noBundle: ctx.config.input.mode === 'crop' });
}

if (require.main === module) runCli(() => run(process.argv.slice(2)));
