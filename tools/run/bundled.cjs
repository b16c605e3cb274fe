// Starts TypeScript entry points from one esbuild bundle each instead of compiling every module on
// every start. A pipeline step imports about 300 workspace modules; through tsx's require hook
// that costs about a second of CPU per process, from a bundle about a tenth of it (the steps,
// the Nx plugin and its fingerprints each start many times per run).
//
//   node --require ./tools/run/bundled.cjs apps/pipeline/src/main.ts <args>
//       runs the main module from its bundle (tsx, registered when first needed, compiles any
//       other .ts file, and the entry itself when it does not bundle);
//   require('./tools/run/bundled.cjs').loadBundled('/abs/path/entry.ts')
//       returns an entry's exports, from its bundle.
//
// A bundle holds the workspace's TypeScript (path aliases resolved by tsconfig.base.json); every
// package stays a plain require. It is kept in node_modules/.cache/segkit/bundles with the list of
// its source files and is rebuilt when the content of any of them (or of tsconfig.base.json, this
// file, or the esbuild or Node version) changes: each start reads and hashes its sources, a few
// milliseconds. The build runs in a child process (esbuild's plugins are asynchronous) and writes
// atomically; concurrent starts may each build, and the last rename wins with the same content.
// `__dirname` and `__filename` keep their values per source file (the bundle lives elsewhere), and
// stack traces point into the sources (source maps).
'use strict';
const Module = require('node:module');
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = resolve(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'segkit', 'bundles');
const TSCONFIG = join(ROOT, 'tsconfig.base.json');

/** What every bundle depends on besides its sources. */
function toolchainKey() {
  const esbuild = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
  return `node ${process.version}; esbuild ${esbuild}; ${readFileSync(__filename, 'utf8')}; ${readFileSync(TSCONFIG, 'utf8')}`;
}

/** sha-1 over the toolchain and each source file's path and content; undefined when one is gone. */
function digest(sources) {
  const h = createHash('sha1').update(toolchainKey());
  try {
    for (const file of sources) h.update(`\0${file}\0`).update(readFileSync(join(ROOT, file)));
  } catch {
    return undefined;
  }
  return h.digest('hex');
}

const cachePaths = (entry) => {
  const key = createHash('sha1').update(relative(ROOT, entry)).digest('hex').slice(0, 16);
  return { meta: join(CACHE, `${key}.json`), code: (d) => join(CACHE, `${key}-${d.slice(0, 16)}.cjs`), prefix: `${key}-` };
};

/** The bundle's code if a bundle of `entry` from the current sources is cached. */
function cached(entry) {
  const paths = cachePaths(entry);
  try {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8'));
    const d = digest(meta.sources);
    return d === meta.digest ? readFileSync(paths.code(d), 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the bundle of `entry` (in this process: asynchronous) and caches it. */
async function build(entry) {
  const esbuild = require('esbuild');
  // Each workspace module keeps its own __dirname / __filename.
  const ownPaths = {
    name: 'own-paths',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let contents = readFileSync(args.path, 'utf8');
        if (/\b__(dirname|filename)\b/.test(contents)) {
          contents = `const __dirname = ${JSON.stringify(dirname(args.path))}; const __filename = ${JSON.stringify(args.path)};\n${contents}`;
        }
        return { contents, loader: 'ts' };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    tsconfig: TSCONFIG,
    // Sources named from the workspace root, as absolute file URLs (the bundle runs under the entry's name).
    absWorkingDir: ROOT,
    sourcemap: 'inline',
    sourceRoot: pathToFileURL(`${ROOT}/`).href,
    sourcesContent: false,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [ownPaths],
  });
  const sources = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p))).sort();
  const d = digest(sources);
  if (!d) throw new Error('a source file changed during the build');
  const paths = cachePaths(entry);
  mkdirSync(CACHE, { recursive: true });
  const write = (path, text) => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  };
  write(paths.code(d), result.outputFiles[0].text);
  write(paths.meta, JSON.stringify({ entry: relative(ROOT, entry), digest: d, sources }));
  // Older bundles of the same entry.
  for (const f of readdirSync(CACHE)) {
    if (f.startsWith(paths.prefix) && f !== paths.code(d).slice(CACHE.length + 1) && !f.includes('.tmp-')) rmSync(join(CACHE, f), { force: true });
  }
}

/** The bundle's code for `entry`, built first when it is missing or stale; undefined if it cannot be built. */
function bundleCode(entry) {
  const hit = cached(entry);
  if (hit !== undefined) return hit;
  const res = spawnSync(process.execPath, [__filename, '--build', entry], { encoding: 'utf8' });
  if (res.status !== 0) {
    // tsx compiles the entry instead, and reports what does not compile.
    if (process.env.SEGKIT_BUNDLE_DEBUG) process.stderr.write(`bundled.cjs: ${entry}: ${res.stderr}`);
    return undefined;
  }
  return cached(entry);
}

function compile(module, entry, code) {
  process.setSourceMapsEnabled(true);
  module._compile(code, entry);
}

/** The exports of a TypeScript entry point, run from its bundle. */
function loadBundled(entry) {
  const code = bundleCode(entry);
  if (code === undefined) return require('tsx/cjs/api').require(entry, __filename);
  const module = new Module(entry, null);
  module.filename = entry;
  module.paths = Module._nodeModulePaths(dirname(entry));
  compile(module, entry, code);
  module.loaded = true;
  return module.exports;
}

if (require.main === module && process.argv[2] === '--build') {
  build(resolve(process.argv[3])).catch((err) => {
    process.stderr.write(`${err && err.message}\n`);
    process.exit(1);
  });
} else if (require.main !== module) {
  // Packages compile from V8's code cache (./compile-cache.cjs).
  require('./compile-cache.cjs');
  // As a --require hook: the main module, when it is TypeScript, runs from its bundle; any other
  // TypeScript file (or an entry that does not bundle) goes through tsx, registered when first needed.
  const ours = function (module, filename) {
    const code = module.id === '.' ? bundleCode(filename) : undefined;
    if (code !== undefined) return compile(module, filename, code);
    return tsxHandler().call(this, module, filename);
  };
  let tsx;
  const tsxHandler = () => {
    if (!tsx) {
      require('tsx/cjs/api').register();
      tsx = Module._extensions['.ts'];
      Module._extensions['.ts'] = ours;
    }
    return tsx;
  };
  Module._extensions['.ts'] = ours;
}

module.exports = { loadBundled, bundleFiles: (entry) => { const p = cachePaths(resolve(entry)); return { meta: p.meta, prefix: join(CACHE, p.prefix) }; } };
