// `node tools/nx/fingerprint.cjs <step>` prints a fingerprint of what one pipeline step reads
// outside the code and the artifacts before it: the config sections it uses (the STEPS table of
// @segkit/run; parsed by @segkit/config with "extends", the overrides and defaults, so writing a default
// out changes nothing) and the content of the data files it reads, for the run settings in the
// environment. Nx hashes this output as a `runtime` input of the step's target. A blend's step
// fingerprints the blend config.
//
// With the built-in synthetic competition (no data folder), a step that reads data reads the
// `synthetic` section instead. Files of a real data folder are hashed by content, memoised by
// (path, size, mtime, ctime, inode) in the data cache, so a replaced file is always rehashed
// (a copy cannot keep its ctime) while an unchanged folder costs a stat per file.
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const settings = require('./run-settings.cjs');

const { run } = settings;
const runSettings = run.fromEnv(process.env);
const step = process.argv[2];
const spec = run.STEPS[step];
if (!spec) {
  process.stderr.write(`fingerprint.cjs: unknown step "${step}"; expected one of ${run.STEP_ORDER.join(', ')}\n`);
  process.exit(2);
}

const { canonicalJson, configSliceHash, loadBlendConfig } = settings.config();
const h = createHash('sha256');
let synthetic;
let layoutSetting; // the config's data.layout ('auto' when unset or unparsable)
if (spec.project === 'blend') {
  let text;
  try {
    text = canonicalJson(loadBlendConfig(settings.configPath(runSettings)));
  } catch (err) {
    text = `invalid:${err.message}`;
  }
  h.update(`blend:${text}\n`);
} else {
  const parsed = settings.parsedConfig(runSettings);
  // An invalid config hashes as its error: the step will fail and say why.
  h.update(`config:${parsed.config ? configSliceHash(parsed.config, spec.config) : `invalid:${parsed.error}`}\n`);
  synthetic = parsed.config?.synthetic;
  // Files the config names (a pretrained encoder's weights), by content.
  for (const key of spec.files ?? []) {
    const value = key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), parsed.config);
    if (typeof value !== 'string') continue;
    const path = resolve(value);
    h.update(`file:${key}:${existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent'}\n`);
  }
  layoutSetting = parsed.config?.data?.layout;
}

const dataArg = runSettings.data;
if (!dataArg) {
  h.update(`data:synthetic:${spec.data.length > 0 ? canonicalJson(synthetic ?? null) : ''}\n`);
} else if (spec.data.length > 0) {
  const { dataDir } = run.resolveDataDir(dataArg);
  // The folder's files by part, as its layout (config data.layout, else recognised) names them.
  let parts;
  try {
    parts = settings.dataParts(dataDir, layoutSetting);
  } catch (err) {
    h.update(`layout:invalid:${err.message}\n`); // the step fails and says why
    parts = { train: [dataDir], test: [], sample: [] };
  }
  const memoPath = join(run.WORKSPACE_PATHS.cache, `fingerprint-${createHash('sha1').update(dataDir).digest('hex').slice(0, 16)}.json`);
  let memo = {};
  try {
    memo = JSON.parse(readFileSync(memoPath, 'utf8'));
  } catch {
    memo = {};
  }
  let changed = false;
  const fileHash = (p, st) => {
    const key = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    if (memo[p] && memo[p].key === key) return memo[p].sha;
    const sha = createHash('sha1').update(readFileSync(p)).digest('hex');
    memo[p] = { key, sha };
    changed = true;
    return sha;
  };
  const walk = (p) => {
    const rel = relative(dataDir, p);
    if (!existsSync(p)) return h.update(`${rel}:absent\n`);
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(join(p, name));
    else h.update(`${rel}:${fileHash(p, st)}\n`);
  };
  for (const part of spec.data) for (const entry of parts[part]) walk(entry);
  if (changed) {
    mkdirSync(run.WORKSPACE_PATHS.cache, { recursive: true });
    const tmp = `${memoPath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(memo));
    renameSync(tmp, memoPath);
  }
}
process.stdout.write(h.digest('hex'));
