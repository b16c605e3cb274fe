/**
 * `npm run pipeline -- [--data <dir>] [--out <dir>] [--config <preset|file>] [--backend <name>]`
 *
 * Runs every step as Nx targets (folds in parallel, unchanged steps restored from the Nx cache),
 * then copies `submission.csv` and `report/` into `--out`. Without `--data` it runs on the built-in
 * synthetic TGS-like competition.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkLayout, kaggleLayout, listPngIds, readSampleSubmissionIds } from '@tgs/data';
import { atomicWriteDir, log, runCli, tempPathFor, UserError } from '@tgs/io';
import { parseBackendChoice, splitCores } from '@tgs/backend';
import { detectGpus, gpuBackendInstalled, GPUS_ENV, resolveGpus } from '@tgs/cluster';
import { resolveContext, WORKSPACE_ROOT, workPaths } from './context';

const USAGE = 'usage: npm run pipeline -- [--data <kaggle dir>] [--out <dir>] [--config <smoke|cpu|gpu|file.json>] [--backend <auto|tensorflow-gpu|tensorflow|wasm+native|wasm|cpu>] [--parallel <n>] [--threads <n>] [--gpus <all|none|0,2,3>]';

/** Cheap checks of a user's data folder (no image decoded), so a bad folder fails in a second, not after training. */
function preflight(dataDir: string): void {
  checkLayout(dataDir);
  const layout = kaggleLayout(dataDir);
  const images = new Set(listPngIds(layout.testImages));
  const missing = readSampleSubmissionIds(dataDir).filter((id) => !images.has(id));
  if (missing.length > 0) {
    throw new UserError(`${layout.sampleSubmission}: ${missing.length} id(s) have no image in ${layout.testImages} (first: ${missing[0]})`);
  }
}

export async function run(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        backend: { type: 'string' },
        parallel: { type: 'string' },
        threads: { type: 'string' },
        gpus: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  // Fail on bad input before any work starts.
  const ctx = resolveContext({ config: values.config, data: values.data });
  if (!ctx.synthetic) preflight(ctx.dataDir);
  if (values.backend) parseBackendChoice(values.backend, '--backend');
  for (const flag of ['parallel', 'threads'] as const) {
    const v = values[flag];
    if (v !== undefined && !/^[1-9]\d*$/.test(v)) throw new UserError(`--${flag} must be a positive integer, got "${v}"`);
  }
  // Fold processes x native threads never exceed the cores.
  const cores = Math.max(1, availableParallelism());
  const split = splitCores(cores, ctx.config.folds.k, {
    parallel: values.parallel === undefined ? undefined : Number(values.parallel),
    threads: values.threads === undefined ? ctx.config.compute.threads : Number(values.threads),
  });
  if (split.capped) log('pipeline', `threads capped at ${split.threads}: ${split.parallel} fold processes share ${cores} cores`);
  const parallel = String(split.parallel);
  const outDir = resolve(values.out ?? join(WORKSPACE_ROOT, 'runs', 'output'));
  const gpus = resolveGpus(values.gpus, { backend: values.backend, gpuBackendInstalled, detect: () => detectGpus() });

  const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', TGS_CONFIG: ctx.configPath };
  if (ctx.synthetic) delete env.TGS_DATA;
  else env.TGS_DATA = ctx.dataDir;
  if (values.backend) env.TGS_BACKEND = values.backend;
  else delete env.TGS_BACKEND;
  env.TGS_WORK = relative(WORKSPACE_ROOT, ctx.workDir);
  env.TGS_THREADS = String(split.threads);
  // Fold steps pin themselves to one of these devices (fold k on device k mod n).
  if (gpus.devices.length > 0) env[GPUS_ENV] = gpus.devices.join(',');
  else delete env[GPUS_ENV];

  log('pipeline', `config ${relative(WORKSPACE_ROOT, ctx.configPath)} (${ctx.config.folds.k} folds), data ${ctx.synthetic ? 'built-in synthetic' : ctx.dataDir}, ${split.parallel} fold process${split.parallel === 1 ? '' : 'es'} x ${split.threads} native thread${split.threads === 1 ? '' : 's'}, ${gpus.reason}`);
  const nx = join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx');
  const res = spawnSync(nx, ['run', 'pipeline:report', `--parallel=${parallel}`, '--output-style=stream'], { cwd: WORKSPACE_ROOT, env, stdio: 'inherit' });
  if (res.status !== 0) throw new UserError(`the pipeline failed (nx exit code ${res.status}); see the step's error above`);

  const paths = workPaths(ctx.workDir);
  await atomicWriteDir(join(outDir, 'report'), (tmp) => cpSync(paths.report, tmp, { recursive: true }));
  await atomicWriteDir(join(outDir, 'bundle'), (tmp) => cpSync(paths.bundle, tmp, { recursive: true }));
  const finalSub = join(outDir, 'submission.csv');
  const tmpSub = tempPathFor(finalSub);
  copyFileSync(paths.submission, tmpSub);
  renameSync(tmpSub, finalSub);
  const summary = JSON.parse(readFileSync(join(outDir, 'report', 'summary.json'), 'utf8')) as Record<string, unknown>;
  log('pipeline', `submission: ${join(outDir, 'submission.csv')}`);
  log('pipeline', `report:     ${join(outDir, 'report', 'index.html')}`);
  log('pipeline', `bundle:     ${join(outDir, 'bundle')} (npm run infer -- --bundle ${join(outDir, 'bundle')} --images <dir>)`);
  const fmt = (k: string) => (typeof summary[k] === 'number' ? (summary[k] as number).toFixed(4) : String(summary[k]));
  log('pipeline', `OOF mAP stage 1 ${fmt('oof_mAP_stage1')}, stage 2 ${fmt('oof_mAP_stage2')}, tuned ${fmt('oof_mAP_tuned')} at p=${fmt('prob_threshold')} (logit ${fmt('logit_threshold')}), min area ${summary.min_area}`);
  if (typeof summary.test_mAP === 'number') log('pipeline', `test mAP against the synthetic competition's hidden masks: ${fmt('test_mAP')}`);
}

if (require.main === module) runCli(() => run(process.argv.slice(2)));
