/**
 * The pipeline's command line: one subcommand per step, each also an Nx target.
 *
 *   tsx apps/pipeline/src/main.ts <step> [--fold <k>] [--config <preset|file>] [--data <dir>] [--work <dir>] [--backend <name>] …
 *
 * `main.ts --help` lists the steps and flags, `main.ts <step> --help` says what one step reads and
 * writes (see ./flags.ts).
 */
import { integerFlag, parseFlags } from '@segkit/cli';
import { errorLine, log, runCli, UserError } from '@segkit/io';
import { describeHolder, holderAlive, readLock, registerStep, removeStaleTemps, runFromEnv, startRunWatchdog, StepRegistration } from '@segkit/process';
import { blendStep } from './blend-step';
import { runLayout, StepName, STEPS, stepTargetName } from '@segkit/run';
import { resolveContext, StepContext } from './context';
import { ALL_STEP_FLAGS, COMMANDS, isPerFold, isPerRound, isStepCommand, PER_FOLD_STEPS, PER_ROUND_STEPS, StepCommand, stepHelp, stepsHelp } from './flags';
import * as steps from './steps';

let registration: StepRegistration | undefined;

/**
 * What each experiment step of the table runs (a per-fold step gets its fold, a step of the
 * pseudo-label rounds its round); a missing one does not compile.
 */
const RUNNERS: Record<Exclude<StepName, 'blend'>, (ctx: StepContext, fold: number, round: number) => Promise<void>> = {
  data: steps.prepareData,
  folds: steps.folds,
  pseudo: steps.pseudo,
  train: steps.train,
  predict: steps.predict,
  ensemble: steps.ensemble,
  tune: steps.tune,
  submit: steps.submit,
  bundle: steps.bundle,
  report: steps.report,
};

/**
 * Ties a step process to the run that started it: a watchdog stops it when the run is gone, and
 * it registers in the run's steps folder (so the run can stop it and report its failure). A step
 * started by hand refuses to write a work directory a run is using. Either way, temporary files
 * of writers that were killed are removed first, so nothing reads them or caches them.
 */
function attach(ctx: StepContext, step: string): void {
  const paths = runLayout(ctx.workDir).run;
  const run = runFromEnv();
  if (run) {
    startRunWatchdog(run, step);
    registration = registerStep(paths.steps, step);
  } else {
    const holder = readLock(paths.lock);
    if (holder && holderAlive(holder)) throw new UserError(`${ctx.workDir} is in use by a pipeline run (${describeHolder(holder)}); wait for it to finish or stop it (kill ${holder.pid})`);
  }
  const cleaned = removeStaleTemps(ctx.workDir);
  for (const p of cleaned.restored) log(step, `restored ${p} (its replacement was cut off by a kill)`);
  if (cleaned.removed.length > 0) log(step, `removed ${cleaned.removed.length} temporary file(s) left by killed writers`);
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(ALL_STEP_FLAGS, argv, { command: COMMANDS.step, positionals: { min: 1, max: 1, what: 'step' } });
  const name = positionals[0];
  if (name !== undefined && !isStepCommand(name)) throw new UserError(`unknown step "${name}"; see ${COMMANDS.step} --help`);
  if (values.help) {
    process.stdout.write(name === undefined ? stepsHelp() : stepHelp(name));
    return;
  }
  const step = name as StepCommand;
  if (!isPerFold(step) && values.fold !== undefined) throw new UserError(`${step} takes no --fold (${PER_FOLD_STEPS.join(' and ')} do); see ${COMMANDS.step} ${step} --help`);
  if (!isPerRound(step) && values.round !== undefined) throw new UserError(`${step} takes no --round (${PER_ROUND_STEPS.join(', ').replace(/, ([^,]*)$/, ' and $1')} do); see ${COMMANDS.step} ${step} --help`);
  const fold = integerFlag('fold', values.fold, 0);
  const round = integerFlag('round', values.round, 0) ?? 0;
  if (STEPS[step].rounds === 'later' && round < 1) throw new UserError(`${step} needs --round <r> (1 … pseudo.rounds); see ${COMMANDS.step} ${step} --help`);
  // A blend's config is not an experiment's: its step resolves its own members and folders.
  if (step === 'blend') return blendStep(values);
  const ctx = resolveContext(values);
  if (isPerFold(step) && fold === undefined) throw new UserError(`${step} needs --fold <k>; see ${COMMANDS.step} ${step} --help`);
  // The Nx target's name: train-fold-1, predict-fold-0, tune, train-round-1-fold-0...
  attach(ctx, stepTargetName(step, round, fold));
  return RUNNERS[step](ctx, fold as number, round);
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), (err, code) => registration?.fail(code, errorLine(err)));
