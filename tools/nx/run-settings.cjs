// The run's settings as the Nx plugin and the fingerprint input read them from the environment
// that `npm run pipeline` sets (the TypeScript side resolves the same names in @tgs/config).
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { basename, dirname, join, resolve } = require('node:path');

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

/**
 * The config files a config is made of: itself, then its "extends" chain (a preset or experiment
 * name, or a path relative to the file), as @tgs/config resolves it. Unreadable files end the chain
 * (the step reports them).
 */
function configChain(path) {
  const chain = [];
  let current = path;
  while (current && !chain.includes(current) && chain.length < 20) {
    chain.push(current);
    let parent;
    try {
      parent = JSON.parse(readFileSync(current, 'utf8')).extends;
    } catch {
      break;
    }
    if (typeof parent !== 'string' || parent === '') break;
    if (parent.includes('/') || parent.endsWith('.json')) current = resolve(dirname(current), parent);
    else current = ['configs', 'experiments'].map((d) => join(root, d, `${parent}.json`)).find((p) => existsSync(p));
  }
  return chain;
}

/** A config value by key path, the nearest file of the chain that sets it winning; undefined when none does. */
function configValue(path, keys) {
  for (const file of configChain(path)) {
    try {
      let v = JSON.parse(readFileSync(file, 'utf8'));
      for (const k of keys) v = v == null ? undefined : v[k];
      if (v !== undefined) return v;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

module.exports = { root, configPath, defaultWorkDir, configChain, configValue };
