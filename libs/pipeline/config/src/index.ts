export { configSchema, blendConfigSchema } from './schema';
export type { PipelineConfig, StageConfig, LossTermConfig, ScheduleConfig, BlendConfig } from './schema';
export { parseConfig, loadConfig, isBlendConfigFile, loadBlendConfig, checkBlendConfig } from './load';
// Config names and files are resolved by the run settings (one place for the plugin and the steps).
export { resolveConfigPath, namedConfigPath, presets, DEFAULT_PRESET } from '@segkit/run';
export { applyOverrides, deepMerge, overridesFromEnv, readConfigTree } from './compose';
export type { RawConfig } from './compose';
export { configSlice, configSliceHash, canonicalJson } from './slice';
