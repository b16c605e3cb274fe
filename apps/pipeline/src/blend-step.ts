import { blendExperiments } from '@segkit/blend';
import { checkBlendConfig, loadConfig } from '@segkit/config';
import { loadTrainSet, readTestIds } from '@segkit/data';
import { log } from '@segkit/io';
import { fromEnv, resolveConfigPath, resolveDataDir, roundWorkDir, runLayout, WORKSPACE_PATHS } from '@segkit/run';
import { competitionLayout, competitionMetric, experimentWorkDir, resolveWorkDir, trainChannels } from './context';

/**
 * The `blend` step of a blend config (a file with a top-level `blend`): reads its members' work
 * directories (each experiment's own, see experimentWorkDir) and writes the blend's logits,
 * submission and report into the blend's work directory.
 */
export async function blendStep(flags: { config?: string; data?: string; work?: string }, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const given = fromEnv(env);
  const configPath = resolveConfigPath(flags.config ?? given.config);
  // Members, weights and one fold split checked from the configs (Nx's plugin checked them too, before the members' steps).
  const { memberPaths, ...config } = checkBlendConfig(configPath);
  const members = config.blend.members.map((name, i) => {
    const workDir = experimentWorkDir(name);
    // A member with pseudo-label rounds is blended from its last round's ensemble.
    const ensembleDir = roundWorkDir(workDir, loadConfig(memberPaths[i]).pseudo.rounds);
    return { name, workDir, ensembleDir, foldsPath: runLayout(workDir).folds, configPath: memberPaths[i] };
  });
  // The members trained on one train set (the blend checks their fold splits agree): the first
  // member's, which for the built-in data is the synthetic competition of its settings.
  const { dataDir } = resolveDataDir(flags.data ?? given.data, loadConfig(members[0].configPath).synthetic);
  const workDir = flags.work || given.work ? resolveWorkDir(flags.work, given, configPath) : experimentWorkDir(config.name);
  const layout = competitionLayout(dataDir, loadConfig(members[0].configPath).data.layout);
  const train = await loadTrainSet(dataDir, { cacheDir: WORKSPACE_PATHS.cache, layout, channels: trainChannels(layout) });
  await blendExperiments({
    config,
    members,
    trainIds: train.ids,
    masks: train.masks,
    height: train.height,
    width: train.width,
    sampleIds: readTestIds(dataDir, layout),
    format: layout.submission,
    metric: competitionMetric(config, dataDir),
    workDir,
    log: (m) => log('blend', m),
  });
}
