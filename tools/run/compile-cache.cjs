// V8's code cache for the packages a process requires (tfjs, sharp, zod, csv-parse, Nx, …): each
// CommonJS file under node_modules is compiled with the cached data V8 produced for it in an
// earlier process, instead of parsing and compiling it again. Node 22 has this built in
// (module.enableCompileCache); on Node 20 it is this hook. A pipeline step spends about a third
// of its start-up compiling packages (tfjs alone is several megabytes of JavaScript) and most of
// the rest reading their source maps, which a package's stack frames do not need: the workspace's
// own code (the bundles of ./bundled.cjs) is compiled by Node as before and keeps its source maps.
//
//   node --require ./tools/run/compile-cache.cjs …   (./bundled.cjs requires it itself)
//
// The cache is node_modules/.cache/segkit/v8/<sha-1 of the file's path>: the sha-1 of the source
// it was made from, a newline, then V8's data. A file whose source changed, or data V8 rejects
// (another Node or V8 flags), is compiled from source and its entry rewritten when the process
// exits, with what V8 compiled while it ran (write then rename; concurrent writers each write a
// whole entry). Files with a dynamic `import (…)` (which needs Node's own loader), files that do
// not compile as a script (ES module syntax: Node decides what they are), and every file outside
// node_modules go through Node's compile unchanged. SEGKIT_COMPILE_CACHE=0 turns the hook off;
// SEGKIT_COMPILE_CACHE_DIR puts the cache elsewhere. What the hook did in this process (files
// compiled from the cache, from source, and with data V8 rejected) is
// globalThis[Symbol.for('segkit.compileCache')].
'use strict';
const Module = require('node:module');
const vm = require('node:vm');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve, sep } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');
const CACHE = process.env.SEGKIT_COMPILE_CACHE_DIR || join(ROOT, 'node_modules', '.cache', 'segkit', 'v8');
const PACKAGES = `${sep}node_modules${sep}`;
const STATS = Symbol.for('segkit.compileCache');
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** `require` for a module compiled outside Node's loader, as Node makes it (lib/internal/modules/helpers.js). */
function makeRequire(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** The cached data of `filename` if it was made from this source (sha-1 `digest`), else undefined. */
function readEntry(path, digest) {
  try {
    const buf = readFileSync(path);
    return buf.length > 41 && buf.toString('latin1', 0, 40) === digest && buf[40] === 0x0a ? buf.subarray(41) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the entries of the scripts compiled from source in this process (at exit: with what ran). */
function writeEntries(pending) {
  if (pending.length === 0) return;
  try {
    mkdirSync(CACHE, { recursive: true });
    for (const { path, digest, script } of pending) {
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${digest}\n`, 'latin1'), script.createCachedData()]));
      renameSync(tmp, path);
    }
  } catch {
    // A cache that cannot be written (read-only node_modules, a full disk) only costs time.
  }
}

function install() {
  if (globalThis[STATS] || process.env.SEGKIT_COMPILE_CACHE === '0') return;
  const stats = { cached: 0, compiled: 0, rejected: 0 };
  globalThis[STATS] = stats;
  const nodeCompile = Module.prototype._compile;
  const pending = [];
  process.once('exit', () => writeEntries(pending));

  Module.prototype._compile = function compile(content, filename) {
    if (!filename.includes(PACKAGES) || DYNAMIC_IMPORT.test(content)) return nodeCompile.call(this, content, filename);
    const digest = createHash('sha1').update(content).digest('hex');
    const path = join(CACHE, createHash('sha1').update(filename).digest('hex'));
    const cachedData = readEntry(path, digest);
    let script;
    try {
      // A hashbang line is a comment once the module wrapper comes before it.
      script = new vm.Script(Module.wrap(content.startsWith('#!') ? `//${content}` : content), { filename, cachedData });
    } catch {
      return nodeCompile.call(this, content, filename);
    }
    if (cachedData === undefined || script.cachedDataRejected) pending.push({ path, digest, script });
    if (cachedData === undefined) stats.compiled += 1;
    else if (script.cachedDataRejected) stats.rejected += 1;
    else stats.cached += 1;
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, makeRequire(this), this, filename, dirname(filename));
  };
}

install();
