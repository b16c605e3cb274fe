/**
 * What a cluster job runs: one stage of the pipeline in the shared workspace, with the run's
 * settings from the environment the job script exports (TGS_CONFIG, TGS_DATA, TGS_WORK, TGS_BACKEND).
 *
 *   tsx apps/pipeline/src/stage.ts prepare             data + folds
 *   tsx apps/pipeline/src/stage.ts fold [--fold k]     train-fold-k + predict-fold-k (k from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)
 *   tsx apps/pipeline/src/stage.ts final --out <dir>   check every fold, ensemble → tune → submit → report, copy the results to --out
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { foldFromEnv, runFinalStage, runFoldStage, runPrepareStage, StageContext } from '@tgs/cluster';
import { log, runCli, UserError } from '@tgs/io';
import { resolveContext, WORKSPACE_ROOT } from './context';
import { publishOutputs } from './publish';

const USAGE = 'usage: stage.ts <prepare|fold|final> [--fold <k>] [--out <dir>]';

export async function stage(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { fold: { type: 'string' }, out: { type: 'string' } } });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UserError(USAGE);
  const ctx = resolveContext({});
  const sctx: StageContext = { workspaceRoot: WORKSPACE_ROOT, workDir: ctx.workDir, k: ctx.config.folds.k, log: (m) => log('stage', m) };
  switch (positionals[0]) {
    case 'prepare':
      return runPrepareStage(sctx);
    case 'fold': {
      const fold = foldFromEnv(values.fold, sctx.k);
      log('stage', `fold ${fold} of ${sctx.k}`);
      return runFoldStage(sctx, fold);
    }
    case 'final':
      if (!values.out) throw new UserError(`final needs --out <dir>\n${USAGE}`);
      runFinalStage(sctx);
      return publishOutputs(ctx.workDir, resolve(values.out));
    default:
      throw new UserError(`unknown stage "${positionals[0]}"\n${USAGE}`);
  }
}

if (require.main === module) runCli(() => stage(process.argv.slice(2)));
