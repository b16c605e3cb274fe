export { runLayout, roundWorkDir, foldLayout, foldLayoutAt, stageLayout, predictLayout, slurmLayout, outLayout, CLUSTER_STAGES, BUNDLE_RECORD } from './layout';
export type { RunLayout, FoldLayout, StageLayout, PredictLayout, SlurmLayout, OutLayout, Stage, FoldIndex, ClusterStage } from './layout';
export {
  WORKSPACE_ROOT,
  WORKSPACE_PATHS,
  DEFAULT_WORK_DIR,
  defaultWorkDir,
  DEFAULT_PRESET,
  BACKEND_CHOICES,
  presets,
  resolveConfigPath,
  namedConfigPath,
  codeProjectNames,
  configNameClashes,
  workDirRelative,
  resolveDataDir,
  syntheticDataShortcut,
  syntheticPaths,
  syntheticStampPath,
  nxNodeArgs,
  nxWorkspaceData,
} from './settings';
export type { BackendChoice, SyntheticSettings } from './settings';
export { RUN_ENV, RUN_SETTINGS, fromEnv, toEnv, readRunSetting, withRunSettings, shellAssignments, shellQuote, parseBackendChoice, parseDeviceList } from './run-settings';
export type { RunSettings, RunSettingName } from './run-settings';
export { STEPS, STEP_ORDER, TRAIN_STAGE_CONFIG, projectSteps, layoutFileGlob, clusterStages, stepRounds, stepTargetName, experimentTargets } from './steps';
export type { StepName, StepSpec, DataPart, StepProject, LayoutFile, StepRounds, StepTarget } from './steps';
export { writeStepTiming, readStepSeconds, timedStep, writeFoldBackend, readFoldBackend } from './timings';
export type { StepTiming, FoldBackend } from './timings';
