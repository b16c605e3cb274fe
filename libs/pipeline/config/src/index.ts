export { configSchema, blendConfigSchema } from './schema';
export type { PipelineConfig, StageConfig, LossTermConfig, ScheduleConfig, BlendConfig } from './schema';
export { parseConfig, loadConfig, resolveConfigPath, namedConfigPath, isBlendConfigFile, loadBlendConfig, PRESETS, DEFAULT_PRESET } from './load';
export { applyOverrides, deepMerge, overridesFromEnv, readConfigTree } from './compose';
export type { RawConfig } from './compose';
