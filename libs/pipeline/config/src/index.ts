export { configSchema } from './schema';
export type { PipelineConfig, StageConfig, LossTermConfig, ScheduleConfig } from './schema';
export { parseConfig, loadConfig, resolveConfigPath, namedConfigPath, PRESETS, DEFAULT_PRESET } from './load';
export { applyOverrides, deepMerge, overridesFromEnv, readConfigTree } from './compose';
export type { RawConfig } from './compose';
