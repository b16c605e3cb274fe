// The run's settings as the Nx plugin and the fingerprint input read them from the environment
// that `npm run pipeline` sets (the TypeScript side resolves the same names in @tgs/config).
const { readdirSync } = require('node:fs');
const { basename, join, resolve } = require('node:path');

const root = resolve(__dirname, '../..');

/** Preset names are the files in configs/. */
function presets() {
  return readdirSync(join(root, 'configs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
}

/** TGS_CONFIG as a file: a preset name, or a path; the default preset is `cpu`. */
function configPath() {
  const arg = process.env.TGS_CONFIG || 'cpu';
  return presets().includes(arg) ? join(root, 'configs', `${arg}.json`) : resolve(arg);
}

/** The experiment's default work folder, relative to the root: runs/work/<config file name>. */
function defaultWorkDir() {
  return `runs/work/${basename(configPath()).replace(/\.json$/i, '')}`;
}

module.exports = { root, configPath, defaultWorkDir };
