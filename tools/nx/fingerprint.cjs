// Prints a fingerprint of what a pipeline run depends on outside the code: the config file's
// content, the data folder's files (names, sizes, modification times) and the backend choice.
// Nx hashes this output as a `runtime` input, so a changed config or data set retrains and an
// unchanged one is a cache hit.
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync, existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const { root, configPath: resolveConfigPath, configChain } = require('./run-settings.cjs');

const configPath = resolveConfigPath();
const dataDir = process.env.TGS_DATA ? resolve(process.env.TGS_DATA) : join(root, 'data', 'tgs-synthetic');

const h = createHash('sha256');
// The config file and every file of its "extends" chain (a change to a base retrains its experiments).
for (const file of configChain(configPath)) h.update(`config:${existsSync(file) ? readFileSync(file, 'utf8') : 'missing'}\n`);
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
