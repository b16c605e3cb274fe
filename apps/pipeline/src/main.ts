/**
 * The pipeline's command line: one subcommand per step, each also an Nx target.
 *
 *   tsx apps/pipeline/src/main.ts <step> [--config <preset|file>] [--data <dir>] [--work <dir>] [--fold <k>] [--backend <name>]
 *
 * Steps: data, folds, train --fold k, predict --fold k, ensemble, tune, submit, bundle, report.
 */
import { parseArgs } from 'node:util';
import { errorLine, log, runCli, UserError } from '@tgs/io';
import { describeHolder, holderAlive, readLock, registerStep, removeStaleTemps, runFromEnv, startRunWatchdog, StepRegistration } from '@tgs/process';
import { blendStep } from './blend-step';
import { resolveContext, StepContext, workPaths } from './context';
import * as steps from './steps';

let registration: StepRegistration | undefined;

/**
 * Ties a step process to the run that started it: a watchdog stops it when the run is gone, and
 * it registers in the run's steps folder (so the run can stop it and report its failure). A step
 * started by hand refuses to write a work directory a run is using. Either way, temporary files
 * of writers that were killed are removed first, so nothing reads them or caches them.
 */
function attach(ctx: StepContext, step: string): void {
  const paths = workPaths(ctx.workDir);
  const run = runFromEnv();
  if (run) {
    startRunWatchdog(run, step);
    registration = registerStep(paths.runSteps, step);
  } else {
    const holder = readLock(paths.runLock);
    if (holder && holderAlive(holder)) throw new UserError(`${ctx.workDir} is in use by a pipeline run (${describeHolder(holder)}); wait for it to finish or stop it (kill ${holder.pid})`);
  }
  const cleaned = removeStaleTemps(ctx.workDir);
  for (const p of cleaned.restored) log(step, `restored ${p} (its replacement was cut off by a kill)`);
  if (cleaned.removed.length > 0) log(step, `removed ${cleaned.removed.length} temporary file(s) left by killed writers`);
}

const USAGE = `usage: pipeline <data|folds|train|predict|ensemble|tune|submit|bundle|report|blend> [--config <preset|file>] [--data <dir>] [--work <dir>] [--fold <k>] [--backend <auto|tensorflow-gpu|tensorflow|wasm+native|wasm|cpu>] [--threads <n>] [--set <key.path=value>]...`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        work: { type: 'string' },
        fold: { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) throw new UserError(USAGE);
  // A blend's config is not an experiment's: it has its own step.
  if (positionals[0] === 'blend') return blendStep(values);
  const ctx = resolveContext(values);
  const fold = () => {
    if (values.fold === undefined) throw new UserError(`${positionals[0]} needs --fold <k>`);
    const k = Number(values.fold);
    if (!/^\d+$/.test(values.fold)) throw new UserError(`--fold must be a non-negative integer, got "${values.fold}"`);
    return k;
  };
  // The Nx target's name: train-fold-1, predict-fold-0, tune...
  attach(ctx, values.fold !== undefined && ['train', 'predict'].includes(positionals[0]) ? `${positionals[0]}-fold-${values.fold}` : positionals[0]);
  switch (positionals[0]) {
    case 'data':
      return steps.prepareData(ctx);
    case 'folds':
      return steps.folds(ctx);
    case 'train':
      return steps.train(ctx, fold());
    case 'predict':
      return steps.predict(ctx, fold());
    case 'ensemble':
      return steps.ensemble(ctx);
    case 'tune':
      return steps.tune(ctx);
    case 'submit':
      return steps.submit(ctx);
    case 'bundle':
      return steps.bundle(ctx);
    case 'report':
      return steps.report(ctx);
    default:
      throw new UserError(`unknown step "${positionals[0]}"\n${USAGE}`);
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), (err, code) => registration?.fail(code, errorLine(err)));
