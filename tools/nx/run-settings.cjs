// The run's layout, settings and step table for the Nx plugin and its fingerprint input: the
// TypeScript modules of @segkit/run (libs/core/run/src) and @segkit/config, loaded as they are
// (from one bundle of the sources, tools/run/bundled.cjs), never a copy. Presets, the default work directory, config resolution ("extends" and the
// overrides included) and every path come from there. Each function takes the run's settings (a
// RunSettings of @segkit/run); only an entry point reads them from the environment (`run.fromEnv()`).
const { join } = require('node:path');

// Inside a jest test (jest's module loader compiles TypeScript itself, and gives every module a
// `jest` binding) a plain require does; elsewhere one bundle of tools/nx/workspace-libs.ts.
const inJest = typeof jest !== 'undefined';
const libs = inJest
  ? (() => {
      const dir = join(__dirname, '..', '..', 'libs');
      return {
        io: require(join(dir, 'core/io/src/index.ts')),
        run: require(join(dir, 'core/run/src/index.ts')),
        get config() {
          return require(join(dir, 'pipeline/config/src/index.ts'));
        },
        dataParts: (...args) => require(join(dir, 'data/kaggle/src/parts.ts')).dataParts(...args),
      };
    })()
  : require('../run/bundled.cjs').loadBundled(join(__dirname, 'workspace-libs.ts'));

// Variables of the workspace's former name (TGS_…) are read as their SEGKIT_… names, with a notice.
libs.io.adoptLegacyEnv(process.env);
const { run, dataParts } = libs;

/** @segkit/config (zod and the schema). */
function config() {
  return libs.config;
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

module.exports = { run, config, dataParts, configPath, parsedConfig, workRel };
