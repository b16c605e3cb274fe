export { configSchema } from './schema';
export type { PipelineConfig, StageConfig, LossTermConfig, ScheduleConfig } from './schema';
export { parseConfig, loadConfig, resolveConfigPath, PRESETS, DEFAULT_PRESET } from './load';
