// Prints a fingerprint of what a pipeline run depends on outside the code: the config file's
// content, the data folder's files (names, sizes, modification times) and the backend choice.
// Nx hashes this output as a `runtime` input, so a changed config or data set retrains and an
// unchanged one is a cache hit.
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync, existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const { root, configPath: resolveConfigPath } = require('./run-settings.cjs');

const configPath = resolveConfigPath();
const dataDir = process.env.TGS_DATA ? resolve(process.env.TGS_DATA) : join(root, 'data', 'tgs-synthetic');

const h = createHash('sha256');
// The config file and every file of its "extends" chain (a change to a base retrains its experiments).
function hashConfig(path, depth) {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : 'missing';
  h.update(`config:${text}\n`);
  let parent;
  try {
    parent = JSON.parse(text).extends;
  } catch {
    return; // the step reports the bad file
  }
  if (typeof parent !== 'string' || depth > 20) return;
  const named = ['configs', 'experiments'].map((d) => join(root, d, `${parent}.json`)).find((p) => existsSync(p));
  hashConfig(parent.includes('/') || parent.endsWith('.json') ? resolve(dirname(path), parent) : named || parent, depth + 1);
}
hashConfig(configPath, 0);
h.update(`set:${process.env.TGS_SET || ''}\n`);
h.update(`backend:${process.env.TGS_BACKEND || ''}\n`);
h.update(`data:${process.env.TGS_DATA ? dataDir : 'synthetic'}\n`);
function walk(dir, rel) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, `${rel}${name}/`);
    else h.update(`${rel}${name}:${st.size}:${st.mtimeMs}\n`);
  }
}
// The built-in synthetic data is an output of the `data` target, fully determined by the config.
if (process.env.TGS_DATA) walk(dataDir, '');
process.stdout.write(h.digest('hex'));
