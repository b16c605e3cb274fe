// The run's layout, settings and step table for the Nx plugin and its fingerprint input: the
// TypeScript modules of @segkit/run (libs/core/run/src) and @segkit/config, loaded as they are through
// tsx, never a copy. Presets, the default work directory, config resolution ("extends" and the
// overrides included) and every path come from there. Each function takes the run's settings (a
// RunSettings of @segkit/run); only an entry point reads them from the environment (`run.fromEnv()`).
const { join } = require('node:path');
const { require: tsxRequire } = require('tsx/cjs/api');

const libs = join(__dirname, '..', '..', 'libs');
// Inside a jest test (jest's module loader compiles TypeScript itself and refuses tsx's, and gives
// every module a `jest` binding) a plain require does.
const inJest = typeof jest !== 'undefined';
const load = (path) => (inJest ? require(join(libs, path)) : tsxRequire(join(libs, path), __filename));

// Variables of the workspace's former name (TGS_…) are read as their SEGKIT_… names, with a notice.
load('core/io/src/index.ts').adoptLegacyEnv(process.env);
const run = load('core/run/src/index.ts');

/** @segkit/config, loaded on first use (it pulls in zod and the schema). */
let configLib;
function config() {
  configLib ??= load('pipeline/config/src/index.ts');
  return configLib;
}

/** The config file of a run (`config`: a preset or experiment name, or a path; default the default preset). */
function configPath(settings) {
  return run.resolveConfigPath(settings.config);
}

/**
 * A run's config as its steps parse it ("extends" resolved, the `set` overrides applied, defaults
 * filled in), or `{ error }` when it does not parse (the step itself reports it).
 */
function parsedConfig(settings) {
  const { loadConfig } = config();
  try {
    return { config: loadConfig(configPath(settings), { sets: settings.set ?? [] }) };
  } catch (err) {
    return { error: String(err && err.message) };
  }
}

/** A run's work directory relative to the workspace root (`work`; default runs/work/<config name>). */
function workRel(settings) {
  const res = run.workDirRelative(settings.work, configPath(settings));
  if ('error' in res) throw new Error(`${run.RUN_ENV.work}: ${res.error}`);
  return res.rel;
}

module.exports = { run, config, load, configPath, parsedConfig, workRel };
