import { join, resolve } from 'node:path';
import { blendExperiments } from '@tgs/blend';
import { loadBlendConfig, namedConfigPath, resolveConfigPath } from '@tgs/config';
import { loadTrainSet, readSampleSubmissionIds } from '@tgs/data';
import { log, UserError } from '@tgs/io';
import { experimentWorkDir, SYNTHETIC_DATA_DIR, WORKSPACE_ROOT, workPaths } from './context';

/**
 * The `blend` step of a blend config (a file with a top-level `blend`): reads its members' work
 * directories (each experiment's own, see experimentWorkDir) and writes the blend's logits,
 * submission and report into the blend's work directory.
 */
export async function blendStep(flags: { config?: string; data?: string; work?: string }, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const configPath = resolveConfigPath(flags.config ?? env.TGS_CONFIG);
  const config = loadBlendConfig(configPath);
  const dataArg = flags.data ?? env.TGS_DATA;
  const dataDir = dataArg ? resolve(dataArg) : SYNTHETIC_DATA_DIR;
  const members = config.blend.members.map((name) => {
    if (namedConfigPath(name) === undefined) throw new UserError(`${configPath}: blend member "${name}" is neither a preset in configs/ nor an experiment in experiments/`);
    const workDir = experimentWorkDir(name);
    return { name, workDir, foldsPath: workPaths(workDir).folds };
  });
  const workDir = flags.work ? resolve(flags.work) : env.TGS_WORK ? resolve(WORKSPACE_ROOT, env.TGS_WORK) : experimentWorkDir(config.name);
  const train = await loadTrainSet(dataDir, { cacheDir: join(WORKSPACE_ROOT, 'data', 'cache') });
  await blendExperiments({
    config,
    members,
    trainIds: train.ids,
    masks: train.masks,
    height: train.height,
    width: train.width,
    sampleIds: readSampleSubmissionIds(dataDir),
    workDir,
    log: (m) => log('blend', m),
  });
}
