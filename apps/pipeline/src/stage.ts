/**
 * What a cluster job runs: one stage of the pipeline in the shared workspace, with the run's
 * settings from the environment the job script exports (SEGKIT_CONFIG, SEGKIT_DATA, SEGKIT_WORK, SEGKIT_BACKEND).
 *
 *   tsx apps/pipeline/src/stage.ts prepare             data + folds
 *   tsx apps/pipeline/src/stage.ts fold [--fold k]     train-fold-k + predict-fold-k (k from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)
 *   tsx apps/pipeline/src/stage.ts final --out <dir>   check every fold, ensemble → tune → submit → report, copy the results to --out
 */
import { resolve } from 'node:path';
import { parseFlags } from '@segkit/cli';
import { foldFromEnv, runFinalStage, runFoldStage, runPrepareStage, StageContext } from '@segkit/cluster';
import { log, runCli, UserError } from '@segkit/io';
import { CLUSTER_STAGES, ClusterStage } from '@segkit/run';
import { resolveContext, WORKSPACE_ROOT } from './context';
import { COMMANDS, STAGE_FLAGS, stageHelp } from './flags';
import { publishOutputs } from './publish';

export async function stage(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(STAGE_FLAGS, argv, { command: COMMANDS.stage, positionals: { min: 1, max: 1, what: 'stage' } });
  if (values.help) {
    process.stdout.write(stageHelp());
    return;
  }
  const ctx = resolveContext({});
  const sctx: StageContext = { workspaceRoot: WORKSPACE_ROOT, workDir: ctx.workDir, k: ctx.config.folds.k, rounds: ctx.config.pseudo.rounds, log: (m) => log('stage', m) };
  const stages: Record<ClusterStage, () => void | Promise<void>> = {
    prepare: () => runPrepareStage(sctx),
    fold: () => {
      const fold = foldFromEnv(values.fold, sctx.k);
      log('stage', `fold ${fold} of ${sctx.k}`);
      runFoldStage(sctx, fold);
    },
    final: () => {
      if (!values.out) throw new UserError(`final needs --out <dir>; see ${COMMANDS.stage} --help`);
      runFinalStage(sctx);
      return publishOutputs(ctx.workDir, resolve(values.out), { allowWorthless: values['allow-worthless'], noBundle: ctx.config.input.mode === 'crop' });
    },
  };
  const name = positionals[0];
  if (!(CLUSTER_STAGES as readonly string[]).includes(name)) throw new UserError(`unknown stage "${name}"; see ${COMMANDS.stage} --help`);
  return stages[name as ClusterStage]();
}

if (require.main === module) runCli(() => stage(process.argv.slice(2)));
